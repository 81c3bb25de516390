"""Reading files that mzlab wrote, checked before they are trusted: sizes from ``stat`` before any read, a
sha256 against what the writer recorded, JSON with a size cap and a nesting limit. Every failure is one
:class:`MzlabError` line naming the file (``what`` says which kind of file it is)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from mzlab.errors import MzlabError

__all__ = ["file_size", "read_verified_bytes", "read_json_file", "file_digest", "with_checksum", "checksum_problem",
           "JSON_SIZE_LIMIT"]

JSON_SIZE_LIMIT = 64 * 2**20
"""Largest JSON file (config, metadata, job record, study file) mzlab reads: 64 MiB."""


def file_size(path: str | os.PathLike, *, what: str) -> int:
    """Size in bytes from ``stat``; a missing or unreadable file is a named error."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        raise MzlabError(f"{what} {str(path)!r} is missing") from None
    except OSError as error:
        raise MzlabError(f"{what} {str(path)!r} cannot be read: {error.strerror}") from None


def _read_bytes(path: str | os.PathLike, *, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise MzlabError(f"{what} {str(path)!r} is missing") from None
    except OSError as error:
        raise MzlabError(f"{what} {str(path)!r} cannot be read: {error.strerror}") from None


def file_digest(data: bytes) -> dict[str, Any]:
    """``{"size", "sha256"}`` of ``data``: what a writer records and :func:`read_verified_bytes` checks."""
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def read_verified_bytes(path: str | os.PathLike, *, what: str, size: Any, sha256: Any, recorded_in: str) -> bytes:
    """The bytes of ``path`` after checking its size (from ``stat``, before reading: a huge or sparse file is
    refused without being read) and its sha256 against the values ``recorded_in`` a metadata file."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0 or not isinstance(sha256, str):
        raise MzlabError(f"{recorded_in!r} does not record a valid size and sha256 for {what} {str(path)!r}")
    try:
        actual = file_size(path, what=what)
    except MzlabError as error:
        raise MzlabError(f"{error} (listed in {recorded_in!r})") from None
    if actual != size:
        raise MzlabError(f"{what} {str(path)!r} is truncated or changed: {actual} bytes, expected {size}")
    data = _read_bytes(path, what=what)
    if len(data) != size:
        raise MzlabError(f"{what} {str(path)!r} is truncated or changed: {len(data)} bytes, expected {size}")
    if hashlib.sha256(data).hexdigest() != sha256:
        raise MzlabError(f"{what} {str(path)!r} is corrupted: its sha256 does not match {recorded_in!r}")
    return data


def read_json_file(path: str | os.PathLike, *, what: str, limit: int = JSON_SIZE_LIMIT) -> Any:
    """The parsed JSON of ``path``: missing, too large (checked before reading), not UTF-8, not JSON and too
    deeply nested are each one line naming the file."""
    size = file_size(path, what=what)
    if size > limit:
        raise MzlabError(f"{what} {str(path)!r} is {size} bytes, more than the {limit} an mzlab JSON file can be")
    data = _read_bytes(path, what=what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MzlabError(f"{what} {str(path)!r} is corrupted: not UTF-8 text (byte {error.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise MzlabError(f"{what} {str(path)!r} is corrupted: not valid JSON (line {error.lineno}): {error.msg}") \
            from None
    except RecursionError:
        raise MzlabError(f"{what} {str(path)!r} is nested too deeply to be an mzlab file") from None


def with_checksum(payload: dict) -> dict:
    """``payload`` (JSON-able; values ``json`` cannot write become strings) plus a ``checksum`` entry: the
    sha256 of its canonical JSON. :func:`checksum_problem` verifies it after reading."""
    plain = json.loads(json.dumps({k: v for k, v in payload.items() if k != "checksum"}, default=str))
    plain["checksum"] = _canonical_sha256(plain)
    return plain


def checksum_problem(payload: dict) -> str:
    """'' when ``payload`` has no ``checksum`` entry (written before checksums) or a matching one."""
    if "checksum" not in payload or payload["checksum"] == _canonical_sha256(payload):
        return ""
    return "its checksum does not match its content (corrupted or edited)"


def _canonical_sha256(payload: dict) -> str:
    content = {key: value for key, value in payload.items() if key != "checksum"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
