"""The one exception type that reaches users as a one-line message, and the one place every other failure is
turned into such a line (:func:`failure_message`)."""

from __future__ import annotations

import errno

__all__ = ["MzlabError", "failure_message"]


class MzlabError(Exception):
    """A user-facing error: bad input, a missing or corrupted file, an unknown name.

    The CLI prints ``mzlab: error: <message>`` and exits with status 2. The message is one line and names
    the field, file or value at fault and what is allowed instead.
    """


_OS_HINTS = {
    errno.ENOSPC: "the disk is full; files written before stay whole (every write is atomic), free space and "
                  "rerun the same command",
    errno.EDQUOT: "the disk quota is exceeded; free space and rerun the same command",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EEXIST: "it already exists (and is not what mzlab expected there, e.g. a file where a folder goes)",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.EROFS: "the file system is read-only",
}


def failure_message(error: BaseException) -> tuple[str, int]:
    """``(one-line message, exit status)`` for any exception that ends a command.

    :class:`MzlabError` keeps its message (status 2); OS errors name the file and the cause, memory and
    recursion limits say what ran out (status 2); anything else is an internal error (status 1). The message
    never spans lines; ``mzlab --debug`` shows the traceback instead.
    """
    if isinstance(error, MzlabError):
        return _one_line(str(error)), 2
    if isinstance(error, OSError):
        where = " -> ".join(repr(str(name)) for name in (error.filename, error.filename2) if name is not None)
        cause = _OS_HINTS.get(error.errno, error.strerror or type(error).__name__)
        return _one_line(f"{where}: {cause}" if where else f"{cause} ({error})"), 2
    if isinstance(error, MemoryError):
        return ("out of memory; the requested sizes (batch, buffer, horizons, episodes, seeds) do not fit in "
                "this machine's memory, use smaller ones"), 2
    if isinstance(error, RecursionError):
        return "input nested too deeply (a config or JSON file with runaway nesting)", 2
    return _one_line(f"internal error, please report it: {type(error).__name__}: {error} "
                     "(rerun with mzlab --debug for the traceback)"), 1


def _one_line(text: str) -> str:
    return " ".join(text.split())[:2000]
