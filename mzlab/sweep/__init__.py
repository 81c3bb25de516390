"""Seed sweeps: a DAG of jobs (train per seed, then each analysis per seed) on a local process pool or Ray.

Public API::

    run_sweep(out_dir, *, env, seeds, overrides=(), analyses="all", quick=False, executor="local",
              max_workers=None, ray_address=None, retries=2, progress=True) -> SweepSummary
    run_jobs(jobs, study_dir, *, executor, retries=2, progress=True) -> SweepSummary   # any DAG of Job
    Job(job_id, kind, target="module:function", kwargs, paths, depends_on)
    parse_seeds("0-4") -> [0, 1, 2, 3, 4];  make_executor("local" | "ray", ...)

The demo study (sweep + report) is :func:`mzlab.demo_study.run_demo_study`, above both layers.
"""

from mzlab.sweep.executors import EXECUTORS, LocalExecutor, RayExecutor, WorkerDied, make_executor
from mzlab.sweep.jobs import Job
from mzlab.sweep.records import JobRecord, read_record
from mzlab.sweep.run import run_sweep
from mzlab.sweep.runner import SweepSummary, run_jobs
from mzlab.sweep.seeds import parse_seeds
from mzlab.sweep.study import EXPERIMENTS, StudyPlan, read_study_file, resolve_analyses, study_jobs

__all__ = [
    "EXECUTORS",
    "EXPERIMENTS",
    "Job",
    "JobRecord",
    "LocalExecutor",
    "RayExecutor",
    "StudyPlan",
    "SweepSummary",
    "WorkerDied",
    "make_executor",
    "parse_seeds",
    "read_record",
    "read_study_file",
    "resolve_analyses",
    "run_jobs",
    "run_sweep",
    "study_jobs",
]
