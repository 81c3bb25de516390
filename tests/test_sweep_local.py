"""The sweep scheduler with the local process pool, on tiny synthetic jobs with a ledger of executions."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from sweep_fakes import ledger_lines, seed_jobs, study_tables

from mzlab.sweep import Job, LocalExecutor, read_record, run_jobs

TESTS_DIR = Path(__file__).parent


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting for a reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def records(study: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted((study / "jobs").glob("*.json"))}


def test_two_seed_sweep_runs_each_job_once_in_dependency_order_and_rerun_skips_all(tmp_path):
    study, ledger = tmp_path / "study", str(tmp_path / "ledger.txt")
    jobs = seed_jobs([0, 1], ledger)
    summary = run_jobs(jobs, study, executor=LocalExecutor(max_workers=2), progress=False)
    assert summary.ok and sorted(summary.ran) == sorted(job.job_id for job in jobs)
    lines = ledger_lines(ledger)
    assert Counter(lines) == Counter(["train 0", "train 1", "alpha 0", "beta 0", "alpha 1", "beta 1"])
    for seed in (0, 1):  # every analysis started after its seed's training finished
        assert lines.index(f"train {seed}") < min(lines.index(f"alpha {seed}"), lines.index(f"beta {seed}"))
    stored = records(study)
    assert {r["status"] for r in stored.values()} == {"done"} and len(stored) == 6
    assert stored["seed-1.train"]["result"] == {"seed": 1} and stored["seed-1.train"]["attempts"] == 1
    assert "trained seed 1" in (study / "logs" / "seed-1.train.log").read_text()
    tables = study_tables(study)
    assert sorted(tables["seed"].unique()) == [0, 1] and len(tables) == 12

    again = run_jobs(jobs, study, executor=LocalExecutor(max_workers=2), progress=False)
    assert again.ok and again.ran == [] and sorted(again.reused) == sorted(job.job_id for job in jobs)
    assert len(ledger_lines(ledger)) == 6  # nothing executed twice
    assert not (study / "sweep.lock").exists()


def test_a_changed_job_spec_is_rerun_even_if_its_old_record_says_done(tmp_path):
    study, ledger = tmp_path / "study", str(tmp_path / "ledger.txt")
    run_jobs(seed_jobs([0], ledger, experiments=("alpha",)), study, executor=LocalExecutor(max_workers=1),
             progress=False)
    other_ledger = str(tmp_path / "other.txt")
    summary = run_jobs(seed_jobs([0], other_ledger, experiments=("alpha",)), study,
                       executor=LocalExecutor(max_workers=1), progress=False)
    assert sorted(summary.ran) == ["seed-0.alpha", "seed-0.train"] and len(ledger_lines(other_ledger)) == 2


def test_a_job_that_raises_is_reported_with_its_log_and_the_rest_continues(tmp_path, capsys):
    study, ledger = tmp_path / "study", str(tmp_path / "ledger.txt")
    jobs = seed_jobs([0], ledger)
    jobs.append(Job(job_id="seed-1.train", kind="train", target="sweep_fakes:fake_fail", kwargs={"ledger": ledger}))
    jobs.append(Job(job_id="seed-1.alpha", kind="alpha", target="sweep_fakes:fake_analyze",
                    kwargs={"seed": 1, "experiment": "alpha", "ledger": ledger},
                    paths={"run_dir": "runs/seed-1", "out": "analysis/seed-1/alpha"}, depends_on=("seed-1.train",)))
    summary = run_jobs(jobs, study, executor=LocalExecutor(max_workers=2), progress=False)
    assert not summary.ok
    assert sorted(summary.ran) == ["seed-0.alpha", "seed-0.beta", "seed-0.train"]
    [failed] = summary.failed
    assert failed.job_id == "seed-1.train" and failed.error == "ValueError: synthetic failure for the test"
    log = study / failed.log
    assert log == study / "logs" / "seed-1.train.log"
    text = log.read_text()
    assert "about to fail" in text and "Traceback" in text and 'raise ValueError("synthetic failure' in text
    [skipped] = summary.skipped
    assert skipped.job_id == "seed-1.alpha" and skipped.error == "dependency seed-1.train failed"
    assert "alpha 1" not in ledger_lines(ledger)
    lines = summary.lines()
    assert lines[0] == f"FAILED seed-1.train: ValueError: synthetic failure for the test (log: {log})"
    assert read_record(study, "seed-1.alpha").status == "skipped"
    # The failed job is retried by the next sweep (its bug may be fixed); the done ones are not.
    rerun = run_jobs(jobs, study, executor=LocalExecutor(max_workers=2), progress=False)
    assert [r.job_id for r in rerun.failed] == ["seed-1.train"] and len(rerun.reused) == 3


def test_a_job_whose_worker_dies_is_retried_and_gives_up_after_the_retries(tmp_path):
    study, ledger = tmp_path / "study", str(tmp_path / "ledger.txt")
    jobs = [
        Job(job_id="phoenix", kind="x", target="sweep_fakes:die_first_time",
            kwargs={"ledger": ledger, "marker": str(tmp_path / "marker")}),
        Job(job_id="doomed", kind="x", target="sweep_fakes:always_die", kwargs={"ledger": ledger},
            depends_on=("phoenix",)),
    ]
    summary = run_jobs(jobs, study, executor=LocalExecutor(max_workers=1), retries=1, progress=False)
    assert summary.ran == ["phoenix"] and read_record(study, "phoenix").attempts == 2
    assert read_record(study, "phoenix").result == "survived"
    [failed] = summary.failed
    assert failed.job_id == "doomed" and failed.error.startswith("worker died 2 times: local worker process died")
    assert Counter(ledger_lines(ledger)) == Counter({"die_first_time": 2, "always_die": 2})


def test_a_killed_sweep_resumes_without_redoing_finished_jobs_and_leaves_no_orphan_worker(tmp_path):
    study, ledger, release = tmp_path / "study", str(tmp_path / "ledger.txt"), tmp_path / "release"
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from sweep_fakes import seed_jobs
        from mzlab.sweep import Job, LocalExecutor, run_jobs

        def jobs():
            out = seed_jobs([0, 1], {ledger!r}, experiments=("alpha",))
            out.append(Job(job_id="slow", kind="slow", target="sweep_fakes:block_until",
                           kwargs={{"ledger": {ledger!r}, "name": "slow", "release": {str(release)!r}}},
                           depends_on=("seed-0.alpha", "seed-1.alpha")))
            out.append(Job(job_id="after-slow", kind="slow", target="sweep_fakes:fake_train",
                           kwargs={{"seed": 9, "ledger": {ledger!r}}}, paths={{"run_dir": "runs/seed-9"}},
                           depends_on=("slow",)))
            return out

        if __name__ == "__main__":
            run_jobs(jobs(), {str(study)!r}, executor=LocalExecutor(max_workers=2), progress=False)
    """)
    script_path = tmp_path / "sweep_script.py"
    script_path.write_text(script)
    process = subprocess.Popen([sys.executable, str(script_path)], start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "start slow" not in ledger_lines(ledger):
            assert process.poll() is None, "the sweep ended before it was killed"
            assert time.monotonic() < deadline, "the sweep never reached the slow job"
            time.sleep(0.1)
        process.kill()  # SIGKILL to the driver only: its pool workers must notice and exit by themselves
        process.wait()
        worker = int(Path(str(release) + ".pid").read_text())
        while process_alive(worker):
            assert time.monotonic() < deadline, "the worker outlived its killed sweep"
            time.sleep(0.1)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    before = records(study)
    assert {k: v["status"] for k, v in before.items()} == {
        "seed-0.train": "done", "seed-0.alpha": "done", "seed-1.train": "done", "seed-1.alpha": "done",
        "slow": "running", "after-slow": "pending"}
    release.write_text("go")
    sys.path.insert(0, str(tmp_path))
    try:
        import sweep_script
    finally:
        sys.path.remove(str(tmp_path))
    summary = run_jobs(sweep_script.jobs(), study, executor=LocalExecutor(max_workers=2), progress=False)
    assert summary.ok and summary.ran == ["slow", "after-slow"]
    assert sorted(summary.reused) == ["seed-0.alpha", "seed-0.train", "seed-1.alpha", "seed-1.train"]
    counts = Counter(ledger_lines(ledger))
    assert counts == Counter({"train 0": 1, "train 1": 1, "alpha 0": 1, "alpha 1": 1, "start slow": 2,
                              "finish slow": 1, "train 9": 1})
    assert read_record(study, "slow").attempts == 2


def test_a_second_sweep_on_a_live_study_is_refused(tmp_path):
    from mzlab.errors import MzlabError
    from mzlab.sweep.runner import study_lock

    with study_lock(tmp_path):
        (tmp_path / "sweep.lock").write_text(json.dumps({"pid": os.getppid(), "host": os.uname().nodename}))
        with pytest.raises(MzlabError, match="another sweep .* is running on this study"):
            run_jobs([], tmp_path, executor=LocalExecutor(max_workers=1), progress=False)


def test_sigterm_to_the_sweep_command_records_the_running_job_as_pending_and_frees_the_study(tmp_path):
    study = tmp_path / "study"
    argv = [sys.executable, "-m", "mzlab.cli", "sweep", "--env", "cartpole", "--seeds", "0", "--analyses", "none",
            "--set", "training.training_steps=1000000", "--out", str(study), "--no-progress"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    log = study / "logs" / "seed-0.train.log"
    try:
        deadline = time.monotonic() + 90
        while not (log.exists() and "$ mzlab train" in log.read_text()):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "interrupted; rerun the same command to resume" in err
    record = read_record(study, "seed-0.train")
    assert record.status == "pending" and record.error == "interrupted" and record.attempts == 1
    assert not (study / "sweep.lock").exists()


def test_every_seed_trains_before_analyses_take_the_workers(tmp_path):
    study, ledger = tmp_path / "study", str(tmp_path / "ledger.txt")
    summary = run_jobs(seed_jobs([0, 1, 2], ledger, experiments=("alpha",)), study,
                       executor=LocalExecutor(max_workers=1), progress=False)
    assert summary.ok
    assert ledger_lines(ledger) == ["train 0", "train 1", "train 2", "alpha 0", "alpha 1", "alpha 2"]
