#!/usr/bin/env bash
# Trains the emoji model on one CUDA GPU and returns its EMA weights (in 15 MB parts) and a
# sample grid. The dataset travels gzipped in .carry/emoji-data/ (see models/emoji/README.md).
#   MINUTES=6.5 bash models/emoji/train/gpu-run.sh   # writes to $OUT
# Continue from an earlier run's EMA weights: INIT_EMA=.carry/init/ema16.pt LR=1e-3 MINUTES=4 ...
# FOCUS=0.7 draws 70% of the timesteps from [700, 999], where the prompt decides the picture.
set -uo pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/out}
mkdir -p /tmp/data "$OUT"
for f in images.u8 dataset.json vocab.json; do
  if [ -f ".carry/emoji-data/$f.xz" ]; then python3 -c "import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" ".carry/emoji-data/$f.xz" "/tmp/data/$f" || exit 1
  else gunzip -c ".carry/emoji-data/$f.gz" > "/tmp/data/$f" || exit 1; fi
done
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name())" | tee "$OUT/train.log"
finish() {
  [ -f /tmp/run/ema.pt ] && split -b 15M /tmp/run/ema.pt "$OUT/ema.pt.part-"
  cp /tmp/run/summary.json "$OUT/" 2>/dev/null
}
trap finish EXIT
python3 models/emoji/train/train.py --config gpu --minutes "${MINUTES:-6.5}" --data /tmp/data --out /tmp/run \
  --save-every 1 ${INIT:+--init "$INIT"} ${INIT_EMA:+--init-ema "$INIT_EMA"} ${LR:+--lr "$LR"} ${FOCUS:+--focus "$FOCUS"} 2>&1 | tee -a "$OUT/train.log"
python3 models/emoji/train/sample.py --weights /tmp/run/ema.pt --data /tmp/data --out "$OUT/samples.png" 2>&1 | tail -3
