"""``--env gym:<id>`` and ``gym:<module>:<id>`` from the command line: the generic preset's documented rules,
training and analysis on Acrobot, a user's own registered environment, one-line refusals (continuous actions,
a missing extra) that leave no run directory behind."""

import math
import os
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest

from mzlab.cli import main
from mzlab.config import EnvConfig, preset
from mzlab.envs import make_simulator
from mzlab.envs.generic_preset import experiment_preset
from mzlab.errors import MzlabError
from mzlab.runs import RunDirectory

REPO = Path(__file__).resolve().parent.parent
USER_ENV = "gym:tests.user_env:Corridor-v0"
TINY = ["network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
        "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
        "training.warmup_games=2"]


def train_argv(env, run_dir, steps, interval, *extra):
    argv = ["train", "--env", env, "--run-dir", str(run_dir), "--no-progress"]
    for override in [*TINY, f"training.training_steps={steps}", f"training.checkpoint_interval={interval}",
                     *extra]:
        argv += ["--set", override]
    return argv


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def hand_support(discount, steps):
    v_max = sum(discount**t for t in range(steps))  # T rewards of size 1, summed by hand
    return max(10, math.ceil(math.sqrt(v_max + 1) - 1 + 0.001 * v_max))


def test_generic_preset_rules_reproduce_the_paper_sizes_and_follow_the_spaces():
    for gym_id, paper in (("CartPole-v1", "cartpole"), ("LunarLander-v3", "lunarlander")):
        generic, table = experiment_preset(f"gym:{gym_id}").network, preset(paper).network
        assert (generic.encoding_size, generic.hidden_layers) == (table.encoding_size, table.hidden_layers)
    acrobot = experiment_preset("gym:Acrobot-v1")
    reference = gym.make("Acrobot-v1")
    assert acrobot.env.max_episode_steps == reference.spec.max_episode_steps == 500
    assert acrobot.network.encoding_size == max(8, reference.observation_space.shape[0] + 2)
    assert acrobot.network.hidden_layers == (64,)  # 6 numbers x 3 actions > 8
    assert acrobot.network.support_size == hand_support(0.997, 500) == 16
    assert acrobot.replay.td_steps == 50
    cartpole = preset("cartpole")
    assert (acrobot.training, acrobot.search) == (cartpole.training, cartpole.search)


def test_acrobot_trains_and_analyses_from_the_cli(tmp_path, capsys):
    run_dir = tmp_path / "acrobot"
    assert main(train_argv("gym:Acrobot-v1", run_dir, 40, 20, "env.max_episode_steps=50")) == 0
    run = RunDirectory.open(run_dir)
    assert run.checkpoint_steps() == [0, 20, 40]
    assert run.config.env.name == "gym:Acrobot-v1" and run.config.network.support_size == 16  # generic preset
    network = run.load_network(40)
    assert (network.num_actions, tuple(network.observation_shape)) == (3, (6,))
    assert main(["analyze", "value-error", "--run-dir", str(run_dir), "--out", str(tmp_path / "res"),
                 "--quick", "--steps", "40"]) == 0
    table = pd.read_parquet(tmp_path / "res" / "value-error.parquet")
    assert set(table["env"]) == {"gym:Acrobot-v1"} and set(table["step"]) == {40}
    assert np.isfinite(table.select_dtypes("number").to_numpy(dtype=float)).all()


@pytest.mark.slow
def test_acrobot_trains_a_few_hundred_steps(tmp_path):
    assert main(train_argv("gym:Acrobot-v1", tmp_path / "a", 300, 100, "env.max_episode_steps=100")) == 0
    assert RunDirectory.open(tmp_path / "a").checkpoint_steps() == [0, 100, 200, 300]
    assert main(["analyze", "all", "--run-dir", str(tmp_path / "a"), "--out", str(tmp_path / "r"), "--quick"]) == 0


def test_users_own_registered_env_trains_through_module_form(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)  # the module is found from the current directory, as a user's would be
    monkeypatch.delitem(sys.modules, "tests.user_env", raising=False)
    run_dir = tmp_path / "corridor"
    assert main(train_argv(USER_ENV, run_dir, 10, 5)) == 0
    run = RunDirectory.open(run_dir)
    assert run.checkpoint_steps() == [0, 5, 10]
    config = run.config
    assert config.env.name == USER_ENV and config.env.max_episode_steps == 20  # the registered limit
    assert config.replay.td_steps == 5 and config.network.support_size == hand_support(0.997, 20)  # TINY td 5
    simulator = make_simulator(config.env)
    reference = gym.make("Corridor-v0")  # registered by the import above
    for seed in range(5):
        np.testing.assert_array_equal(simulator.reset(seed), reference.reset(seed=seed)[0])
        for action in (1, 0, 1, 1, 1, 1):
            transition, expected = simulator.step(action), reference.step(action)
            np.testing.assert_array_equal(transition.observation, expected[0])
            assert (transition.reward, transition.terminated) == (expected[1], expected[2])
            if transition.terminated:
                break
    capsys.readouterr()
    assert main(["envs", USER_ENV]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == [USER_ENV, "2", "2", "0.997"]


@pytest.mark.parametrize("env", ["gym:Pendulum-v1", "gym:MountainCarContinuous-v0"])
def test_continuous_actions_refused_in_one_line_and_nothing_written(tmp_path, capsys, env):
    assert main(train_argv(env, tmp_path / "run", 10, 5)) == 2
    line = one_error_line(capsys)
    assert "continuous action space" in line and env in line
    assert not (tmp_path / "run").exists()


def test_unknown_module_and_env_refused_in_one_line(tmp_path, capsys):
    assert main(train_argv("gym:no_such_module_xyz:Thing-v0", tmp_path / "run", 10, 5)) == 2
    assert "no_such_module_xyz" in one_error_line(capsys)
    assert main(train_argv("gym:tests.user_env:NoSuch-v0", tmp_path / "run", 10, 5)) == 2
    assert "NoSuch-v0" in one_error_line(capsys) and not (tmp_path / "run").exists()


@pytest.mark.parametrize(("env", "module", "extra"), [
    ("lunarlander", "Box2D", "box2d"), ("gym:LunarLander-v3", "Box2D", "box2d"), ("breakout", "ale_py", "atari"),
])
def test_missing_extra_named_in_one_line(tmp_path, capsys, monkeypatch, env, module, extra):
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed: import fails
    assert main(train_argv(env, tmp_path / "run", 10, 5)) == 2
    line = one_error_line(capsys)
    assert f"pip install 'mzlab[{extra}]'" in line and module in line
    assert not (tmp_path / "run").exists()
    with pytest.raises(MzlabError, match=rf"mzlab\[{extra}\]"):
        make_simulator(preset(env).env if env in ("lunarlander", "breakout") else EnvConfig(name=env))


def test_envs_listing_survives_a_missing_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ale_py", None)
    assert main(["envs"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[1:4]}
    assert "mzlab[atari]" in rows["breakout"] and rows["cartpole"].split()[1:] == ["2", "4", "0.997"]
    assert os.sep not in rows["cartpole"]
