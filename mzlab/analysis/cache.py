"""Reuse of computed result units keyed by (run, checkpoint weights, experiment, options).

A unit is the table one experiment computes for one run and one checkpoint (cross-step: one model checkpoint
against all policy checkpoints). It is stored as ``CACHE/<experiment>/<key>.parquet`` plus ``<key>.json`` with
the key's contents; the key is the sha256 of the canonical JSON of the run's path, the sha256 of every
checkpoint's weights involved, the experiment name, its options and the experiment's ``cache_version`` (its
spec in :mod:`mzlab.analysis.experiments`; :data:`CACHE_VERSION` for a unit name no experiment has). A
retrained run or changed options give a new key; nothing is ever overwritten in place (atomic writes).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from mzlab.analysis.registry import cache_version
from mzlab.atomic_files import write_bytes_atomic, write_json_atomic

__all__ = ["ResultCache", "CACHE_VERSION", "cache_key"]

CACHE_VERSION = 2
"""The version of units whose name is no registered experiment (each experiment's spec has its own)."""


def cache_key(parts: dict[str, Any], *, version: int = CACHE_VERSION) -> str:
    """Hex sha256 of the canonical JSON of ``parts`` (plus the cache version)."""
    text = json.dumps({"version": version, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class ResultCache:
    """Parquet units under ``root``; ``enabled=False`` computes every time and stores nothing."""

    def __init__(self, root: str | Path, *, enabled: bool = True):
        self.root = Path(root)
        self.enabled = enabled
        self.hits = 0
        self.misses = 0

    def path(self, experiment: str, key: str) -> Path:
        return self.root / experiment / f"{key}.parquet"

    def get_or_compute(self, experiment: str, parts: dict[str, Any], compute: Callable[[], pd.DataFrame]):
        """The cached unit for ``parts`` or, if absent, ``compute()`` stored under it."""
        version = cache_version(experiment)
        key = cache_key({"experiment": experiment, **parts}, version=CACHE_VERSION if version is None else version)
        path = self.path(experiment, key)
        if self.enabled and path.is_file():
            try:
                frame = pd.read_parquet(path)
                self.hits += 1
                return frame
            except Exception:  # an unreadable unit (e.g. from a crash) is recomputed, then replaced atomically
                pass
        self.misses += 1
        frame = compute()
        if self.enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            write_bytes_atomic(path, buffer.getvalue())
            write_json_atomic(path.with_suffix(".json"), json.loads(json.dumps(parts, default=str)))
        return frame
