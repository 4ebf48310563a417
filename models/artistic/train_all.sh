#!/bin/bash
# Train (resumably) and export every artistic look, then the no-temporal ablations.
#
#   nohup bash models/artistic/train_all.sh > models/artistic/runs/train_all.log 2>&1 &
#   SCHEDULE=gpu DEVICE=cuda bash models/artistic/train_all.sh      # on a GPU machine
#   ONLY="starry-night-art" VARIANTS="temporal" bash models/artistic/train_all.sh
#
# Order: the first look with and without the temporal loss (so the warping-error comparison
# exists early), then the other looks with it, then their no-temporal variants. Every run is
# resumed from its checkpoint; finished runs (weights.pt present) are only re-exported.
# Runs niced (nice -n 19) with THREADS torch threads (default 1). Ends with the ONNX check.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
SCHEDULE=${SCHEDULE:-cpu}
DEVICE=${DEVICE:-cpu}
VARIANTS=${VARIANTS:-"temporal notemporal"}
STYLES=$($PY -c "import json; print(' '.join(s['id'] for s in json.load(open('models/artistic/styles.json'))['styles']))")
ONLY=${ONLY:-$STYLES}
THREADS=${THREADS:-1}   # 1: on a shared 2-core machine, 2 OpenMP threads stall each other (7 s vs 1.2 s/step measured)
NICE="nice -n 19"
[ "$DEVICE" = cpu ] || NICE=""

size=$($PY -c "import sys; sys.path.insert(0,'models/artistic'); import train; c=dict(train.DEFAULTS); c.update(train.SCHEDULES['$SCHEDULE']); print(c['size'])" 2>/dev/null)
if [ "$DEVICE" = cpu ] && [ ! -f "models/artistic/runs/bank_${size}.pt" ]; then
  echo "== $(date +%T) building the content-pair bank (${size}px)"
  $NICE $PY models/artistic/bank.py --size "$size" --pairs 2000
fi

first=${FIRST:-${ONLY%% *}}
run() {  # style variant
  local style=$1 variant=$2 extra="" dir="models/artistic/runs/$1" suffix=""
  if [ "$variant" = notemporal ]; then extra="--no-temporal"; suffix="-notemporal"; dir="$dir$suffix"; fi
  # every look after the first fine-tunes from the first look's network of the same variant
  # (schedule's warm_steps); WARM=0 trains every look from scratch
  if [ "$style" != "$first" ] && [ "${WARM:-1}" = 1 ]; then
    extra="$extra --init models/artistic/runs/$first$suffix/weights.pt"
  fi
  if [ ! -f "$dir/weights.pt" ]; then
    echo "== $(date +%T) train $style ($variant, $SCHEDULE on $DEVICE)"
    $NICE $PY models/artistic/train.py --style "$style" --schedule "$SCHEDULE" --device "$DEVICE" \
      --seed 0 --threads "$THREADS" --resume $extra --out "$dir"
  fi
  echo "== $(date +%T) export $style ($variant)"
  $PY models/artistic/export.py --run "$dir"
}

order=()
for v in $VARIANTS; do order+=("$first:$v"); done
for v in $VARIANTS; do
  for s in $ONLY; do [ "$s" = "$first" ] || order+=("$s:$v"); done
done
for item in "${order[@]}"; do run "${item%%:*}" "${item##*:}"; done

echo "== $(date +%T) check"
node models/artistic/check_onnx.mjs --no-timing
echo "== $(date +%T) all done"
# warping error (with vs without the temporal loss) and the README figures
$PY models/artistic/eval_temporal.py || true
$PY models/artistic/figures.py || true
