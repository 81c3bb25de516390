"""The analysis on Gumbel agents: the behaviour policy is the Gumbel search's (improved policy, greedy = the
sequential-halving winner), and every experiment runs on a Cart Pole run trained with Gumbel at 2 simulations."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from analysis_fakes import RingSimulator, learned_model, start_states

from mzlab.analysis.policies import behaviour_policy
from mzlab.analysis.search_prior import search_prior_frame, total_variation
from mzlab.cli import main
from mzlab.config import preset
from mzlab.config_io import apply_overrides
from mzlab.search import run_search, softmax

GAMMA = 0.9


def _gumbel_config():
    return apply_overrides(preset("cartpole"), ["search.algorithm=gumbel", "search.num_simulations=6"])


def test_behaviour_probabilities_are_the_improved_policy_and_greedy_the_winner():
    model = learned_model()
    snapshots, observations = start_states([0, 1, 2])
    config = _gumbel_config()
    sampled = behaviour_policy(model, config, 0)
    assert sampled.search_config.add_noise is True
    probabilities = sampled.probabilities(observations, snapshots, np.random.default_rng(4))
    reference = run_search(model, observations, config=sampled.search_config, rng=np.random.default_rng(4),
                           snapshots=snapshots)
    np.testing.assert_allclose(probabilities, reference.improved_policy)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert np.all((probabilities > 0) & (probabilities < 1))  # a distribution, not an argmax
    greedy = behaviour_policy(model, config, 0, greedy=True)
    assert greedy.search_config.add_noise is False
    one_hot = greedy.probabilities(observations, snapshots, np.random.default_rng(0))
    quiet = run_search(model, observations, config=greedy.search_config, rng=np.random.default_rng(9),
                       snapshots=snapshots)
    np.testing.assert_array_equal(one_hot.argmax(axis=1), quiet.action)
    np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)


def test_search_prior_compares_the_improved_policy_with_the_prior():
    simulator = RingSimulator(horizon=20)
    model = learned_model()
    snapshots, observations = start_states([0, 1])
    config = dataclasses.replace(_gumbel_config().search, num_simulations=8)
    frame = search_prior_frame(simulator, model, snapshots, observations, search_config=config, simulations=[8],
                               discount=GAMMA, rng=np.random.default_rng(0), priors=("policy",))
    output = run_search(model, observations, config=dataclasses.replace(config, add_noise=False),
                        rng=np.random.default_rng(0), snapshots=snapshots)
    prior = softmax(model.prior_logits[[0, 1]])
    np.testing.assert_allclose(frame.sort_values("state_index")["tv_distance"],
                               total_variation(output.improved_policy, prior))


@pytest.mark.slow
def test_every_experiment_runs_on_a_gumbel_agent_trained_at_two_simulations(tmp_path):
    run_dir = tmp_path / "run"
    overrides = ["search.algorithm=gumbel", "search.num_simulations=2", "training.training_steps=20",
                 "training.checkpoint_interval=10", "training.batch_size=16", "training.warmup_games=1",
                 "training.num_actors=2", "replay.reanalyse_mode=search"]
    argv = ["train", "--env", "cartpole", "--seed", "1", "--run-dir", str(run_dir), "--no-progress"]
    for override in overrides:
        argv += ["--set", override]
    assert main(argv) == 0
    out = tmp_path / "results"
    assert main(["analyze", "all", "--run-dir", str(run_dir), "--out", str(out), "--quick"]) == 0
    for experiment in ("learning-curves", "value-error", "sequence-rank", "cross-step", "search-prior", "planning"):
        assert len(pd.read_parquet(out / f"{experiment}.parquet")) > 0, experiment
