#!/usr/bin/env bash
# Prepare what bench/gpu-device.sh needs on a GPU machine that has PyTorch and NVIDIA's driver
# but no Node, no Vulkan loader and no internet. Writes, into DIR (default .carry/gpu-bundle,
# git-ignored; about 45 MB, under the 64 MiB a device run may carry):
#   node.xz         this machine's Node binary, xz -9
#   bench.mjs       bench/pipeline.ts bundled with esbuild (onnxruntime-node external, sharp stubbed:
#                   the bench writes no images)
#   ort.tar.xz      node_modules/onnxruntime-node (linux/x64 binaries only) and onnxruntime-common
#   libvulkan1.deb  Debian's Vulkan loader (unpacked there with dpkg -x)
# Usage: bench/pack-gpu.sh [DIR]   (Debian/Ubuntu x64 with node_modules installed)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=${1:-.carry/gpu-bundle}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node_bin=$(command -v node)
echo "node: $node_bin ($(node --version)) -> $DIR/node.xz"
xz -9 -T0 -c "$node_bin" >"$DIR/node.xz"

echo "bench: bench/pipeline.ts -> $DIR/bench.mjs"
cat >"$tmp/sharp-stub.mjs" <<'EOF'
export default function sharp() {
  throw new Error('sharp is not part of the GPU bench bundle');
}
EOF
cat >"$tmp/entry.ts" <<EOF
import { main } from '$PWD/bench/pipeline.ts';
await main(process.argv.slice(2));
EOF
npx --no-install esbuild "$tmp/entry.ts" --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --alias:sharp="$tmp/sharp-stub.mjs" --log-level=warning \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --outfile="$DIR/bench.mjs"

echo "onnxruntime-node: linux/x64 -> $DIR/ort.tar.xz"
tar -C . -cf - \
  node_modules/onnxruntime-common \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/darwin' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/win32' \
  --exclude='node_modules/onnxruntime-node/bin/napi-v6/linux/arm64' \
  node_modules/onnxruntime-node | xz -6 -T0 >"$DIR/ort.tar.xz"

echo "libvulkan1: -> $DIR/libvulkan1.deb"
deb=$(ls /var/cache/apt/archives/libvulkan1_*_amd64.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
  (cd "$tmp" && apt-get download libvulkan1 >/dev/null)
  deb=$(ls "$tmp"/libvulkan1_*.deb | head -1)
fi
cp "$deb" "$DIR/libvulkan1.deb"

du -ch "$DIR"/* | sed 's/^/  /'
echo "bundle ready: $DIR (run bench/gpu-device.sh there with BUNDLE=$DIR, or carry it)"
