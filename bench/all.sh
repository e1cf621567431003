#!/usr/bin/env bash
# Every figure issue 5 asks for, in one run: the Dockerfile audit (corpus and one file), the
# image scan on the ~436 MiB and ~1.9 GB bench images next to same-library decompression, the
# gzip/zstd tools and trivy (with the targets as ratios and peak RSS per row), and the scaling
# table (size x threads x rule count). Images are built on demand and reused from /tmp.
#
#   apt-get install -y buildah mmdebstrap zstd time && bench/all.sh [THREADS]
# STOWAWAY_FEATURES=vectorscan (with a separate CARGO_TARGET_DIR) benchmarks the vectorscan build.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-$(nproc)}
echo "== Dockerfile audit (bench/corpus.sh)"
bench/corpus.sh
echo
echo "== ~436 MiB image (bench/image.sh 200 $threads)"
BENCH_DIR=/tmp/stowaway-bench bench/image.sh 200 "$threads"
echo
echo "== ~1.9 GB image (bench/image.sh 1600 $threads)"
BENCH_DIR=/tmp/stowaway-bench-2g bench/image.sh 1600 "$threads"
echo
echo "== scaling (bench/scaling.sh)"
bench/scaling.sh
