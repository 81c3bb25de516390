"""``mzlab demo``: the quick-start job. For now: a short seeded random-policy rollout in every simulator."""

from __future__ import annotations

import argparse
import time

import numpy as np

from mzlab.config import preset
from mzlab.envs.registry import make_simulator, simulator_names

__all__ = ["add_parser", "run", "random_rollout"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the quick-start demo (random-policy rollouts for now)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the episodes and the random policy")
    parser.add_argument("--steps", type=int, default=200, help="at most this many steps per simulator")
    parser.set_defaults(func=run)


def random_rollout(name: str, *, seed: int, max_steps: int) -> tuple[float, int, bool]:
    """``(return, steps, ended)`` of a uniformly random policy in simulator ``name`` (paper preset settings)."""
    simulator = make_simulator(preset(name).env)
    rng = np.random.default_rng(seed)
    simulator.reset(seed)
    total, steps = 0.0, 0
    for steps in range(1, max_steps + 1):
        transition = simulator.step(int(rng.integers(simulator.num_actions)))
        total += transition.reward
        if transition.terminated or transition.truncated:
            return total, steps, True
    return total, steps, False


def run(args: argparse.Namespace) -> int:
    print(f"random-policy rollouts, seed {args.seed}, at most {args.steps} steps each")
    for name in simulator_names():
        start = time.perf_counter()
        total, steps, ended = random_rollout(name, seed=args.seed, max_steps=args.steps)
        seconds = time.perf_counter() - start
        status = "episode ended" if ended else "step limit"
        print(f"  {name:<12} return {total:9.3f} over {steps:4d} steps ({status}, {seconds:.2f} s)")
    return 0
