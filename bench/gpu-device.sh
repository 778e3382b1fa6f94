#!/usr/bin/env bash
# The SD-1.5-class GPU benchmark, in one go, on a machine with PyTorch and NVIDIA's driver but no
# Node, no Vulkan loader and no internet. Run from the repository root with the bundle of
# bench/pack-gpu.sh (BUNDLE, default .carry/gpu-bundle) next to it; figures go to $OUT.
#   1. unpacks Node (xz), onnxruntime-node (tar.xz) and Debian's Vulkan loader (dpkg -x, or a
#      Python fallback), and finds NVIDIA's Vulkan driver manifest (writes one if only the
#      library is there, as in containers without the graphics capability);
#   2. builds the model with this machine's PyTorch (bench/build-sd15.py; float16 on CUDA);
#   3. runs `pipeline --steps N` on --device webgpu, then --device auto (which device auto picks
#      and why), each under a time limit so that the whole stays within about 8 minutes.
# Env: BUNDLE, OUT (default ./gpu-out), TINY=1 (small model: to test this script without a GPU,
# e.g. on Mesa's lavapipe), DTYPE (default float16 when CUDA is available, else float32), STEPS.
set -euo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
BUNDLE=$(cd "${BUNDLE:-.carry/gpu-bundle}" && pwd)
OUT=${OUT:-$PWD/gpu-out}
mkdir -p "$OUT"
WORK=$(mktemp -d)
LOG="$OUT/gpu-device.log"
: >"$LOG"
say() { echo "[$(($(date +%s) - START))s] $*" | tee -a "$LOG"; }
PY=${PYTHON:-python3}

# --- 1. unpack -------------------------------------------------------------------------------
unxz_to() { # file.xz dest
  if command -v xz >/dev/null; then xz -dc "$1" >"$2"; else "$PY" -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; fi
}
say "unpacking the bundle from $BUNDLE into $WORK"
unxz_to "$BUNDLE/node.xz" "$WORK/node" && chmod +x "$WORK/node"
if command -v xz >/dev/null; then tar -C "$WORK" -xJf "$BUNDLE/ort.tar.xz"; else "$PY" -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$BUNDLE/ort.tar.xz" "$WORK"; fi
cp "$BUNDLE/bench.mjs" "$WORK/bench.mjs"
if command -v dpkg >/dev/null; then
  dpkg -x "$BUNDLE/libvulkan1.deb" "$WORK/vk"
else # a .deb is an ar archive holding data.tar.xz
  "$PY" - "$BUNDLE/libvulkan1.deb" "$WORK/vk" <<'EOF'
import io, sys, tarfile
data = open(sys.argv[1], "rb").read()
pos = 8
while pos < len(data):
    name, size = data[pos:pos + 16].decode().strip().rstrip("/"), int(data[pos + 48:pos + 58])
    if name.startswith("data.tar"):
        tarfile.open(fileobj=io.BytesIO(data[pos + 60:pos + 60 + size])).extractall(sys.argv[2])
    pos += 60 + size + (size & 1)
EOF
fi
export LD_LIBRARY_PATH="$WORK/vk/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$WORK}
say "node $("$WORK/node" --version); Vulkan loader $(ls "$WORK"/vk/usr/lib/x86_64-linux-gnu/libvulkan.so.1.* | xargs -n1 basename)"

# NVIDIA's Vulkan driver: its manifest where the loader looks, else one written for its library.
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  icd=$(ls /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json 2>/dev/null | head -1 || true)
  [ -n "$icd" ] || icd=$(find /usr /etc /opt -name 'nvidia_icd*.json' 2>/dev/null | head -1 || true)
  if [ -z "$icd" ]; then
    lib=$(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0 2>/dev/null | head -1 || true)
    if [ -n "$lib" ]; then
      icd="$WORK/nvidia_icd.json"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$lib" >"$icd"
    fi
  fi
  if [ -n "$icd" ]; then
    case "$icd" in /usr/share/vulkan/icd.d/* | /etc/vulkan/icd.d/*) ;; *) export VK_DRIVER_FILES="$icd" ;; esac
    say "NVIDIA Vulkan driver manifest: $icd"
  else
    say "no NVIDIA Vulkan driver manifest found; the loader's default search applies"
  fi
fi
{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader; } >>"$LOG" 2>&1 || true

# --- 2. the model ----------------------------------------------------------------------------
cuda=$("$PY" -c 'import torch; print(int(torch.cuda.is_available()))' 2>/dev/null || echo 0)
DTYPE=${DTYPE:-$([ "$cuda" = 1 ] && echo float16 || echo float32)}
MODEL="$WORK/sd15-$DTYPE"
say "building the model ($DTYPE${TINY:+, tiny}; torch $("$PY" -c 'import torch; print(torch.__version__)'), CUDA $cuda)"
timeout 300 "$PY" bench/build-sd15.py "$MODEL" --dtype "$DTYPE" ${TINY:+--tiny} 2>&1 | grep -v -i warn | tee -a "$LOG"
du -sh "$MODEL" | tee -a "$LOG"

# --- 3. the benchmark ------------------------------------------------------------------------
STEPS=${STEPS:-$([ -n "${TINY:-}" ] && echo 3 || echo 20)}
bench() { # device seconds
  say "bench --device $1 --steps $STEPS (limit $2 s)"
  timeout "$2" "$WORK/node" "$WORK/bench.mjs" --model "$MODEL" --device "$1" --steps "$STEPS" \
    --json "$OUT/figures-$1.json" 2>&1 | grep -v '^Warning: maxDynamic' | tee -a "$LOG" || say "bench --device $1 failed or ran out of time"
}
bench webgpu $((455 - ($(date +%s) - START)))
left=$((470 - ($(date +%s) - START)))
if [ "$left" -gt 45 ]; then STEPS=2 bench auto "$left"; else say "no time left for --device auto"; fi
say "done; figures in $OUT"
rm -rf "$WORK"
