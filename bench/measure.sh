# Sourced by bench/image.sh and bench/real.sh (not run on its own): how they time a command and
# find an OCI layout's layer blobs. BENCH_RUNS (default 3) runs per measurement.
runs=${BENCH_RUNS:-3}

measure() { # command... ; prints wall s, cpu s, peak RSS MB of the median run (by wall time)
  local f i
  f=$(mktemp)
  for ((i = 0; i < runs; i++)); do
    /usr/bin/time -o "$f.t" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || true
    tail -1 "$f.t" >>"$f"
  done
  sort -n "$f" | sed -n "$(((runs + 1) / 2))p" | awk '{printf "%s %.2f %d\n", $1, $2 + $3, $4 / 1024}'
  rm -f "$f" "$f.t"
}

layer_blobs() { # oci dir -> layer blob paths, base first
  python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
idx = json.load(open(f"{d}/index.json"))
m = json.load(open(f"{d}/blobs/sha256/{idx['manifests'][0]['digest'].split(':')[1]}"))
for l in m["layers"]:
    print(f"{d}/blobs/sha256/{l['digest'].split(':')[1]}")
PY
}
