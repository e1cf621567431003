#!/usr/bin/env bash
# Times the Dockerfile audit: the whole shared corpus in one process, and one small Dockerfile
# end to end (the pre-commit case). Prints numbers; asserts nothing.
#
#   bench/corpus.sh [RUNS]        (default 10 runs each; uses hyperfine when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
corpus=../shared/corpus/dockerfiles
cargo build --release --quiet ${STOWAWAY_FEATURES:+--features "$STOWAWAY_FEATURES"}
bin=${CARGO_TARGET_DIR:-target}/release/stowaway
files=$(find "$corpus" -type f | wc -l)
bytes=$(cat "$corpus"/* | wc -c)
echo "corpus: $files Dockerfiles, $((bytes / 1024)) KiB; $(nproc) cores"

if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs "$runs" -N --ignore-failure \
    "$bin scan $corpus --format json" \
    "$bin scan $corpus --format json --no-context" \
    "$bin scan $corpus --format json -j1" \
    "$bin scan testdata/demo/Dockerfile"
  exit 0
fi

time_ms() { # command... -> best wall time in ms over $runs runs ($EPOCHREALTIME: no fork timing)
  local best=999999999 start end
  for _ in $(seq "$runs"); do
    start=${EPOCHREALTIME/./}
    "$@" >/dev/null 2>&1 || true
    end=${EPOCHREALTIME/./}
    (( end - start < best )) && best=$(( end - start ))
  done
  printf '%d.%03d' $((best / 1000)) $((best % 1000))
}

echo "best of $runs runs (wall ms):"
echo "  whole corpus, all checks, all cores : $(time_ms $bin scan $corpus --format json)"
echo "  whole corpus, no context checks     : $(time_ms $bin scan $corpus --format json --no-context)"
echo "  whole corpus, one thread            : $(time_ms $bin scan $corpus --format json -j1)"
echo "  one small Dockerfile (demo)         : $(time_ms $bin scan testdata/demo/Dockerfile)"
