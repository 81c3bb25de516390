"""Batched planning (every setting and episode in one search per model and move) against the reference that
plays each setting on its own (one ``run_episodes`` per setting), on Cart Pole with a seeded network."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from mzlab.analysis.grouped_search import SearchGroup, grouped_search
from mzlab.analysis.planning import planning_frame, planning_frame_unbatched, planning_settings
from mzlab.config import preset
from mzlab.envs.registry import make_simulator
from mzlab.networks import build_network
from mzlab.search import LearnedModel, TrueModel, run_search


@pytest.fixture(scope="module")
def cartpole():
    torch.manual_seed(3)
    config = preset("cartpole")
    simulator = make_simulator(config.env)
    network = build_network(config, (4,), 2).eval()
    models = {"learned": LearnedModel(network, discount=config.env.discount),
              "true": TrueModel(simulator, network=network, discount=config.env.discount)}
    return config, simulator, models


def test_grouped_search_matches_one_search_per_group(cartpole):
    config, simulator, models = cartpole
    snapshots, observations = simulator.reset_snapshots(np.arange(7))
    search = dataclasses.replace(config.search, rollout_horizon=4, add_noise=True)
    layout = [("uniform", "rollout", 9, 3), ("policy", "value", 6, 2), ("policy", "rollout", 2, 2)]
    for model in models.values():
        groups = [SearchGroup(p, leaf, n, c, np.random.default_rng(i)) for i, (p, leaf, n, c) in enumerate(layout)]
        visits = grouped_search(model, observations, snapshots, groups, config=search)
        start = 0
        for i, (prior, leaf, n, c) in enumerate(layout):
            alone = dataclasses.replace(search, prior=prior, leaf=leaf, num_simulations=n)
            rows = slice(start, start + c)
            expected = run_search(model, observations[rows], config=alone, rng=np.random.default_rng(i),
                                  snapshots=snapshots[rows]).visit_counts
            np.testing.assert_array_equal(visits[rows], expected)
            assert (visits[rows].sum(axis=1) == n).all()
            start += c


def test_batched_planning_gives_the_returns_of_one_run_per_setting(cartpole):
    config, simulator, models = cartpole
    search = dataclasses.replace(config.search, rollout_horizon=5)
    settings = planning_settings((2, 6), ("rollout", "value"))
    arguments = dict(rng_for=lambda i: np.random.default_rng([11, i]), temperature=1.0, max_steps=25,
                     constants={"step": 0})
    seeds = [5, 6, 7]
    batched = planning_frame(simulator, models, search, settings, seeds, **arguments)
    reference = planning_frame_unbatched(simulator, models, search, settings, seeds, **arguments)
    assert len(batched) == len(settings) * len(seeds)
    pd.testing.assert_frame_equal(batched, reference)
    # the settings really differ (otherwise equality would be cheap): some returns differ between settings
    assert batched.groupby(["model", "prior", "leaf", "num_simulations"])["return"].sum().nunique() > 1


def test_cartpole_rollout_kernel_equals_stepping_the_simulator(cartpole):
    config, simulator, _ = cartpole
    rng = np.random.default_rng(0)
    snapshots, _ = simulator.reset_snapshots(np.arange(64))
    for _ in range(30):  # spread the states out; some end (terminated) on the way
        snapshots = simulator.step_snapshots(snapshots, rng.integers(2, size=64)).snapshots
    snapshots[:3, 4] = 495.0  # three close to truncation
    actions = rng.integers(2, size=(50, 64))
    expected = np.zeros(64)
    running = np.ones(64)
    current = snapshots
    for step_actions in actions:
        transition = simulator.step_snapshots(current, step_actions)
        ended = transition.terminated | transition.truncated
        expected += running * transition.rewards
        running *= np.where(ended, 0.0, 0.997)
        current = transition.snapshots
    np.testing.assert_array_equal(simulator.rollout_returns(snapshots, actions, discount=0.997), expected)
    assert len(set(np.round(expected, 6))) > 5
