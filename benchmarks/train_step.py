"""Learner step speed: today's eager step against the compiled step (``training.compile=on``), per preset.

Both learners start from the same weights and train on the same replayed batches (a buffer filled by a few
moves of self-play with the preset's network), one torch thread, deterministic algorithms on, as ``mzlab
train`` runs on CPU. Rounds of eager and compiled steps are interleaved and the best round of each is kept (the
machine is shared). Compilation time is reported separately (``compile_seconds``, first call of the process;
inductor's on-disk cache makes later processes faster). One JSON line per preset:

    python benchmarks/train_step.py [--presets cartpole lunarlander] [--rounds 5] [--seconds 2]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import time

import numpy as np
import torch

from mzlab.config import preset
from mzlab.envs.registry import make_simulator
from mzlab.networks import build_network
from mzlab.search.learned_model import LearnedModel
from mzlab.training.learner import Learner
from mzlab.training.replay import ReplayBuffer
from mzlab.training.self_play import SelfPlay


def replayed_batches(config, network, simulator, *, count: int, rng: np.random.Generator) -> list:
    """``count`` batches sampled from a buffer filled by cheap self-play (4 simulations) with ``network``."""
    fill = dataclasses.replace(config, search=dataclasses.replace(config.search, num_simulations=4))
    buffer = ReplayBuffer(config.replay, observation_shape=simulator.observation_shape,
                          observation_dtype=np.float32, num_actions=simulator.num_actions,
                          discount=config.env.discount)
    model = LearnedModel(network.eval(), discount=config.env.discount)
    self_play = SelfPlay(simulator, fill, rng)
    while buffer.num_games < 8:
        self_play.play_move(model, training_step=0, buffer=buffer)
    return [buffer.sample(config.training.batch_size, rng) for _ in range(count)]


def steps_per_second(learner: Learner, batches: list, seconds: float) -> float:
    steps, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        learner.train_step(batches[steps % len(batches)])
        steps += 1
    return steps / (time.perf_counter() - began)


def preset_case(name: str, *, rounds: int, seconds: float) -> dict:
    config = preset(name)
    config = dataclasses.replace(config, training=dataclasses.replace(config.training, device="cpu"))
    torch.manual_seed(0)
    simulator = make_simulator(config.env)
    network = build_network(config, simulator.observation_shape, simulator.num_actions)
    batches = replayed_batches(config, network, simulator, count=16, rng=np.random.default_rng(0))
    eager = Learner(copy.deepcopy(network), config, compiled=False)
    new = Learner(copy.deepcopy(network), config, compiled=True)
    began = time.perf_counter()
    new.train_step(batches[0])
    compile_seconds = time.perf_counter() - began
    eager.train_step(batches[0])
    eager_rates, new_rates = [], []
    for _ in range(rounds):
        eager_rates.append(steps_per_second(eager, batches, seconds))
        new_rates.append(steps_per_second(new, batches, seconds))
    best_eager, best_new = max(eager_rates), max(new_rates)
    return {"case": "train_step", "preset": name, "eager_steps_per_s": round(best_eager, 1),
            "new_steps_per_s": round(best_new, 1), "ratio_vs_eager": round(best_new / best_eager, 2),
            "compile_seconds": round(compile_seconds, 1), "batch_size": config.training.batch_size,
            "unroll_steps": config.replay.num_unroll_steps, "rounds": rounds, "seconds_per_round": seconds,
            "load_average": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["cartpole", "lunarlander"])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved eager/compiled rounds (best kept)")
    parser.add_argument("--seconds", type=float, default=2.0, help="timing window per round and learner")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)  # as the Trainer on CPU
    for name in args.presets:
        print(json.dumps(preset_case(name, rounds=args.rounds, seconds=args.seconds)), flush=True)


if __name__ == "__main__":
    main()
