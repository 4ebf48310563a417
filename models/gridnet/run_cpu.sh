#!/bin/sh
# The full CPU schedule, both models, one after the other (resumable: rerun the same command).
#   nohup sh models/gridnet/run_cpu.sh > models/gridnet/runs/run_cpu.log 2>&1 &
# 1) the main model (mask phase <= 10 min, then the grid network until 90 min in all);
# 2) the --no-temporal ablation, reusing (frozen) the main run's mask network, with the same
#    main-phase time budget (79 min).
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
nice -n 19 $PY models/gridnet/train.py --schedule cpu --threads 1 --out models/gridnet/runs/cpu_main --resume &&
nice -n 19 $PY models/gridnet/train.py --schedule cpu --threads 1 --no-temporal --max-minutes 80 \
  --mask-from models/gridnet/runs/cpu_main/final.pt --out models/gridnet/runs/cpu_notemporal --resume
