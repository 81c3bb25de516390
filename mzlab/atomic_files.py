"""Atomic file writes: a reader sees either the old file or the complete new one, never a partial file.

Data goes to a temporary file in the target's directory, is flushed to disk, and replaces the target with
``os.replace`` (atomic on POSIX and Windows within one file system). Used by the run directory and config IO.
The file gets the mode ``open()`` would give it (``0666`` minus the process umask: ``0644`` under umask 022),
not ``mkstemp``'s private ``0600``, so colleagues on shared storage can read a study.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["write_bytes_atomic", "write_json_atomic", "current_umask", "TEMP_MARKER"]

TEMP_MARKER = ".tmp-"
"""Substring of every temporary file name; readers listing a directory skip names containing it."""


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory, fsync, ``os.replace``)."""
    target = Path(path)
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}{TEMP_MARKER}", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), 0o666 & ~current_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def write_json_atomic(path: str | os.PathLike, value: Any) -> None:
    """Write ``value`` as indented, key-sorted JSON (strict: no NaN or infinity) to ``path`` atomically."""
    text = json.dumps(value, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def current_umask() -> int:
    """The process umask, read without changing it where Linux exposes it (``/proc/self/status``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (briefly process-wide)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows opening directories."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
