"""Registry, gymnasium replay wrapper and the ``mzlab envs`` command."""

import gymnasium as gym
import numpy as np
import pytest

from mzlab.cli import main
from mzlab.config import EnvConfig, preset
from mzlab.envs import make_simulator, simulator_names
from mzlab.envs.gym_replay import ReplaySnapshot
from mzlab.errors import MzlabError


def test_acrobot_through_gym_replay_matches_gymnasium_and_restores_exactly():
    simulator = make_simulator(EnvConfig(name="gym:Acrobot-v1", discount=0.99, max_episode_steps=60))
    assert (simulator.num_actions, simulator.observation_shape) == (3, (6,))
    reference = gym.make("Acrobot-v1", max_episode_steps=60)
    np.testing.assert_array_equal(simulator.reset(21), reference.reset(seed=21)[0])
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 3, 70)
    mid = None
    for step, action in enumerate(actions):
        transition = simulator.step(int(action))
        if step < 60:
            observation, reward, terminated, truncated, _ = reference.step(int(action))
            np.testing.assert_array_equal(transition.observation, observation.astype(np.float32))
            assert (transition.reward, transition.terminated, transition.truncated) == (reward, terminated, truncated)
        else:  # absorbing after the 60-step truncation
            assert transition.reward == 0.0 and transition.truncated
        if step == 29:
            mid = simulator.snapshot()
    assert mid == ReplaySnapshot(21, tuple(int(a) for a in actions[:30]))
    futures = []
    for _ in range(2):
        simulator.restore(mid)
        futures.append(np.stack([simulator.step(int(a)).observation for a in actions[30:]]))
    np.testing.assert_array_equal(futures[0], futures[1])


@pytest.mark.parametrize("name", ["cartpole", "lunarlander", "breakout"])
def test_presets_build_their_simulator(name):
    config = preset(name).env
    simulator = make_simulator(config)
    assert simulator.name == name and simulator.discount == config.discount
    assert name in simulator_names()


def test_unknown_name_lists_valid_names():
    with pytest.raises(MzlabError, match="cartpole, lunarlander, breakout, gym:<GymnasiumId>"):
        make_simulator(EnvConfig(name="pong"))
    with pytest.raises(MzlabError, match="discrete"):
        make_simulator(EnvConfig(name="gym:Pendulum-v1"))
    with pytest.raises(MzlabError, match="registered"):
        make_simulator(EnvConfig(name="gym:NoSuchEnv-v0"))


def test_envs_command_lists_and_describes(capsys):
    assert main(["envs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:4]}
    assert rows == {
        "cartpole": ["2", "4", "0.997"],
        "lunarlander": ["4", "8", "0.999"],
        "breakout": ["4", "12x96x96", "0.988054"],  # EfficientZero's per-move discount 0.997 ** frame_skip
    }
    assert main(["envs", "gym:CartPole-v1"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["gym:CartPole-v1", "2", "4", "0.997"]


def test_envs_command_unknown_name_is_one_line_exit_2(capsys):
    assert main(["envs", "pong"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("mzlab: error: env.name: unknown environment")

