#!/usr/bin/env bash
# Rebuilds the committed image fixtures with a real builder, no Docker engine needed:
#   apt-get install -y buildah skopeo gcc python3 && testdata/images/build.sh
# Writes demo-docker-archive.tar (legacy docker save), demo-oci-archive.tar (gzip layers),
# demo-oci-zstd/ (OCI layout directory, zstd layers) and demo-docker25.tar (Docker >= 25
# docker save: OCI layout plus manifest.json, uncompressed blobs), and demo-oci-zstd-chunked/
# (skopeo's zstd:chunked recompression of demo-oci-zstd: skippable frames and a file TOC), and
# demo-dir-v2s2/ (skopeo's dir: transport, Docker schema 2 manifest, gzip layers).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
B="buildah --storage-driver vfs"
tag=localhost/stowaway-fixture:1

mkdir -p "$work/ctx"
gcc -static -nostdlib -ffreestanding -Os -fno-stack-protector -o "$work/ctx/fx" "$here/fx.c"
strip "$work/ctx/fx"
cp -r "$here/app" "$here/Dockerfile" "$work/ctx/"
$B bud --quiet --isolation chroot --layers \
  --build-arg NPM_TOKEN=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 \
  -f "$work/ctx/Dockerfile" -t "$tag" "$work/ctx" >/dev/null

rm -rf "$here"/demo-*
$B push -q "$tag" "docker-archive:$here/demo-docker-archive.tar:stowaway-fixture:1"
$B push -q "$tag" "oci-archive:$here/demo-oci-archive.tar:stowaway-fixture:1"
$B push -q --compression-format zstd "$tag" "oci:$here/demo-oci-zstd:stowaway-fixture:1"
skopeo copy -q --dest-compress-format zstd:chunked \
  "oci:$here/demo-oci-zstd:stowaway-fixture:1" "oci:$here/demo-oci-zstd-chunked:stowaway-fixture:1"
skopeo copy -q --format v2s2 \
  "oci-archive:$here/demo-oci-archive.tar:stowaway-fixture:1" "dir:$here/demo-dir-v2s2"
$B push -q "$tag" "oci:$work/oci-gzip:stowaway-fixture:1"

# Docker >= 25 shape, as real-images.md describes: decompress each layer, re-hash, and add the
# legacy manifest.json beside the OCI index.
python3 - "$work/oci-gzip" "$work/docker25" <<'PY'
import gzip, hashlib, json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(f"{dst}/blobs/sha256")
def blob(digest): return open(f"{src}/blobs/sha256/{digest.split(':')[1]}", "rb").read()
def put(data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    open(f"{dst}/blobs/sha256/{d.split(':')[1]}", "wb").write(data)
    return d
index = json.loads(open(f"{src}/index.json").read())
manifest = json.loads(blob(index["manifests"][0]["digest"]))
config = blob(manifest["config"]["digest"])
put(config)
layers = []
for layer in manifest["layers"]:
    data = gzip.decompress(blob(layer["digest"]))
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": put(data), "size": len(data)})
manifest["layers"] = layers
mbytes = json.dumps(manifest).encode()
mdigest = put(mbytes)
index["manifests"] = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": mdigest,
    "size": len(mbytes), "annotations": {"io.containerd.image.name": "docker.io/library/stowaway-fixture:1"}}]
open(f"{dst}/index.json", "w").write(json.dumps(index))
open(f"{dst}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
open(f"{dst}/manifest.json", "w").write(json.dumps([{
    "Config": f"blobs/sha256/{manifest['config']['digest'].split(':')[1]}",
    "RepoTags": ["stowaway-fixture:1"],
    "Layers": [f"blobs/sha256/{l['digest'].split(':')[1]}" for l in layers]}]))
PY
tar -C "$work/docker25" -cf "$here/demo-docker25.tar" .
$B rmi -f "$tag" >/dev/null
ls -la "$here"/demo-*
