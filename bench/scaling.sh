#!/usr/bin/env bash
# Scaling table for the image scan: wall time and MB/s for images of ~100 MB, ~500 MB and ~2 GB,
# with 1 and 2 threads, and with 10 rules vs the full rule set. Images are built on demand with
# buildah (see bench/image.sh); the ~500 MB and ~2 GB ones are bench/image.sh's, reused.
#
#   apt-get install -y buildah mmdebstrap zstd time && bench/scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet ${STOWAWAY_FEATURES:+--features "$STOWAWAY_FEATURES"}
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/stowaway
B="buildah --storage-driver vfs"

small=/tmp/stowaway-bench-100m
if [ ! -f "$small/docker-archive.tar" ]; then
  mkdir -p "$small/app"
  python3 - "$small/app" <<'PY'
import os, random, sys
out = sys.argv[1]; rng = random.Random(7); words = ["def", "return", "self", "value", "config", "client"]
for n in range(100):
    with open(os.path.join(out, f"m{n:03}.py"), "w") as f:
        for _ in range(40000):
            f.write(f"{rng.choice(words)} {rng.choice(words)}_{rng.randrange(1000)} = {rng.random():.6f}\n")
PY
  c=$($B from scratch); $B add "$c" "$small/app" /srv/app >/dev/null
  $B commit -q "$c" localhost/bench:small >/dev/null; $B rm "$c" >/dev/null
  $B push -q localhost/bench:small "docker-archive:$small/docker-archive.tar:bench:small"
fi
BENCH_BUILD_ONLY=1 BENCH_DIR=/tmp/stowaway-bench bench/image.sh 200 >/dev/null
BENCH_BUILD_ONLY=1 BENCH_DIR=/tmp/stowaway-bench-2g bench/image.sh 1600 >/dev/null

# ten content rules taken from the built-in files, so the comparison uses real patterns
ten=$(mktemp --suffix=.toml)
python3 - rules "$ten" <<'PY'
import os, re, sys
blocks = []
for name in ["github.toml", "aws.toml", "slack.toml", "stripe.toml", "npm.toml", "gitlab.toml"]:
    text = open(os.path.join(sys.argv[1], name)).read()
    for block in text.split("[[rule]]")[1:]:
        if "pattern =" in block and "paired_with" not in block:
            blocks.append("[[rule]]" + block)
open(sys.argv[2], "w").write("\n".join(blocks[:10]))
PY

wall() { /usr/bin/time -f '%e' "$@" >/dev/null 2>/tmp/stowaway-wall || true; tail -1 /tmp/stowaway-wall; }
printf '%-10s %8s %-10s %8s %9s\n' image MiB run "wall s" "MB/s"  # MB = 10^6 bytes, as bench/image.sh
for image in "$small" /tmp/stowaway-bench /tmp/stowaway-bench-2g; do
  tar="$image/docker-archive.tar"
  bytes=$(tar -tvf "$tar" | awk '$6 ~ /\.tar$/ {s+=$3} END {print s}')
  mib=$((bytes >> 20))
  for run in "-j1 all" "-j2 all" "-j2 10"; do
    set -- $run
    rules=()
    [ "$2" = 10 ] && rules=(--no-builtin-rules --rules "$ten")
    t=$(wall "$bin" scan "$tar" "$1" "${rules[@]}" --format json)
    printf '%-10s %8s %-10s %8s %9.0f\n' "$(basename "$image")" "$mib" "$run" "$t" "$(echo "$bytes / 1000000 / $t" | bc -l)"
  done
done
rm -f "$ten"
