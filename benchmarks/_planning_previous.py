"""The planning experiment as the code before batched planning ran it: one ``run_episodes`` per setting.

Run with the previous source tree first on ``PYTHONPATH`` (e.g. ``git archive main mzlab | tar -x -C DIR``);
only functions that existed before are used. Arguments: RUN_DIR STEP EPISODES MAX_STEPS(0 = none) OUT.parquet.
Prints one JSON line ``{"seconds", "cpu_seconds"}`` and writes the table to OUT for the equality check.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time

import numpy as np
import pandas as pd
import torch

from mzlab.analysis.learning_curves import episodes_frame
from mzlab.analysis.on_policy import episode_seeds
from mzlab.analysis.planning import planning_settings
from mzlab.analysis.policies import PriorPolicy, SearchPolicy
from mzlab.envs.registry import make_simulator
from mzlab.runs import RunDirectory
from mzlab.search import LearnedModel, TrueModel
from mzlab.search.acting import visit_temperature


def main() -> None:
    run_dir, step, episodes, max_steps, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), \
        sys.argv[5]
    torch.set_num_threads(1)
    run = RunDirectory.open(run_dir)
    config = run.config
    network = run.load_network(step, device="cpu")
    simulator = make_simulator(config.env)
    discount = config.env.discount
    models = {"learned": LearnedModel(network, discount=discount),
              "true": TrueModel(simulator, network=network, discount=discount)}
    temperature = visit_temperature(step, config.training)
    seeds = episode_seeds(config.seed, episodes, stream=3)
    settings = planning_settings((5, 10, 25, 50, 100), ("rollout",))

    def policy_for(model, prior, leaf, num_simulations):
        if model == "none":
            return PriorPolicy(models["learned"], temperature=1.0)
        search = dataclasses.replace(config.search, prior=prior, leaf=leaf, num_simulations=num_simulations,
                                     rollout_horizon=config.replay.td_steps, add_noise=False)
        return SearchPolicy(models[model], search, temperature)

    warm = policy_for("true", "policy", "rollout", 5)
    episodes_frame(simulator, warm, seeds[:1], rng=np.random.default_rng(0), max_steps=3, constants={})
    start, cpu = time.perf_counter(), time.process_time()
    frames = []
    for index, (model, prior, leaf, num_simulations) in enumerate(settings):
        frames.append(episodes_frame(
            simulator, policy_for(model, prior, leaf, num_simulations), seeds,
            rng=np.random.default_rng([0, step, index]), max_steps=max_steps or None,
            constants={"model": model, "prior": prior, "leaf": leaf, "num_simulations": num_simulations}))
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    pd.concat(frames, ignore_index=True).to_parquet(out, index=False)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}))


if __name__ == "__main__":
    main()
