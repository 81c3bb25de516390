"""Cart Pole training speed: wall-clock minutes to a mean greedy MCTS return >= 200 and >= 475 (32 episodes,
evaluation time excluded), learner steps per second, and self-play environment steps per second at 50
simulations. Prints one JSON line per case, with ratios against muzero-general measured on the same machine.

    .venv/bin/python benchmarks/train_cartpole.py [--preset cartpole] [--minutes 12] [--eval-every 250]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
import time

import numpy as np
import torch

from mzlab.config import preset
from mzlab.config_io import apply_overrides, validate
from mzlab.envs.registry import make_simulator
from mzlab.networks import build_network
from mzlab.runs import RunDirectory
from mzlab.search.learned_model import LearnedModel
from mzlab.training.evaluation import evaluate_network
from mzlab.training.loop import Trainer
from mzlab.training.replay import ReplayBuffer
from mzlab.training.self_play import SelfPlay

MUZERO_GENERAL = {"minutes_to_200": 11.3, "minutes_to_475": None, "train_steps_per_second": 11.8,
                  "self_play_env_steps_per_second": 7.9}
"""muzero-general, default Cart Pole config, measured on this machine (issue 4)."""


class _Stop(Exception):
    pass


def learning_case(config, *, minutes: float, eval_every: int, episodes: int) -> dict:
    thresholds = {200: None, 475: None}
    curve = []
    with tempfile.TemporaryDirectory() as directory:
        run = RunDirectory.create_or_resume(directory + "/run", config)
        trainer = Trainer(config, run, progress=False)
        state = {"eval_seconds": 0.0, "start": time.perf_counter()}

        def on_step(t: Trainer) -> None:
            if t.learner.step % eval_every:
                return
            began = time.perf_counter()
            training_minutes = (began - state["start"] - state["eval_seconds"]) / 60
            returns = evaluate_network(t.network, config, episodes=episodes, policy="mcts", actions="greedy",
                                       seed=12345, training_step=t.learner.step)
            state["eval_seconds"] += time.perf_counter() - began
            mean = float(np.mean(returns))
            curve.append({"step": t.learner.step, "minutes": round(training_minutes, 3), "mean_return": mean,
                          "env_steps": t.env_steps})
            print(json.dumps({"progress": curve[-1]}), flush=True)
            for threshold in thresholds:
                if thresholds[threshold] is None and mean >= threshold:
                    thresholds[threshold] = {"minutes": round(training_minutes, 3), "step": t.learner.step}
            if thresholds[475] is not None or training_minutes > minutes:
                raise _Stop

        try:
            trainer.run(on_step=on_step)
        except _Stop:
            pass
        train_seconds = time.perf_counter() - state["start"] - state["eval_seconds"]
    result = {
        "case": "learning", "preset": config_name(config), "minutes_to_200": _get(thresholds[200], "minutes"),
        "step_to_200": _get(thresholds[200], "step"), "minutes_to_475": _get(thresholds[475], "minutes"),
        "step_to_475": _get(thresholds[475], "step"), "budget_minutes": minutes,
        "train_steps": trainer.learner.step, "env_steps": trainer.env_steps,
        "train_steps_per_second": round(trainer.learner.step / train_seconds, 2),
        "best_mean_return": max((point["mean_return"] for point in curve), default=None),
        "eval_episodes": episodes, "eval_every": eval_every,
    }
    if result["minutes_to_200"]:
        speedup = MUZERO_GENERAL["minutes_to_200"] / result["minutes_to_200"]
        result["speedup_to_200_vs_muzero_general"] = round(speedup, 1)
    result["train_steps_per_second_vs_muzero_general"] = round(
        result["train_steps_per_second"] / MUZERO_GENERAL["train_steps_per_second"], 2)
    result["curve"] = curve
    return result


def self_play_case(config, *, num_actors: int, seconds: float = 5.0) -> dict:
    simulator = make_simulator(config.env)
    network = build_network(config, simulator.observation_shape, simulator.num_actions).eval()
    model = LearnedModel(network, discount=config.env.discount)
    buffer = ReplayBuffer(config.replay, observation_shape=simulator.observation_shape,
                          observation_dtype=np.float32, num_actions=simulator.num_actions,
                          discount=config.env.discount)
    self_play = SelfPlay(simulator, config, np.random.default_rng(0), num_actors=num_actors)
    self_play.play_move(model, training_step=0, buffer=buffer)  # compile the search kernels
    began, moves = time.perf_counter(), 0
    while time.perf_counter() - began < seconds:
        self_play.play_move(model, training_step=0, buffer=buffer)
        moves += 1
    rate = moves * num_actors / (time.perf_counter() - began)
    return {"case": "self_play", "num_actors": num_actors, "simulations": config.search.num_simulations,
            "env_steps_per_second": round(rate, 1),
            "vs_muzero_general": round(rate / MUZERO_GENERAL["self_play_env_steps_per_second"], 1)}


def config_name(config) -> str:
    return getattr(config, "_preset_name", "custom")


def _get(entry, key):
    return None if entry is None else entry[key]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="cartpole")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--minutes", type=float, default=12.0, help="training budget (evaluation excluded)")
    parser.add_argument("--eval-every", type=int, default=250, help="learner steps between evaluations")
    parser.add_argument("--episodes", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-learning", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = validate(apply_overrides(dataclasses.replace(preset(args.preset), seed=args.seed), args.overrides))
    for num_actors in (16, 64, 256):
        print(json.dumps(self_play_case(config, num_actors=num_actors)), flush=True)
    if not args.skip_learning:
        result = learning_case(config, minutes=args.minutes, eval_every=args.eval_every, episodes=args.episodes)
        result["preset"] = args.preset
        result["overrides"] = args.overrides
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
