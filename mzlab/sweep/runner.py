"""The scheduler: run a DAG of jobs on an executor, recording each job's status under ``STUDY/jobs/``.

- A job whose record says ``done`` with the same spec hash is skipped (idempotent reruns; a killed sweep
  resumes where it stopped, since jobs in flight were never recorded as done).
- A job that raises is recorded ``failed`` with a one-line error and its log path; the rest of the sweep
  continues, and the jobs that depend on it are recorded ``skipped`` with the reason.
- A job whose worker died is resubmitted up to ``retries`` times, then recorded ``failed``.
- Ready jobs start tallest first (longest chain of dependants), so every seed trains before analyses fill the pool.
- Only one sweep at a time may drive a study directory (``STUDY/sweep.lock``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mzlab.errors import MzlabError
from mzlab.progress import Progress
from mzlab.sweep.executors import WorkerDied
from mzlab.sweep.jobs import Job, check_graph, job_spec
from mzlab.sweep.records import JobRecord, read_record, record_path, write_json_atomic, write_record

__all__ = ["run_jobs", "SweepSummary", "study_lock"]


@dataclass
class SweepSummary:
    """The outcome of one ``run_jobs`` call."""

    study_dir: Path
    ran: list[str] = field(default_factory=list)
    """Jobs executed to completion by this call."""
    reused: list[str] = field(default_factory=list)
    """Jobs already done in an earlier call, not rerun."""
    failed: list[JobRecord] = field(default_factory=list)
    skipped: list[JobRecord] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.skipped

    def lines(self) -> list[str]:
        """One line per problem, then a one-line total."""
        out = [f"FAILED {r.job_id}: {r.error} (log: {self.study_dir / r.log})" for r in self.failed]
        out += [f"SKIPPED {r.job_id}: {r.error}" for r in self.skipped]
        out.append(f"sweep {self.study_dir}: {len(self.ran)} ran, {len(self.reused)} already done, "
                   f"{len(self.failed)} failed, {len(self.skipped)} skipped")
        return out


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def study_lock(study_dir: Path):
    """Refuse a second sweep on the same study while the first one's process is alive."""
    path = Path(study_dir) / "sweep.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        holder = None
    if isinstance(holder, dict) and holder.get("pid") != os.getpid():
        if holder.get("host") == host and _pid_alive(int(holder.get("pid", 0))):
            raise MzlabError(f"{study_dir}: another sweep (pid {holder['pid']}) is running on this study")
        if holder.get("host") not in (None, host):
            raise MzlabError(f"{path}: held by a sweep on host {holder['host']}; delete the file if it is stale")
    write_json_atomic(path, {"pid": os.getpid(), "host": host, "since": time.time()})
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def _heights(jobs: list[Job]) -> dict[str, int]:
    """Longest chain of dependants below each job: ready jobs start tallest first (every seed's training
    before any analysis), which shortens the sweep's critical path; ties keep the given order."""
    children: dict[str, list[str]] = {job.job_id: [] for job in jobs}
    for job in jobs:
        for dependency in job.depends_on:
            children[dependency].append(job.job_id)
    height: dict[str, int] = {}

    def measure(job_id: str) -> int:
        if job_id not in height:
            height[job_id] = 1 + max((measure(child) for child in children[job_id]), default=-1)
        return height[job_id]

    for job in jobs:
        measure(job.job_id)
    return height


def run_jobs(
    jobs: list[Job],
    study_dir: str | os.PathLike,
    *,
    executor,
    retries: int = 2,
    progress: bool = True,
    poll_seconds: float = 0.5,
) -> SweepSummary:
    """Run ``jobs`` (a DAG) on ``executor``; returns a :class:`SweepSummary`.

    ``retries`` is how many times a job whose worker died is resubmitted (jobs that raise are not retried:
    their error is deterministic). Raises ``KeyboardInterrupt`` after recording the interrupted jobs as
    pending, so the next call resumes them.
    """
    check_graph(jobs)
    study_dir = Path(study_dir).resolve()
    summary = SweepSummary(study_dir=study_dir)
    by_id = {job.job_id: job for job in jobs}
    status: dict[str, str] = {}
    records: dict[str, JobRecord] = {}
    for job in jobs:
        old = read_record(study_dir, job.job_id)
        if old is None and record_path(study_dir, job.job_id).exists():
            print(f"mzlab: job record {str(record_path(study_dir, job.job_id))!r} is unreadable; the job runs again "
                  "(a finished job's rerun reuses its results)", file=sys.stderr)
        if old is not None and old.status == "done" and old.spec_hash == job.spec_hash:
            records[job.job_id] = old
            status[job.job_id] = "done"
            summary.reused.append(job.job_id)
            continue
        records[job.job_id] = JobRecord(
            job_id=job.job_id, kind=job.kind, spec_hash=job.spec_hash, depends_on=list(job.depends_on),
            log=f"logs/{job.job_id}.log", attempts=old.attempts if old is not None else 0,
        )
        status[job.job_id] = "pending"
        write_record(study_dir, records[job.job_id])
    height = _heights(jobs)
    deaths: dict[str, int] = {}
    in_flight: dict[object, str] = {}
    bar = Progress(len(jobs), initial=len(summary.reused), unit="job", desc=f"sweep {study_dir.name}",
                   enabled=progress, stream=sys.stderr)

    def finish(job_id: str, new_status: str, **changes) -> None:
        record = records[job_id]
        record.status = new_status
        for key, value in changes.items():
            setattr(record, key, value)
        write_record(study_dir, record)
        status[job_id] = new_status
        bar.update(1)
        if new_status == "failed":
            summary.failed.append(record)
            bar.write(f"FAILED {job_id}: {record.error} (log: {study_dir / record.log})")
        elif new_status == "skipped":
            summary.skipped.append(record)
        else:
            summary.ran.append(job_id)

    with study_lock(study_dir):
        try:
            while True:
                for job in jobs:
                    if status[job.job_id] != "pending":
                        continue
                    blocked = [d for d in job.depends_on if status[d] in ("failed", "skipped")]
                    if blocked:
                        finish(job.job_id, "skipped", error=f"dependency {blocked[0]} {status[blocked[0]]}")
                ready = sorted((job for job in jobs if status[job.job_id] == "pending"
                                and all(status[d] == "done" for d in job.depends_on)),
                               key=lambda job: -height[job.job_id])
                for job in ready[: max(0, executor.capacity - len(in_flight))]:
                    record = records[job.job_id]
                    record.status, record.error, record.started_at = "running", None, time.time()
                    record.attempts += 1
                    write_record(study_dir, record)
                    status[job.job_id] = "running"
                    spec = job_spec(job, str(study_dir), log=record.log, num_threads=executor.num_threads)
                    in_flight[executor.submit(spec, num_cpus=job.num_cpus, num_gpus=job.num_gpus)] = job.job_id
                bar.info(running=len(in_flight), failed=len(summary.failed))
                if not in_flight:
                    break
                for handle, outcome in executor.wait(list(in_flight), timeout=poll_seconds):
                    job_id = in_flight.pop(handle)
                    if isinstance(outcome, WorkerDied):
                        deaths[job_id] = deaths.get(job_id, 0) + 1
                        if deaths[job_id] <= retries:
                            bar.write(f"RETRY {job_id}: {outcome.reason} (retry {deaths[job_id]} of {retries})")
                            records[job_id].error = outcome.reason
                            records[job_id].status = status[job_id] = "pending"
                            write_record(study_dir, records[job_id])
                        else:
                            finish(job_id, "failed", finished_at=time.time(),
                                   error=f"worker died {deaths[job_id]} times: {outcome.reason}")
                    elif outcome.get("ok"):
                        finish(job_id, "done", finished_at=time.time(), seconds=outcome.get("seconds"),
                               host=outcome.get("host"), result=outcome.get("result"), error=None)
                    else:
                        finish(job_id, "failed", finished_at=time.time(), seconds=outcome.get("seconds"),
                               host=outcome.get("host"), error=outcome.get("error"))
        except BaseException:
            executor.shutdown(cancel=True, handles=tuple(in_flight))
            for job_id in in_flight.values():
                records[job_id].status, records[job_id].error = "pending", "interrupted"
                write_record(study_dir, records[job_id])
            bar.close()
            raise
        executor.shutdown()
        bar.close()
    missing = [job_id for job_id in by_id if status[job_id] not in ("done", "failed", "skipped")]
    if missing:  # unreachable with a checked DAG; kept as a guard against a silent partial sweep
        raise RuntimeError(f"sweep stopped with jobs not run: {missing}")
    return summary
