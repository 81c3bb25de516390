"""The training command end to end on tiny settings: checkpoint history, determinism, kill-and-resume, refusal
of a different config, a clear error for a damaged checkpoint, and evaluation."""

import json
import os

import numpy as np
import pandas as pd
import pytest
import safetensors.torch
import torch

from mzlab.cli import main
from mzlab.commands.train import build_config
from mzlab.errors import MzlabError
from mzlab.runs import RunDirectory
from mzlab.training.loop import Trainer, replay_path

TINY = [
    "network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
    "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
    "training.warmup_games=2", "training.training_steps=12", "training.checkpoint_interval=5",
]


def train_argv(run_dir, *extra):
    argv = ["train", "--env", "cartpole", "--seed", "3", "--run-dir", str(run_dir), "--no-progress"]
    for override in TINY:
        argv += ["--set", override]
    return argv + list(extra)


def weights(run_dir, step):
    tensors, _ = RunDirectory.open(run_dir).load_checkpoint(step)
    return tensors


def reproducible_metrics(run_dir):
    frame = RunDirectory.open(run_dir).read_metrics()
    return frame[[c for c in frame.columns if not c.startswith("time/")]]


def test_checkpoint_history_and_determinism(tmp_path, capsys):
    assert main(train_argv(tmp_path / "a")) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["checkpoints"] == [0, 5, 10, 12] and summary["steps"] == 12
    assert main(train_argv(tmp_path / "b")) == 0
    for step in (0, 5, 10, 12):
        a, b = weights(tmp_path / "a", step), weights(tmp_path / "b", step)
        for name in a:
            torch.testing.assert_close(a[name], b[name], rtol=0, atol=0)
    first, second = reproducible_metrics(tmp_path / "a"), reproducible_metrics(tmp_path / "b")
    assert list(first["step"]) == [5, 10, 12]
    assert {"losses/value", "losses/reward", "losses/policy", "charts/learning_rate"} <= set(first.columns)
    assert first.equals(second)
    assert (tmp_path / "a" / "metrics.parquet").is_file()
    assert any((tmp_path / "a" / "tensorboard").iterdir())
    metadata = RunDirectory.open(tmp_path / "a").checkpoint_metadata(10)
    assert metadata["seed"] == 3 and metadata["env_steps"] > 0


class Killed(Exception):
    pass


def test_kill_and_resume(tmp_path, capsys):
    run_dir = tmp_path / "run"
    config = build_config("cartpole", 3, TINY)
    run = RunDirectory.create_or_resume(run_dir, config)
    trainer = Trainer(config, run, progress=False)

    def kill_at_seven(t):
        if t.learner.step == 7:
            raise Killed

    with pytest.raises(Killed):
        trainer.run(on_step=kill_at_seven)
    # metrics.parquet is current at every checkpoint: after the kill it holds the rows up to step 5
    parquet = pd.read_parquet(run_dir / "metrics.parquet")
    assert list(parquet["step"]) == [5]
    pd.testing.assert_frame_equal(parquet, run.read_metrics(), check_dtype=False)
    # a save interrupted after the weights but before the metadata does not count
    (run.checkpoint_dir / "step_00000010.safetensors").write_bytes(b"partial")

    # what a rerun loads: the step-5 weights, optimiser step and buffer, not the killed process's state
    probe = Trainer(config, RunDirectory.create_or_resume(run_dir, config), progress=False)
    assert probe.resume() == 5 and probe.learner.step == 5
    for name, tensor in weights(run_dir, 5).items():
        torch.testing.assert_close(probe.network.state_dict()[name], tensor, rtol=0, atol=0)
    assert probe.buffer.num_games >= 2 and probe.env_steps == RunDirectory.open(run_dir).checkpoint_metadata(5)[
        "env_steps"]

    assert main(train_argv(run_dir)) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["resumed_from"] == 5 and summary["steps"] == 12
    assert RunDirectory.open(run_dir).checkpoint_steps() == [0, 5, 10, 12]
    assert list(RunDirectory.open(run_dir).read_metrics()["step"]) == [5, 10, 12]
    assert not os.path.exists(replay_path(run, 5)) and replay_path(run, 12).is_file()

    # a different config is refused and nothing is written
    before = sorted(p.name for p in (run_dir / "checkpoints").iterdir())
    assert main(train_argv(run_dir, "--set", "training.batch_size=16")) == 2
    assert "different config" in capsys.readouterr().err
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == before


def test_damaged_checkpoint_falls_back_saying_so_and_none_resumable_is_a_clear_error(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(train_argv(run_dir, "--max-steps", "5")) == 0
    path = run_dir / "checkpoints" / "step_00000005.safetensors"
    path.write_bytes(path.read_bytes()[:-10])
    config = build_config("cartpole", 3, TINY)
    trainer = Trainer(config, RunDirectory.create_or_resume(run_dir, config), progress=False)
    capsys.readouterr()
    assert trainer.resume() == 0
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "checkpoint 5" in line and "step_00000005.safetensors" in line
    assert "resuming from checkpoint 0" in line
    assert RunDirectory.open(run_dir).checkpoint_steps() == [0]
    assert list((run_dir / "checkpoints" / "superseded").glob("*/step_00000005.safetensors"))  # kept, not deleted
    zero = run_dir / "checkpoints" / "step_00000000.safetensors"
    zero.write_bytes(zero.read_bytes()[:-10])
    again = Trainer(config, RunDirectory.create_or_resume(run_dir, config), progress=False)
    with pytest.raises(MzlabError, match="no checkpoint .* can be resumed.*step_00000000.safetensors"):
        again.resume()


def test_checkpoints_hold_only_tensors(tmp_path):
    run_dir = tmp_path / "run"
    assert main(train_argv(run_dir, "--max-steps", "5")) == 0
    for path in (run_dir / "checkpoints").glob("*.safetensors"):
        safetensors.torch.load_file(path)  # plain tensors; no code can run on load
    with np.load(replay_path(RunDirectory.open(run_dir), 5), allow_pickle=False) as data:
        assert data["observations"].dtype == np.float32 and data["policies"].shape[1] == 2


def test_evaluate_command(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(train_argv(run_dir, "--max-steps", "5")) == 0
    capsys.readouterr()
    for policy, actions in (("mcts", "greedy"), ("prior", "sample")):
        assert main(["evaluate", "--run-dir", str(run_dir), "--step", "5", "--episodes", "3", "--policy", policy,
                     "--actions", actions]) == 0
        result = json.loads(capsys.readouterr().out)
        assert result["step"] == 5 and len(result["returns"]) == 3
        assert all(1 <= r <= 500 for r in result["returns"]) and result["mean_return"] == np.mean(result["returns"])
    assert main(["evaluate", "--run-dir", str(run_dir), "--step", "7", "--episodes", "2"]) == 2
    assert "no checkpoint at step 7" in capsys.readouterr().err


def test_training_with_reanalyse(tmp_path, capsys):
    assert main(train_argv(tmp_path / "run", "--set", "replay.reanalyse_fraction=0.5", "--max-steps", "5")) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 5 and summary["checkpoints"] == [0, 5]
