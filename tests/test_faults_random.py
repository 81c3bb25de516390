"""The randomised fault suite (slow): kill -9 of a trainer and of a sweep at random moments, then resume; random
damage (random fault, file kind, byte positions, cut points) of a trained run. Same verdicts as
``tests/test_faults.py``. Run with ``pytest -m slow tests/test_faults_random.py``; ``MZLAB_FAULT_TALLY=FILE``
writes the counts (for docs/reliability.md) and ``MZLAB_FAULT_SEED`` changes the draw.
"""

from __future__ import annotations

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

from mzlab.cli import main
from mzlab.commands.train import build_config
from mzlab.runs import RunDirectory

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("MZLAB_FAULT_SEED", "15"))
CONFIG = build_config("cartpole", 3, fi.TINY)
LONGER = [o for o in fi.TINY if not o.startswith("training.training_steps")] + ["training.training_steps=40"]
TALLY: list[dict] = []


def _spawn(argv: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "mzlab.cli", *argv], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def _check_complete_run(path: Path, last: int, interval: int = 5) -> None:
    run = RunDirectory.open(path)
    assert run.checkpoint_steps() == sorted({0, *range(interval, last + 1, interval), last})
    steps = list(run.read_metrics()["step"])
    assert steps == sorted(set(steps)) and steps[-1] == last, "duplicated or missing metrics rows"
    for step in run.checkpoint_steps():
        run.load_checkpoint(step)
        run.load_trainer_state(step)


@pytest.mark.parametrize("trial", range(12))
def test_kill_9_at_a_random_moment_of_training_then_resume(tmp_path, capsys, trial):
    rng = np.random.default_rng([SEED, trial])
    path = tmp_path / "run"
    process = _spawn(fi.train_argv(path, overrides=LONGER))
    # a random moment: before the first checkpoint, or a random fraction of a second after checkpoint k
    after = None if trial % 4 == 0 else int(rng.integers(0, 8)) * 5
    marker = path / ".writer.lock" if after is None else path / "checkpoints" / f"step_{after:08d}.json"
    while not marker.exists() or not marker.read_text():
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.01)
    time.sleep(float(rng.uniform(0.0, 3.0 if after is None else 1.0)))
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = fi.present_checkpoint_files(path)
    listed = RunDirectory.open(path).checkpoint_steps() if (path / "config.json").exists() else []
    capsys.readouterr()
    assert main(fi.train_argv(path, overrides=LONGER)) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["resumed_from"] == (listed[-1] if listed else None)
    _check_complete_run(path, 40)
    after = fi.present_checkpoint_files(path)
    complete = {f"step_{s:08d}{suffix}" for s in listed for suffix in (".safetensors", ".state.safetensors")}
    lost = [name for name in complete if after.get(name) != before.get(name)]
    TALLY.append({"kind": "training", "fault": "kill -9", "read": "same", "resume": "same", "lost": len(lost),
                  "killed_after_checkpoint": listed[-1] if listed else None})
    assert not lost


@pytest.mark.parametrize("trial", range(3))
def test_kill_9_at_a_random_moment_of_a_sweep_then_resume(tmp_path, trial):
    rng = np.random.default_rng([SEED, 100 + trial])
    study = tmp_path / "study"
    argv = ["sweep", "--env", "cartpole", "--seeds", "0-1", "--analyses", "learning-curves" if trial else "none",
            "--quick", "--out", str(study), "--max-workers", "2", "--no-progress"]
    for override in fi.TINY:
        argv += ["--set", override]
    process = _spawn(argv)
    time.sleep(float(rng.uniform(3.0, 15.0)))
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(2.0)  # the workers notice their parent is gone and exit (their watchdog polls every second)
    rerun = _spawn(argv)
    assert rerun.wait(timeout=600) == 0, rerun.stderr.read().decode()
    for seed in (0, 1):
        _check_complete_run(study / "runs" / f"seed-{seed}", 12)
    records = [json.loads(p.read_text()) for p in (study / "jobs").glob("*.json")]
    assert records and all(r["status"] == "done" for r in records)
    TALLY.append({"kind": "sweep", "fault": "kill -9", "read": "same", "resume": "same", "lost": 0})


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    path = tmp_path_factory.mktemp("clean") / "run"
    assert main(fi.train_argv(path)) == 0
    reference = fi.copy_run(path, tmp_path_factory.mktemp("reference") / "run")
    states = {step: fi.state_at(reference, CONFIG, step) for step in (fi.PREVIOUS, fi.NEWEST)}
    return {"path": path, "read": fi.read_run(path), "states": states, "files": fi.present_checkpoint_files(path)}


@pytest.mark.parametrize("trial", range(60))
def test_random_damage_is_named_or_survived_exactly(clean, tmp_path, capsys, trial):
    rng = np.random.default_rng([SEED, 1000 + trial])
    cases = sorted(fi.EXPECTED)
    kind, fault = cases[int(rng.integers(len(cases)))]
    path = fi.copy_run(clean["path"], tmp_path / "run")
    if fault == "flip":  # random number of bytes anywhere
        target = fi.run_files(path, fi.NEWEST)[kind]
        fi.flip(target, rng, count=int(rng.integers(1, 65)))
        names = [target.name]
    else:
        names = fi.damage(path, kind, fault, rng)
    read = fi.classify_read(fi.attempt(fi.read_run, path), clean["read"], names)
    capsys.readouterr()
    resume = fi.classify_resume(fi.attempt(fi.resume_run, path, CONFIG), clean, names, capsys.readouterr().err)
    kept = fi.present_checkpoint_files(path)
    lost = [n for n, sha in clean["files"].items() if n not in set(names) and kept.get(n) != sha]
    TALLY.append({"kind": kind, "fault": fault, "read": read, "resume": resume, "lost": len(lost)})
    expected_read, expected_resume = fi.EXPECTED[(kind, fault)]
    if fault == "flip":
        expected_read, expected_resume = expected_read | {"same"}, expected_resume | {"same"}
    assert read in expected_read and resume in expected_resume and not lost, (kind, fault, read, resume, lost)


def test_tally():
    target = os.environ.get("MZLAB_FAULT_TALLY")
    if target:
        Path(target).write_text(json.dumps(TALLY, indent=1))
    assert all("SILENTLY" not in (entry["read"] + entry["resume"]) and not entry["lost"] for entry in TALLY)
