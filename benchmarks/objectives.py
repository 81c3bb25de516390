"""Cost of each training objective's learner step on the ``cartpole`` preset (batch 128, K = 10).

Prints one JSON line per objective: ``{"case": "learner_step", "objective": ..., "steps_per_second": ...,
"ratio_to_muzero": ...}``; every objective is measured in the same run on the same fixed batch (sampling,
reanalyse and self-play excluded: only ``Learner.train_step``), alternating objectives in rounds so machine
load hits all of them alike.

    PYTHONPATH=. python benchmarks/objectives.py [--steps 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np
import torch

from mzlab.config import preset
from mzlab.networks import build_network
from mzlab.training.learner import Learner
from mzlab.training.objectives.registry import objective_names
from mzlab.training.replay import ReplayBuffer


def fixed_batch(config, rng):
    buffer = ReplayBuffer(config.replay, observation_shape=(4,), observation_dtype=np.float32, num_actions=2,
                          discount=config.env.discount)
    for length in (60, 120, 200, 500):
        buffer.add_game(rng.normal(size=(length, 4)).astype(np.float32), rng.integers(0, 2, length),
                        np.ones(length), rng.normal(size=length) * 5 + 20, rng.dirichlet([1, 1], size=length))
    return buffer.sample(config.training.batch_size, rng, fields={"unroll_observations"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    base = preset("cartpole")
    batch = fixed_batch(base, np.random.default_rng(0))
    learners = {}
    for name in objective_names():
        config = dataclasses.replace(base, training=dataclasses.replace(base.training, objective=name))
        torch.manual_seed(0)
        learners[name] = Learner(build_network(config, (4,), 2), config)
        learners[name].train_step(batch)  # warm-up
    seconds = {name: [] for name in learners}
    for _ in range(args.rounds):
        for name, learner in learners.items():
            started = time.perf_counter()
            for _ in range(args.steps):
                learner.train_step(batch)
            seconds[name].append(time.perf_counter() - started)
    best = {name: min(values) for name, values in seconds.items()}
    for name in learners:
        print(json.dumps({"case": "learner_step", "objective": name, "batch_size": base.training.batch_size,
                          "num_unroll_steps": base.replay.num_unroll_steps,
                          "steps_per_second": round(args.steps / best[name], 1),
                          "ratio_to_muzero": round(best["muzero"] / best[name], 3)}))


if __name__ == "__main__":
    main()
