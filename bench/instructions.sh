#!/usr/bin/env bash
# Instructions executed by an image scan, counted by valgrind's callgrind: the figure that does
# not move with the machine's hour (wall and CPU time here spread by ±15 % between minutes, so a
# change of a few percent is judged by this, then confirmed by interleaved timings). For each
# binary given (default: this checkout's release build) it prints the instructions of
# `scan INPUT $SCAN_ARGS`, per byte of the input, and the functions that execute most of them;
# binaries run two at a time, each some hundred times slower than natively (1.5–5 minutes each
# on the 436 MiB bench image, by the machine's hour).
#
#   apt-get install -y valgrind && bench/instructions.sh [INPUT] [BINARY...]
# INPUT defaults to the docker save bench/image.sh builds ($BENCH_DIR/docker-archive.tar, built
# on demand). SCAN_ARGS defaults to `-j 1 --no-digest-check`: one worker, so the count is the
# same from run to run, and no SHA-256, which runs at the hardware's rate and only adds a
# constant. Output files stay in $OUT (default: a temporary directory, printed).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BENCH_DIR:-/tmp/stowaway-bench}
input=${1:-$dir/docker-archive.tar}
shift || true
if [ $# -eq 0 ]; then
  cargo build --release --quiet --bin stowaway
  set -- "${CARGO_TARGET_DIR:-$PWD/target}/release/stowaway"
fi
if [ ! -e "$input" ] && [ "$input" = "$dir/docker-archive.tar" ]; then
  BENCH_BUILD_ONLY=1 bench/image.sh
fi
read -r -a scan_args <<<"${SCAN_ARGS:--j 1 --no-digest-check}"
out=${OUT:-$(mktemp -d)}
bytes=$(du -sb "$input" | cut -f1)
echo "input: $input ($((bytes >> 20)) MiB); scan ${scan_args[*]}; callgrind files in $out"
n=0
for bin in "$@"; do
  valgrind --tool=callgrind --callgrind-out-file="$out/$n.out" "$bin" scan "$input" \
    "${scan_args[@]}" --format json >/dev/null 2>"$out/$n.err" &
  n=$((n + 1))
  if [ $((n % 2)) -eq 0 ]; then wait; fi
done
wait
n=0
for bin in "$@"; do
  total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/$n.err" | tail -1)
  printf '\n%s: %.3f G instructions, %.2f per byte of input\n' "$bin" \
    "$(echo "$total / 1000000000" | bc -l)" "$(echo "$total / $bytes" | bc -l)"
  callgrind_annotate "$out/$n.out" 2>/dev/null |
    awk '/file:function/ {on = 1; next} on && /^ *[0-9]/ && n++ < 8 {print "  " $0}' | cut -c1-150
  n=$((n + 1))
done
