"""Logs off a terminal (plain lines, no carriage returns), progress on a terminal, the TensorBoard config
summary, optional W&B, and the Python API (metrics.parquet at every checkpoint: tests/test_training_loop.py)."""

import io
import json
import sys
import types

import pandas as pd
import pytest
import torch

import mzlab
from mzlab.cli import main
from mzlab.config_io import config_to_dict
from mzlab.progress import Progress
from mzlab.runs import RunDirectory

TINY = ["network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
        "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
        "training.warmup_games=2", "training.training_steps=20", "training.checkpoint_interval=10"]


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def train_argv(run_dir, *extra):
    argv = ["train", "--env", "cartpole", "--seed", "1", "--run-dir", str(run_dir)]
    for override in TINY:
        argv += ["--set", override]
    return argv + list(extra)


def test_progress_writes_plain_lines_off_a_terminal_and_a_bar_on_one():
    log = io.StringIO()
    with Progress(100, desc="train x", unit="step", line_every=25, stream=log) as bar:
        for _ in range(100):
            bar.update(1)
            bar.info(**{"return": 12.5})
    lines = log.getvalue().splitlines()
    assert "\r" not in log.getvalue() and len(lines) == 4
    assert [line.split(",")[0] for line in lines] == [f"train x: step {n}/100 ({n}%)" for n in (25, 50, 75, 100)]
    assert "return 12.5" in lines[0] and "ETA" in lines[0] and "elapsed" in lines[-1]
    terminal = FakeTerminal()
    with Progress(10, desc="train x", unit="step", stream=terminal) as bar:
        bar.update(10)
    assert "\r" in terminal.getvalue()  # tqdm frames, only where a terminal shows them


def test_training_log_off_a_terminal_holds_one_line_per_interval_and_no_carriage_return(tmp_path, capsys):
    assert main(train_argv(tmp_path / "run")) == 0
    err = capsys.readouterr().err  # pytest's capture is not a terminal, like a log file
    assert "\r" not in err
    progress = [line for line in err.splitlines() if line.startswith("train cartpole: step")]
    assert [line.split(",")[0].split()[-2] for line in progress] == [f"{n}/20" for n in range(1, 21)]
    assert all("step/s" in line for line in progress) and "return" in progress[-1]


def test_tensorboard_records_the_config_as_text(tmp_path, capsys):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert main(train_argv(tmp_path / "run", "--no-progress")) == 0
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    (text,) = [tag for tag in events.Tags()["tensors"] if tag.startswith("config")]
    recorded = events.Tensors(text)[0].tensor_proto.string_val[0].decode()
    stored = json.loads((tmp_path / "run" / "config.json").read_text())
    assert json.loads(recorded.removeprefix("```json\n").removesuffix("\n```")) == stored


def test_wandb_logs_config_and_scalars_when_installed(tmp_path, capsys, monkeypatch):
    calls = {"log": []}

    class FakeRun:
        def log(self, values, step):
            calls["log"].append((step, values))

        def finish(self):
            calls["finished"] = True

    def init(**kwargs):
        calls["init"] = kwargs
        return FakeRun()

    monkeypatch.setitem(sys.modules, "wandb", types.SimpleNamespace(init=init))
    assert main(train_argv(tmp_path / "run", "--no-progress", "--wandb", "my-project")) == 0
    assert calls["init"]["project"] == "my-project" and calls["finished"]
    assert calls["init"]["config"] == config_to_dict(RunDirectory.open(tmp_path / "run").config)
    frame = RunDirectory.open(tmp_path / "run").read_metrics()
    assert [step for step, _ in calls["log"]] == list(frame["step"])
    last_step, last = calls["log"][-1]
    assert last["losses/value"] == pytest.approx(frame.iloc[-1]["losses/value"])


def test_wandb_missing_is_one_line_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)
    assert main(train_argv(tmp_path / "run", "--wandb", "p")) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "pip install 'mzlab[wandb]'" in lines[0]
    assert not (tmp_path / "run").exists()


def test_python_api_trains_evaluates_and_returns_a_dataframe(tmp_path, capsys):
    torch.set_num_threads(2)
    summary = mzlab.train("cartpole", tmp_path / "api", seed=1, overrides=TINY)
    assert torch.get_num_threads() == 1  # the same thread setting as the CLI
    assert summary["checkpoints"] == [0, 10, 20] and summary["run_dir"] == str(tmp_path / "api")
    assert main(train_argv(tmp_path / "cli", "--no-progress")) == 0  # the CLI: identical weights
    api_weights, _ = RunDirectory.open(tmp_path / "api").load_checkpoint(20)
    cli_weights, _ = RunDirectory.open(tmp_path / "cli").load_checkpoint(20)
    for name in api_weights:
        torch.testing.assert_close(api_weights[name], cli_weights[name], rtol=0, atol=0)
    assert mzlab.resume(tmp_path / "api")["resumed_from"] == 20
    scores = mzlab.evaluate(tmp_path / "api", episodes=3, policy="prior")
    capsys.readouterr()
    assert main(["evaluate", "--run-dir", str(tmp_path / "api"), "--episodes", "3", "--policy", "prior"]) == 0
    assert json.loads(capsys.readouterr().out) == scores
    table = mzlab.analyze("learning-curves", [tmp_path / "api"], tmp_path / "results", quick=True, figures=False)
    assert isinstance(table, pd.DataFrame) and set(table["step"]) <= {0, 10, 20} and len(table) > 0
    pd.testing.assert_frame_equal(table, pd.read_parquet(tmp_path / "results" / "learning-curves.parquet"))
    assert main(["analyze", "learning-curves", "--run-dir", str(tmp_path / "api"), "--out", str(tmp_path / "cli-r"),
                 "--quick", "--no-cache"]) == 0  # the CLI computes the same table
    pd.testing.assert_frame_equal(table, pd.read_parquet(tmp_path / "cli-r" / "learning-curves.parquet"))
    with pytest.raises(mzlab.MzlabError, match="num_state"):
        mzlab.analyze("value-error", [tmp_path / "api"], tmp_path / "results", num_state=3)


def test_import_mzlab_stays_light():
    import subprocess

    code = "import sys, mzlab; print(sorted(m for m in ('torch', 'numpy', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
