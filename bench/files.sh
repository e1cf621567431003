#!/usr/bin/env bash
# What a file costs: a layer of many small files (a node_modules tree, a Python site-packages)
# against the same bytes in a few large ones. Builds, on demand, two filesystem tars holding the
# same content: FILES files of 200-3,000 bytes of generated JavaScript (default 300,000, about
# 480 MB), and the same bytes cut into 8 MiB files. Prints for each stowaway's wall and CPU
# time, by path (the archive is indexed first, as any tar given by path is) and on standard
# input, with 1 and 2 threads, each the median of BENCH_RUNS runs (default 3), then the cost of
# one file: the difference between the two tars over the number of files.
#
#   apt-get install -y time && bench/files.sh [FILES]
set -euo pipefail
cd "$(dirname "$0")/.."
files=${1:-300000}
dir=${BENCH_DIR:-/tmp/stowaway-bench-files}
mkdir -p "$dir"
cargo build --release --quiet ${STOWAWAY_FEATURES:+--features "$STOWAWAY_FEATURES"} --bin stowaway
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/stowaway
many=$dir/many-$files.tar few=$dir/few-$files.tar
if [ ! -f "$many" ] || [ ! -f "$few" ]; then
  python3 - "$many" "$few" "$files" <<'PY'
import io, random, sys, tarfile
many, few, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(5)
words = ["function", "return", "const", "require", "module", "exports", "this", "value", "callback"]
def add(archive, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), 0
    archive.addfile(info, io.BytesIO(data))
pending = bytearray()
with tarfile.open(many, "w", format=tarfile.GNU_FORMAT) as m, tarfile.open(few, "w", format=tarfile.GNU_FORMAT) as f:
    for i in range(files):
        size, text = rng.randrange(200, 3000), []
        while sum(map(len, text)) < size:
            text.append(f"  {rng.choice(words)} {rng.choice(words)}_{rng.randrange(1000)} = {rng.random():.5f};\n")
        data = "".join(text).encode()[:size]
        add(m, f"app/node_modules/pkg{i // 50}/lib/file{i % 50}.js", data)
        pending += data
        if len(pending) >= 8 << 20 or i == files - 1:
            add(f, f"app/bundle{i}.js", bytes(pending))
            pending.clear()
PY
fi
# shellcheck source=bench/measure.sh
source bench/measure.sh
content=$(python3 -c "import tarfile,sys; print(sum(m.size for m in tarfile.open(sys.argv[1])))" "$few")
echo "$files files, $((content >> 20)) MiB of content, in $(($(stat -c %s "$many") >> 20)) MiB of tar (the same bytes in 8 MiB files: $(($(stat -c %s "$few") >> 20)) MiB); median of $runs runs"
printf '%-30s %8s %8s %8s %8s %8s %12s\n' "run" "files s" "cpu s" "RSS MB" "8MiB s" "cpu s" "us per file"
for threads in 1 2; do
  for how in path stdin; do
    if [ "$how" = path ]; then
      run() { measure "$bin" scan "$1" -j "$threads" --format json; }
    else
      run() { measure sh -c "\"\$0\" scan - -j $threads --format json < \"\$1\"" "$bin" "$1"; }
    fi
    read -r mw mc mr <<<"$(run "$many")"
    read -r fw fc _ <<<"$(run "$few")"
    printf '%-30s %8s %8s %8s %8s %8s %12.2f\n' "stowaway by $how, -j$threads" "$mw" "$mc" "$mr" "$fw" "$fc" \
      "$(echo "($mc - $fc) * 1000000 / $files" | bc -l)"
  done
done
echo "(us per file: the CPU time the many files cost beyond the same bytes in few, over the files)"
