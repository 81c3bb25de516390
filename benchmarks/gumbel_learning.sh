#!/bin/bash
# Issue 12's learning benchmark: Cart Pole with Gumbel MuZero at 4 simulations against pUCT at 50, the same
# seeds alternating in one run (benchmarks/train_cartpole.py per case: minutes and learner steps to a mean
# greedy MCTS return >= 200 and >= 475 over 32 episodes, evaluation every 250 steps, evaluation time excluded).
#   bash benchmarks/gumbel_learning.sh [SEEDS...]   (default 0 1 2 3 4; one JSON line per case, '#' lines say
#                                                     which case starts, when, at what load)
cd "$(dirname "$0")/.." || exit 1
PY=${PYTHON:-.venv/bin/python}
FAST="--set training.compile=auto --set training.self_play_mode=overlap"
for s in "${@:-0 1 2 3 4}"; do
  for s1 in $s; do
    echo "# seed $s1 gumbel4 $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    nice -n 2 $PY benchmarks/train_cartpole.py --seed "$s1" --minutes 12 --eval-every 250 \
      --set search.algorithm=gumbel --set search.num_simulations=4 $FAST | grep -v '"progress"'
    echo "# seed $s1 puct50 $(date -u +%H:%M:%S) load $(cut -d' ' -f1 /proc/loadavg)"
    nice -n 2 $PY benchmarks/train_cartpole.py --seed "$s1" --minutes 12 --eval-every 250 $FAST | grep -v '"progress"'
  done
done
