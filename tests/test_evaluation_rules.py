"""Reported returns are the game's own score, and root noise follows one rule in evaluate and the analysis."""

import dataclasses

import pytest
import torch

import mzlab.training.evaluation as evaluation
from mzlab.config import preset
from mzlab.envs.registry import scoring_env_config
from mzlab.errors import MzlabError
from mzlab.networks import build_network


def test_scoring_env_turns_training_devices_off():
    breakout = dataclasses.replace(preset("breakout").env, episodic_life=True)
    assert breakout.clip_rewards
    scoring = scoring_env_config(breakout)
    assert not scoring.clip_rewards and not scoring.episodic_life
    assert dataclasses.replace(scoring, clip_rewards=True, episodic_life=True) == breakout
    assert scoring_env_config(preset("cartpole").env) == preset("cartpole").env


@pytest.mark.parametrize(
    "actions, noise, expected",
    [("greedy", None, False), ("sample", None, True), ("sample", False, False), ("sample", True, True)],
)
def test_root_noise_rule(monkeypatch, actions, noise, expected):
    seen = []
    real_search = evaluation.run_search

    def spy(model, observations, *, config, **kwargs):
        seen.append(config.add_noise)
        return real_search(model, observations, config=config, **kwargs)

    monkeypatch.setattr(evaluation, "run_search", spy)
    config = preset("cartpole")
    config = dataclasses.replace(config, search=dataclasses.replace(config.search, num_simulations=4),
                                 env=dataclasses.replace(config.env, max_episode_steps=3))
    torch.manual_seed(0)
    network = build_network(config, (4,), 2)
    returns = evaluation.evaluate_network(network, config, episodes=2, actions=actions, noise=noise)
    assert seen and set(seen) == {expected}
    assert list(returns) == [3.0, 3.0]  # 3-step cap: Cart Pole cannot fall that fast


def test_noise_on_with_greedy_is_refused():
    config = preset("cartpole")
    with pytest.raises(MzlabError, match="--noise on needs --actions sample"):
        evaluation.evaluate_network(build_network(config, (4,), 2), config, episodes=1, actions="greedy", noise=True)
