"""The job model: a job names a Python entry point by ``"module:function"`` and its keyword arguments.

Jobs form a DAG through ``depends_on``. Paths a job reads or writes are given relative to the study directory
in ``paths`` and joined with it in the worker, so a study directory can move (or be mounted elsewhere on a
cluster node) without changing any job's identity.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from mzlab.errors import MzlabError

__all__ = ["Job", "job_spec", "check_graph"]


@dataclass(frozen=True)
class Job:
    """One unit of work of a sweep.

    ``target`` is ``"package.module:function"``; the worker imports it and calls
    ``function(**kwargs, **{name: study_dir / path for name, path in paths})``. The function returns a
    JSON-serialisable summary (stored in the job's record) or raises.
    """

    job_id: str
    """Unique, file-name safe (``[A-Za-z0-9._-]``): also the name of the record and the log."""
    kind: str
    """Free label used for grouping (``train``, an experiment name, ...)."""
    target: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    depends_on: tuple[str, ...] = ()
    num_cpus: float = 1.0
    """CPUs a Ray task reserves for this job."""
    num_gpus: float = 0.0
    """GPUs a Ray task reserves for this job (a task without GPUs sees none)."""

    @property
    def spec_hash(self) -> str:
        """Identity of the work: target, arguments and study-relative paths (not the dependencies)."""
        payload = json.dumps([self.target, self.kwargs, self.paths], sort_keys=True, default=str)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def job_spec(job: Job, study_dir: str, *, log: str, num_threads: int | None) -> dict[str, Any]:
    """The plain dict a worker receives (picklable and JSON-able, no mzlab objects)."""
    return {
        "job_id": job.job_id,
        "target": job.target,
        "kwargs": dict(job.kwargs),
        "paths": dict(job.paths),
        "study_dir": str(study_dir),
        "log": log,
        "num_threads": num_threads,
    }


def check_graph(jobs: list[Job]) -> None:
    """Refuse duplicate ids, unsafe ids, unknown dependencies and cycles."""
    ids = [job.job_id for job in jobs]
    seen: set[str] = set()
    for job_id in ids:
        if job_id in seen:
            raise MzlabError(f"duplicate job id {job_id!r}")
        if not job_id or not all(ch.isalnum() or ch in "._-" for ch in job_id):
            raise MzlabError(f"job id {job_id!r} must use only letters, digits, '.', '_' and '-'")
        seen.add(job_id)
    by_id = {job.job_id: job for job in jobs}
    for job in jobs:
        for dependency in job.depends_on:
            if dependency not in by_id:
                raise MzlabError(f"job {job.job_id!r} depends on unknown job {dependency!r}")
    state: dict[str, int] = {}

    def visit(job_id: str, trail: tuple[str, ...]) -> None:
        if state.get(job_id) == 2:
            return
        if state.get(job_id) == 1:
            raise MzlabError(f"job dependencies form a cycle: {' -> '.join(trail + (job_id,))}")
        state[job_id] = 1
        for dependency in by_id[job_id].depends_on:
            visit(dependency, trail + (job_id,))
        state[job_id] = 2

    for job in jobs:
        visit(job.job_id, ())
