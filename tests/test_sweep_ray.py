"""The same sweep on Ray (started locally with 2 CPUs) gives the same result tables as the local pool."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from sweep_fakes import ledger_lines, seed_jobs, study_tables

from mzlab.sweep import Job, LocalExecutor, RayExecutor, read_record, run_jobs

ray = pytest.importorskip("ray", reason="the optional 'ray' extra is not installed")
TESTS_DIR = str(Path(__file__).parent)


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": TESTS_DIR}})
    yield
    ray.shutdown()


def test_ray_and_local_sweeps_of_two_seeds_give_identical_tables(tmp_path, local_ray):
    local_study, ray_study = tmp_path / "local", tmp_path / "ray"
    local = run_jobs(seed_jobs([0, 1], str(tmp_path / "local.txt")), local_study,
                     executor=LocalExecutor(max_workers=2), progress=False)
    executor = RayExecutor()
    assert executor.capacity == 2
    on_ray = run_jobs(seed_jobs([0, 1], str(tmp_path / "ray.txt")), ray_study, executor=executor, progress=False)
    assert local.ok and on_ray.ok and sorted(local.ran) == sorted(on_ray.ran) and len(on_ray.ran) == 6
    local_tables = study_tables(local_study)
    pd.testing.assert_frame_equal(local_tables, study_tables(ray_study))
    assert sorted(local_tables["seed"].unique()) == [0, 1]
    assert Counter(ledger_lines(str(tmp_path / "ray.txt"))) == Counter(ledger_lines(str(tmp_path / "local.txt")))
    record = json.loads((ray_study / "jobs" / "seed-0.train.json").read_text())
    assert record["status"] == "done" and record["host"]
    assert "trained seed 0" in (ray_study / "logs" / "seed-0.train.log").read_text()
    again = run_jobs(seed_jobs([0, 1], str(tmp_path / "ray.txt")), ray_study, executor=RayExecutor(),
                     progress=False)
    assert again.ran == [] and len(again.reused) == 6


def test_ray_failures_are_reported_and_dead_workers_retried(tmp_path, local_ray):
    study, ledger = tmp_path / "study", str(tmp_path / "ledger.txt")
    jobs = [
        Job(job_id="fails", kind="x", target="sweep_fakes:fake_fail", kwargs={"ledger": ledger}),
        Job(job_id="after-fail", kind="x", target="sweep_fakes:fake_fail", kwargs={"ledger": ledger},
            depends_on=("fails",)),
        Job(job_id="phoenix", kind="x", target="sweep_fakes:die_first_time",
            kwargs={"ledger": ledger, "marker": str(tmp_path / "marker")}),
    ]
    summary = run_jobs(jobs, study, executor=RayExecutor(), retries=1, progress=False)
    assert [r.job_id for r in summary.failed] == ["fails"]
    assert summary.failed[0].error == "ValueError: synthetic failure for the test"
    assert "Traceback" in (study / "logs" / "fails.log").read_text()
    assert [r.job_id for r in summary.skipped] == ["after-fail"]
    assert summary.ran == ["phoenix"] and read_record(study, "phoenix").attempts == 2
