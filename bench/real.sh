#!/usr/bin/env bash
# A real image next to the synthetic one of bench/image.sh: Debian bookworm minbase with
# python3, pip, nodejs and npm, then eight npm and seven pip packages installed into it (many
# small files, and the words "password", "token", "secret" all over library code), exported as
# an OCI layout with gzip layers. Prints stowaway's wall/CPU time and peak RSS next to
# decompressing the same layers with the same libraries (examples/decompress.rs), each the
# median of BENCH_RUNS runs (default 3), and the findings outside and inside package files.
# Building it needs the network (Debian mirror, npm and PyPI registries); scanning does not.
#
#   apt-get install -y buildah mmdebstrap time && bench/real.sh [THREADS]
# BENCH_DIR (default /tmp/stowaway-real) keeps the image between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
dir=${BENCH_DIR:-/tmp/stowaway-real}
B="buildah --storage-driver vfs"
mkdir -p "$dir"
cargo build --release --quiet ${STOWAWAY_FEATURES:+--features "$STOWAWAY_FEATURES"} --bin stowaway
cargo build --release --quiet --example decompress
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/stowaway
example=${CARGO_TARGET_DIR:-$PWD/target}/release/examples/decompress

if [ ! -f "$dir/oci/index.json" ]; then
  [ -f "$dir/rootfs.tar" ] || mmdebstrap --quiet --variant=minbase \
    --include=python3,python3-pip,nodejs,npm,ca-certificates bookworm "$dir/rootfs.tar"
  certs=/etc/ssl/certs/ca-certificates.crt
  c=$($B from scratch)
  $B add "$c" "$dir/rootfs.tar" / >/dev/null
  $B commit -q "$c" localhost/stowaway-real:base >/dev/null
  $B rm "$c" >/dev/null
  c=$($B from localhost/stowaway-real:base)
  $B run --isolation chroot -v "$certs:$certs:ro" "$c" -- sh -c 'mkdir -p /app && cd /app &&
    npm init -y >/dev/null && npm install --no-audit --no-fund express jsonwebtoken aws-sdk \
    axios lodash dotenv pg mongoose >/dev/null 2>&1'
  $B run --isolation chroot -v "$certs:$certs:ro" "$c" -- sh -c 'pip install \
    --break-system-packages --quiet requests boto3 django flask cryptography paramiko sqlalchemy'
  $B commit -q "$c" localhost/stowaway-real:1 >/dev/null
  $B rm "$c" >/dev/null
  rm -rf "$dir/oci"
  $B push -q localhost/stowaway-real:1 "oci:$dir/oci:real:1"
fi

# shellcheck source=bench/measure.sh
source bench/measure.sh
row() { # label, "wall cpu rss"
  local w cpu rss
  read -r w cpu rss <<<"$2"
  printf '%-40s %8s %8s %8s\n' "$1" "$w" "$cpu" "$rss"
}
mapfile -t blobs < <(layer_blobs "$dir/oci")
bytes=$("$example" 1 "${blobs[@]}" | awk '{print $1}')
echo "real image: $((bytes >> 20)) MiB of uncompressed layers (gzip); $threads threads; median of $runs runs"
printf '%-40s %8s %8s %8s\n' run "wall s" "cpu s" "RSS MB"
row "stowaway scan" "$(measure "$bin" scan "$dir/oci" -j "$threads" --format json)"
row "decompress only, same libraries" "$(measure "$example" "$threads" "${blobs[@]}")"
"$bin" scan "$dir/oci" -j "$threads" --format json | python3 -c '
import json, sys
report = json.load(sys.stdin)
outside, inside = len(report["findings"]), len(report["vendor"])
print(f"findings: {outside} outside package-owned files, {inside} inside them")'
