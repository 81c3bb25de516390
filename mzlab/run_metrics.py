"""The metrics file of a run directory (``RUN/metrics.jsonl``): one JSON object per line, appended.

Each checkpoint records the size and sha256 of the metrics file at the moment it was saved (every row up to
that checkpoint's step was written before it), so a reader verifies that prefix: a truncated, deleted, edited
or byte-flipped metrics file is a named error, never silently different rows. Rows after the newest checkpoint
are not covered yet (a resume discards them); only a torn last line, the trace of a kill mid-append, is skipped.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mzlab.atomic_files import write_bytes_atomic
from mzlab.checked_files import file_digest
from mzlab.errors import MzlabError

__all__ = ["append_rows", "read_rows", "metrics_digest", "discard_rows_after", "repair_tail"]


def append_rows(path: Path, rows: list[Mapping[str, Any]]) -> None:
    lines = "".join(json.dumps(dict(row), default=_json_scalar) + "\n" for row in rows)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(lines)
        handle.flush()


def metrics_digest(path: Path) -> dict[str, Any]:
    """``{"size", "sha256"}`` of the metrics file now (size 0 when there is none)."""
    return file_digest(path.read_bytes() if path.is_file() else b"")


def read_rows(path: Path, *, recorded: Mapping[str, Any] | None = None, recorded_in: str = "") -> list[dict]:
    """Every row; ``recorded`` (a checkpoint's ``metrics`` entry, from ``recorded_in``) is verified first."""
    data = path.read_bytes() if path.is_file() else None
    if recorded is not None:
        size = recorded.get("size")
        if data is None and size:
            raise MzlabError(f"metrics file {str(path)!r} is missing; {recorded_in!r} recorded {size} bytes of rows")
        data = data or b""
        if not isinstance(size, int) or len(data) < size:
            raise MzlabError(f"metrics file {str(path)!r} is truncated: {len(data)} bytes, but {recorded_in!r} "
                             f"recorded {size} bytes of rows")
        if hashlib.sha256(data[:size]).hexdigest() != recorded.get("sha256"):
            raise MzlabError(f"metrics file {str(path)!r} is corrupted or was edited: its rows up to that checkpoint "
                             f"do not match the sha256 in {recorded_in!r}")
    return [row for _, row in _parse_lines(path, data or b"")]


def discard_rows_after(path: Path, step: int) -> None:
    """Drop rows whose ``step`` exceeds ``step``, keeping the other lines byte for byte; atomic rewrite."""
    if not path.is_file():
        return
    data = path.read_bytes()
    kept = [line for line, row in _parse_lines(path, data) if not row.get("step", -math.inf) > step]
    write_bytes_atomic(path, b"".join(line + b"\n" for line in kept))


def repair_tail(path: Path) -> None:
    """Cut a torn final line (a crash mid-append) so new rows start on a line of their own."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        write_bytes_atomic(path, data[: data.rfind(b"\n") + 1])


def _parse_lines(path: Path, data: bytes) -> list[tuple[bytes, dict]]:
    rows = []
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line.decode("utf-8"))
            if not isinstance(row, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError):
            if number == len(lines):  # torn last line (no newline after it): an interrupted append
                continue
            raise MzlabError(f"metrics file {str(path)!r} line {number} is corrupted") from None
        rows.append((line, row))
    return rows


def _json_scalar(value: Any) -> Any:
    if isinstance(value, np.generic | torch.Tensor) and getattr(value, "ndim", 0) == 0:
        return value.item()
    raise TypeError(f"metrics value of type {type(value).__name__} is not a JSON scalar")
