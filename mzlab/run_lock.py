"""One writer per run directory: an exclusive ``flock`` on ``RUN/.writer.lock``.

The kernel holds the lock for the open file and drops it when the process ends in any way (exit, crash,
``kill -9``), so there is never a stale lock to clean up. The file's content (pid, host, start time) only
names the holder in the error a second writer gets. The lock is re-entrant within one process (the same
process may reopen its own run directory, as resuming code and tests do) and released when every holder in
the process has closed it. Readers never take it.

Platforms without ``fcntl`` (Windows) get no lock: there, one trainer per run directory is the user's
responsibility (docs/reliability.md). On NFS, Linux maps ``flock`` to NFS byte-range locks, which work across
clients when the server supports them (NFSv4, or v3 with lockd).
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import threading
from pathlib import Path

from mzlab.errors import MzlabError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = ["LOCK_NAME", "acquire_writer_lock", "locking_supported"]

LOCK_NAME = ".writer.lock"
_guard = threading.Lock()
_held: dict[str, list] = {}  # resolved run path -> [open lock file, holders in this process]


def locking_supported() -> bool:
    return fcntl is not None


def acquire_writer_lock(directory: Path):
    """Take the writer lock of ``directory`` (which exists); returns a function that releases it once.

    A lock held by another process is a one-line :class:`MzlabError` naming the holder.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return lambda: None
    key = str(Path(directory).resolve())
    with _guard:
        if key in _held:
            _held[key][1] += 1
        else:
            _held[key] = [_lock_file(Path(directory)), 1]
    released = False

    def release() -> None:
        nonlocal released
        with _guard:
            if released or key not in _held:
                return
            released = True
            _held[key][1] -= 1
            if _held[key][1] == 0:
                _held.pop(key)[0].close()  # closing the file drops the flock

    return release


def _lock_file(directory: Path):
    path = directory / LOCK_NAME
    handle = open(path, "a+", encoding="utf-8")  # never truncate before holding the lock
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = _describe_holder(handle.read(1000))
        handle.close()
        raise MzlabError(f"run directory {str(directory)!r} is being written by another trainer ({holder}); "
                         "wait for it to finish or use another --run-dir") from None
    handle.seek(0)
    handle.truncate()
    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started}) + "\n")
    handle.flush()
    return handle


def _describe_holder(text: str) -> str:
    try:
        holder = json.loads(text)
        return f"pid {int(holder['pid'])} on host {str(holder['host'])[:100]}, started {str(holder['started'])[:40]}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown: its lock file has no readable owner yet"
