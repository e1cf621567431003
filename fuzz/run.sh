#!/usr/bin/env bash
# Runs fuzz targets for SECONDS each (default 60) and prints libFuzzer's totals.
#   cargo install cargo-fuzz && fuzz/run.sh 1800 [TARGET...]   (default: every target)
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 lets the stable toolchain build them.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dockerfile image layer attribution rpmdb)
export RUSTC_BOOTSTRAP=1
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  cargo fuzz run "$target" "fuzz/corpus/$target" fuzz/seeds/"$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=1048576 2>&1 | grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs|SUMMARY|panicked" || true
done
