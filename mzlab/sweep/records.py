"""Job status records: one JSON file per job under ``STUDY/jobs/``, written atomically.

Only the sweep's driver writes records, so a record is always a complete JSON document: either the one
before an update or the one after (temp file + ``os.replace``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mzlab.atomic_files import write_bytes_atomic
from mzlab.checked_files import checksum_problem, with_checksum

__all__ = ["JobRecord", "STATUSES", "write_json_atomic", "read_record", "record_problem", "write_record", "record_path",
           "log_path"]

STATUSES = ("pending", "running", "done", "failed", "skipped")
"""``running`` left behind by a killed sweep is treated like ``pending`` on the next run."""


@dataclass
class JobRecord:
    """What the study directory remembers about one job."""

    job_id: str
    kind: str
    status: str = "pending"
    attempts: int = 0
    """Times the job was started (a worker death followed by a retry counts twice)."""
    spec_hash: str = ""
    """Hash of the job's target and arguments; a ``done`` job is skipped only while this matches."""
    depends_on: list[str] = field(default_factory=list)
    log: str = ""
    """Log file, relative to the study directory."""
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    seconds: float | None = None
    """Wall-clock seconds of the last attempt, measured in the worker."""
    host: str | None = None
    result: Any = None


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write ``payload`` as JSON to ``path`` atomically (:mod:`mzlab.atomic_files`: temp file, rename, umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def record_path(study_dir: Path, job_id: str) -> Path:
    return Path(study_dir) / "jobs" / f"{job_id}.json"


def log_path(study_dir: Path, job_id: str) -> Path:
    return Path(study_dir) / "logs" / f"{job_id}.log"


def read_record(study_dir: Path, job_id: str) -> JobRecord | None:
    """The stored record, or None when there is none or it cannot be read (then the job simply reruns)."""
    path = record_path(study_dir, job_id)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if record_problem(payload) or payload["job_id"] != job_id:
        return None
    known = {f.name for f in fields(JobRecord)}
    return JobRecord(**{key: value for key, value in payload.items() if key in known})


_OPTIONAL_NUMBER = (int, float, type(None))
_FIELD_TYPES = {"job_id": str, "kind": str, "status": str, "attempts": int, "spec_hash": str, "depends_on": list,
                "log": str, "error": (str, type(None)), "started_at": _OPTIONAL_NUMBER,
                "finished_at": _OPTIONAL_NUMBER, "seconds": _OPTIONAL_NUMBER, "host": (str, type(None))}


def record_problem(payload: Any) -> str:
    """What makes ``payload`` not a job record ('' when it is one)."""
    if not isinstance(payload, dict):
        return "not a JSON object"
    if checksum_problem(payload):
        return checksum_problem(payload)
    for key in ("job_id", "kind"):
        if key not in payload:
            return f"no {key!r}"
    for key, kinds in _FIELD_TYPES.items():
        value = payload.get(key)
        if key in payload and (not isinstance(value, kinds) or isinstance(value, bool)):
            return f"{key!r} is {value!r}"
    if payload.get("status", "pending") not in STATUSES:
        return f"'status' is {payload['status']!r}, not one of {', '.join(STATUSES)}"
    return ""


def write_record(study_dir: Path, record: JobRecord) -> None:
    write_json_atomic(record_path(study_dir, record.job_id), with_checksum(asdict(record)))
