#!/usr/bin/env bash
# Prints recall and precision per rule family on the labelled accuracy set (tests/accuracy/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --quiet --test integration accuracy -- --nocapture 2>&1 | grep -vE '^(running|test |$)'
