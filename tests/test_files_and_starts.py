"""Files honour the umask as ``open()`` would, atomically; a refused or failed start leaves nothing behind that
blocks the corrected command."""

import os
import stat

import pytest

from mzlab.atomic_files import current_umask, write_bytes_atomic
from mzlab.cli import main
from mzlab.runs import RunDirectory

TINY = ["network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
        "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
        "training.warmup_games=2", "training.training_steps=6", "training.checkpoint_interval=3"]


def train_argv(run_dir, *extra):
    argv = ["train", "--env", "cartpole", "--run-dir", str(run_dir), "--no-progress"]
    for override in [*TINY, *extra]:
        argv += ["--set", override]
    return argv


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    previous = os.umask(0o022)
    yield lambda value: os.umask(value)
    os.umask(previous)


@pytest.mark.parametrize("value", [0o022, 0o027, 0o077, 0o002])
def test_atomic_writes_get_the_mode_open_would_give(tmp_path, umask, value):
    umask(value)
    assert current_umask() == value
    with open(tmp_path / "reference", "wb") as handle:  # the reference: what open() gives under this umask
        handle.write(b"x")
    write_bytes_atomic(tmp_path / "atomic", b"data")
    assert mode(tmp_path / "atomic") == mode(tmp_path / "reference") == 0o666 & ~value
    assert (tmp_path / "atomic").read_bytes() == b"data"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atomic", "reference"]  # no temp file left


def test_every_file_of_a_run_is_0644_under_umask_022(tmp_path, umask, capsys):
    umask(0o022)
    assert main(train_argv(tmp_path / "run")) == 0
    files = [path for path in (tmp_path / "run").rglob("*") if path.is_file()]
    assert {"config.json", "metrics.parquet", "step_00000006.safetensors", "step_00000006.json"} <= {
        p.name for p in files}
    assert {path.name: mode(path) for path in files} == {path.name: 0o644 for path in files}
    assert {mode(path) for path in (tmp_path / "run").rglob("*") if path.is_dir()} == {0o755}


def test_failed_start_leaves_nothing_and_the_corrected_command_runs(tmp_path, capsys):
    run_dir = tmp_path / "run"
    # validation passes, the simulator fails once the trainer builds it: config.json had been written
    assert main(train_argv(run_dir, "env.name=gym:NoSuchEnv-v0")) == 2
    assert "NoSuchEnv-v0" in capsys.readouterr().err
    assert not run_dir.exists()
    assert main(train_argv(run_dir)) == 0
    assert RunDirectory.open(run_dir).checkpoint_steps() == [0, 3, 6]


def test_failed_start_in_an_existing_empty_directory_keeps_the_directory(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / ".keep").write_text("")  # hidden files do not make a directory "not empty"
    assert main(train_argv(run_dir, "training.device=cuda" if not _cuda() else "env.name=gym:NoSuchEnv-v0")) == 2
    capsys.readouterr()
    # only hidden files stay (ours and the writer's lock file); they never make a directory "not empty"
    assert [p.name for p in run_dir.iterdir() if not p.name.startswith(".")] == []
    assert (run_dir / ".keep").is_file()
    assert main(train_argv(run_dir)) == 0


def test_a_started_run_is_never_removed_by_a_later_failure(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert main(train_argv(run_dir, "training.training_steps=3")) == 0
    run = RunDirectory.create_or_resume(run_dir, RunDirectory.open(run_dir).config)
    assert run.created == [] and not run.discard_if_unstarted()
    assert RunDirectory.open(run_dir).checkpoint_steps() == [0, 3]


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()
