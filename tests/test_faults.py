"""Fault injection (issue 15): every kind of file damaged in every way, kill -9 and a second writer, and each
reproducer of the issue. A fault is survived when each operation refuses in one line naming the damaged file,
gives exactly the undamaged result, or falls back to an earlier checkpoint restored exactly. Nothing here may
end in a traceback or a silently different result.

The randomised version (random faults, random kill moments, sweeps killed) is ``tests/test_faults_random.py``.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fault_injection as fi
import numpy as np
import pytest
from sweep_fakes import seed_jobs, study_tables

from mzlab.cli import main
from mzlab.commands.train import build_config
from mzlab.errors import MzlabError
from mzlab.runs import RunDirectory
from mzlab.sweep import run_jobs
from mzlab.sweep.study import StudyPlan, write_study_file
from mzlab.sweep.worker import run_job

CONFIG = build_config("cartpole", 3, fi.TINY)
NEWEST, PREVIOUS = fi.NEWEST, fi.PREVIOUS
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A trained tiny run and what a reader and a resuming trainer see in it, undamaged."""
    path = tmp_path_factory.mktemp("clean") / "run"
    assert main(fi.train_argv(path)) == 0
    reference = tmp_path_factory.mktemp("reference") / "run"
    fi.copy_run(path, reference)
    states = {step: fi.state_at(reference, CONFIG, step) for step in (PREVIOUS, NEWEST)}
    return {"path": path, "read": fi.read_run(path), "states": states,
            "files": fi.present_checkpoint_files(path)}


# ---------------------------------------------------------------------------------------------------- run files

TALLY: list[dict] = []


@pytest.mark.parametrize("kind, fault", sorted(fi.EXPECTED))
def test_damaged_run_file_is_named_or_survived_exactly(clean, tmp_path, capsys, kind, fault):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    rng = np.random.default_rng(abs(hash((kind, fault))) % 2**32)
    names = fi.damage(path, kind, fault, rng)
    damaged = set(names)
    read = fi.classify_read(fi.attempt(fi.read_run, path), clean["read"], names)
    capsys.readouterr()
    outcome = fi.attempt(fi.resume_run, path, CONFIG)
    resume = fi.classify_resume(outcome, clean, names, capsys.readouterr().err)
    kept = fi.present_checkpoint_files(path)
    lost = [name for name, sha in clean["files"].items() if name not in damaged and kept.get(name) != sha]
    TALLY.append({"kind": kind, "fault": fault, "read": read, "resume": resume, "lost": len(lost)})
    expected_read, expected_resume = fi.EXPECTED[(kind, fault)]
    assert read in expected_read and resume in expected_resume, (read, resume)
    assert not lost, f"undamaged checkpoint files lost: {lost}"


def test_an_older_checkpoint_damaged_is_named_by_readers_and_does_not_disturb_resume(clean, tmp_path, capsys):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    weights = fi.run_files(path, 5)["weights"]
    fi.flip(weights, np.random.default_rng(0))
    status, message = fi.attempt(fi.read_run, path)
    assert status == "error" and fi.one_line_naming(message, weights.name)
    assert fi.resume_run(path, CONFIG) == (NEWEST, clean["states"][NEWEST])


def test_a_lost_interior_metadata_file_is_named_not_skipped(clean, tmp_path):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    fi.run_files(path, 5)["metadata"].unlink()
    with pytest.raises(MzlabError, match="step_00000005.json' is missing.*history"):
        RunDirectory.open(path)
    for name in ("step_00000005.safetensors", "step_00000005.state.safetensors"):
        (path / "checkpoints" / name).unlink()  # pruning a checkpoint deliberately removes all its files
    assert RunDirectory.open(path).checkpoint_steps() == [0, 10, 12]


# ---------------------------------------------------------------------------------------- the reproducers


def test_edited_config_json_is_refused_by_analysis_naming_the_file_and_field(clean, tmp_path, capsys):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    fi.edit_config(path / "config.json", None)
    assert main(["evaluate", "--run-dir", str(path), "--episodes", "1", "--policy", "prior"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "config.json" in error and "env.discount: 0.997 at training time, 0.5" in error
    # training with the edited value passed on the command line too is refused the same way, nothing written
    before = fi.present_checkpoint_files(path)
    assert main(fi.train_argv(path, "--set", "env.discount=0.5")) == 2
    assert "env.discount" in capsys.readouterr().err and fi.present_checkpoint_files(path) == before


def test_two_trainers_on_one_run_directory_and_kill_9_then_resume(tmp_path, capsys):
    """A second trainer is refused naming the holder; after kill -9 the lock is gone and the run resumes with
    every checkpoint intact and no duplicated metrics row."""
    path = tmp_path / "run"
    long = [o for o in fi.TINY if not o.startswith("training.training_steps")] + ["training.training_steps=100000"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    holder = subprocess.Popen([sys.executable, "-m", "mzlab.cli", *fi.train_argv(path, overrides=long)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 480  # a liveness bound, generous for a crowded machine
        while not (path / "checkpoints" / "step_00000005.json").exists():
            assert holder.poll() is None, holder.stderr.read().decode()
            assert time.monotonic() < deadline, "the first trainer never reached step 5"
            time.sleep(0.05)
        assert main(fi.train_argv(path, "--max-steps", "3", overrides=long)) == 2
        error = capsys.readouterr().err.strip()
        assert "\n" not in error and f"pid {holder.pid}" in error and "another trainer" in error
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    written = RunDirectory.open(path).checkpoint_steps()
    assert main(fi.train_argv(path, "--max-steps", str(written[-1] + 5), overrides=long)) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run = RunDirectory.open(path)
    assert summary["resumed_from"] == written[-1]
    assert run.checkpoint_steps() == sorted(set(written) | {written[-1] + 5})
    steps = list(run.read_metrics()["step"])
    assert steps == sorted(set(steps)), "duplicated metrics rows"
    for step in run.checkpoint_steps():
        run.load_checkpoint(step)


def test_tensorboard_has_no_duplicated_points_after_a_resume(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from mzlab.training.loop import Trainer

    path = tmp_path / "run"
    overrides = [o for o in fi.TINY if not o.startswith("training.checkpoint_interval")] + [
        "training.checkpoint_interval=10"]  # a row every step, a checkpoint at 0 and 10
    config = build_config("cartpole", 3, overrides)

    class Killed(Exception):
        pass

    def kill_at_eight(trainer):
        if trainer.learner.step == 8:
            raise Killed

    with RunDirectory.create_or_resume(path, config) as run, pytest.raises(Killed):
        Trainer(config, run, progress=False).run(on_step=kill_at_eight)
    with RunDirectory.create_or_resume(path, config) as run:
        trainer = Trainer(config, run, progress=False)
        assert trainer.resume() == 0
        trainer.run()
    events = EventAccumulator(str(path / "tensorboard"))
    events.Reload()
    points = [event.step for event in events.Scalars("losses/value")]
    assert points == list(range(1, 13))  # steps 1..7 of the killed run were purged, not duplicated


def test_disk_full_is_one_line_and_leaves_the_checkpoints_whole(tmp_path, capsys, monkeypatch):
    import mzlab.training.checkpointing as checkpointing  # writes the replay buffer beside each checkpoint

    real = checkpointing.write_bytes_atomic

    def full_at_step_ten(target, data):
        if "step_00000010" in str(target):
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real(target, data)

    path = tmp_path / "run"
    monkeypatch.setattr(checkpointing, "write_bytes_atomic", full_at_step_ten)
    assert main(fi.train_argv(path)) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("mzlab: error: ") and "\n" not in error and "disk is full" in error
    assert "step_00000010.npz" in error
    assert fi.read_run(path)["steps"] == [0, 5]  # what was written before stays whole and loads
    monkeypatch.setattr(checkpointing, "write_bytes_atomic", real)
    assert main(fi.train_argv(path)) == 0  # space freed: the same command resumes
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["resumed_from"] == 5


@pytest.mark.parametrize("argv, fragment", [
    (["--set", "training.learning_rate=1/0"], "'training.learning_rate': value '1/0'"),
    (["--set", "training.batch_size=1000000000"], "training.batch_size"),
    (["--max-steps", "-5"], "--max-steps"),
])
def test_bad_training_values_are_one_line(tmp_path, capsys, argv, fragment):
    assert main(fi.train_argv(tmp_path / "run", *argv)) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("mzlab: error: ") and "\n" not in error and fragment in error
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_analyze_out_pointing_at_a_file_is_one_line(clean, tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("keep")
    code = main(["analyze", "value-error", "--run-dir", str(clean["path"]), "--out", str(target), "--quick"])
    error = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in error and str(target) in error and target.read_text() == "keep"


def test_malformed_trainer_state_structure_is_named(clean, tmp_path, capsys):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    from mzlab.runs import metadata_checksum

    metadata_path = fi.run_files(path, NEWEST)["metadata"]
    metadata = json.loads(metadata_path.read_text())
    metadata["trainer_state_structure"] = {"__dict__": [[1, 2, 3]]}
    metadata["checksum"] = metadata_checksum(metadata)  # forged consistently: only the structure is wrong
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(MzlabError, match="step_00000012.json.*malformed trainer_state_structure"):
        RunDirectory.open(path).load_trainer_state(NEWEST)
    assert fi.resume_run(path, CONFIG) == (PREVIOUS, clean["states"][PREVIOUS])
    assert "step_00000012.json" in capsys.readouterr().err


def test_a_deeply_nested_config_is_one_line(clean, tmp_path, capsys):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    (path / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    assert main(["evaluate", "--run-dir", str(path), "--episodes", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "config.json" in error and "nested too deeply" in error


def test_a_huge_sparse_weights_file_is_refused_from_its_size_without_reading_it(clean, tmp_path):
    path = fi.copy_run(clean["path"], tmp_path / "run")
    if not fi.environment_has_sparse_files(tmp_path):
        pytest.skip("this file system has no sparse files")
    weights = fi.run_files(path, NEWEST)["weights"]
    with open(weights, "r+b") as handle:
        handle.truncate(20 * 10**9)
    with pytest.raises(MzlabError, match="step_00000012.safetensors' is truncated or changed: 20000000000 bytes"):
        RunDirectory.open(path).load_checkpoint(NEWEST)


def test_internal_errors_are_one_line_and_debug_shows_the_traceback(monkeypatch, capsys):
    def broken(args):
        raise ValueError("synthetic bug")

    monkeypatch.setattr("mzlab.commands.envs.run", broken)
    assert main(["envs"]) == 1
    error = capsys.readouterr().err.strip()
    assert error.startswith("mzlab: error: internal error") and "synthetic bug" in error and "\n" not in error
    with pytest.raises(ValueError, match="synthetic bug"):
        main(["--debug", "envs"])


# ---------------------------------------------------------------------------------------------------- sweeps


class InlineExecutor:
    """Runs each job in this process with the real worker function (fast, deterministic)."""

    name, capacity, num_threads = "inline", 1, None

    def __init__(self):
        self.results = {}

    def submit(self, spec, *, num_cpus=1.0, num_gpus=0.0):
        handle = object()
        self.results[handle] = run_job(spec)
        return handle

    def wait(self, handles, timeout):
        return [(handle, self.results.pop(handle)) for handle in handles]

    def shutdown(self, *, cancel=False, handles=()):
        pass


def _study(path: Path):
    ledger = str(path.parent / f"{path.name}-ledger.txt")
    jobs = seed_jobs([0, 1], ledger, experiments=("alpha",))
    plan = StudyPlan(env="cartpole", seeds=(0, 1), analyses=("alpha",))
    return jobs, plan


def _sweep_again(path: Path):
    jobs, plan = _study(path)
    write_study_file(path, plan, jobs=jobs, command="test", executor="inline")
    summary = run_jobs(jobs, path, executor=InlineExecutor(), progress=False)
    assert summary.ok
    return study_tables(path)


@pytest.fixture(scope="module")
def clean_study(tmp_path_factory):
    path = tmp_path_factory.mktemp("study") / "study"
    tables = _sweep_again(path)
    return {"path": path, "tables": tables}


def _damage_study_file(path: Path, kind: str, fault: str, rng) -> list[str]:
    target = path / ("study.json" if kind == "study" else "jobs/seed-0.train.json")
    if fault == "swap":
        partner = path / "jobs" / ("seed-0.alpha.json" if kind == "study" else "seed-1.train.json")
        fi.swap(target, partner)
        return [target.name, partner.name]
    if fault == "edit":
        key = "created" if kind == "study" else "seconds"
        fi.edit_json(target, lambda payload: payload.update({key: "2000-01-01T00:00:00Z" if kind == "study"
                                                             else 1234.5}))
    else:
        {"truncate": fi.truncate, "flip": fi.flip, "delete": fi.delete}[fault](target, rng)
    return [target.name]


STUDY_CASES = [(kind, fault) for kind in ("record", "study") for fault in fi.FAULTS]


@pytest.mark.parametrize("kind, fault", STUDY_CASES)
def test_damaged_study_file_is_named_or_survived_exactly(clean_study, tmp_path, capsys, kind, fault):
    import shutil

    from mzlab.report import build_report

    path = tmp_path / "study"
    shutil.copytree(clean_study["path"], path)
    names = _damage_study_file(path, kind, fault, np.random.default_rng(abs(hash((kind, fault))) % 2**32))
    report = fi.attempt(build_report, path)
    if report[0] == "error":
        assert fi.one_line_naming(report[1], *names), report[1]
    else:
        page = report[1].read_text()
        assert fault in ("delete", "swap", "flip"), f"a {fault} of the {kind} file went unnoticed by the report"
        if kind == "record" and fault == "delete":
            assert "no record" in page
    status, value = fi.attempt(_sweep_again, path)
    if status == "error":
        assert kind == "study" and fault != "delete" and fi.one_line_naming(value, *names), value
        sweep = "error"
    else:
        assert value.equals(clean_study["tables"]), "a rerun changed the results"
        sweep = "same"
    if kind == "record" and fault != "swap":
        assert "job record" in capsys.readouterr().err or fault == "delete"
    TALLY.append({"kind": kind, "fault": fault, "read": report[0], "resume": sweep, "lost": 0})


def test_sweep_bad_set_and_too_many_seeds_are_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["sweep", "--env", "cartpole", "--seeds", "0-1", "--set", "training.batch_size=0",
                 "--out", str(out), "--no-progress"]) == 2
    assert "training.batch_size" in capsys.readouterr().err and not out.exists()
    assert main(["sweep", "--env", "cartpole", "--seeds", "0-100000", "--out", str(out), "--no-progress"]) == 2
    assert "at most 1000" in capsys.readouterr().err and not out.exists()


def test_a_corrupt_study_json_is_named_by_sweep_and_report(clean_study, tmp_path, capsys):
    import shutil

    path = tmp_path / "study"
    shutil.copytree(clean_study["path"], path)
    (path / "study.json").write_text('{"env": "cartpole", ')
    for argv in (["sweep", "--env", "cartpole", "--seeds", "0", "--analyses", "none", "--out", str(path),
                  "--no-progress"], ["report", str(path)]):
        assert main(argv) == 2
        error = capsys.readouterr().err.strip()
        assert "\n" not in error and "study.json" in error and "not valid JSON" in error


def test_tally(request):
    """Write the counts for docs/reliability.md when MZLAB_FAULT_TALLY names a file (runs last)."""
    target = os.environ.get("MZLAB_FAULT_TALLY")
    if target:
        Path(target).write_text(json.dumps(TALLY, indent=1))
    assert all(entry["read"] != "SILENTLY DIFFERENT" and entry["resume"] != "SILENTLY DIFFERENT" for entry in TALLY)
