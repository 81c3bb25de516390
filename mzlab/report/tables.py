"""A study's result tables: collect the per-seed Parquet files and summarise them as mean ± standard error.

Pure functions on pandas frames; no plotting and no file writing here. Each experiment's summary spec comes
from its registration (:mod:`mzlab.analysis.registry`); a table no experiment names gets one guessed from its
column types.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from mzlab.analysis.experiment import SummarySpec
from mzlab.analysis.registry import table_spec

__all__ = ["SummarySpec", "summary_spec", "VARIANT_COLUMN", "collect_tables", "spec_for", "with_variant", "summarise",
           "format_mean_se"]

REPLICATE_COLUMNS = ("env", "seed", "episode", "state_index", "sequence", "source")
"""Columns that index replicates, averaged over rather than kept as keys."""


def summary_spec(name: str) -> SummarySpec | None:
    """The summary spec the experiments' registry gives the table ``name`` (any spelling), or None."""
    table = table_spec(_canonical(name))
    return None if table is None else table.summary


def _canonical(name: str) -> str:
    return re.sub(r"[_\s]+", "-", name.strip().lower())


VARIANT_COLUMN = "variant"
"""Column naming a study's variant (from its ``variant-<name>`` folder); it leads the keys and the series."""


def _variant_from_path(path: Path) -> str | None:
    for part in path.parts:
        if part.startswith("variant-") and len(part) > len("variant-"):
            return part[len("variant-"):]
    return None


def _seed_from_path(path: Path) -> int | None:
    for part in path.parts:
        match = re.fullmatch(r"seed-(\d+)", part)
        if match:
            return int(match.group(1))
    return None


SKIPPED_FOLDERS = ("cache", "checkpoints", "replay", "tensorboard")
"""Folders whose Parquet files are intermediate data, not result tables."""


def collect_tables(study_dir: str | Path, *, folder: str = "analysis", pattern: str = "**/*.parquet"
                   ) -> dict[str, pd.DataFrame]:
    """Every Parquet file matching ``pattern`` under ``study_dir/folder``, concatenated per name (file stem).

    Files inside :data:`SKIPPED_FOLDERS` or hidden folders are ignored. A ``seed`` column is added from a
    ``seed-<n>`` folder in the path where the table lacks one, and a ``variant`` column from a
    ``variant-<name>`` folder (a study's variants). Returns ``{name: frame}`` with names in ``kebab-case`` and
    rows in a fixed order (by path).
    """
    root = Path(study_dir) / folder
    groups: dict[str, list[pd.DataFrame]] = {}
    for path in sorted(root.glob(pattern)) if root.is_dir() else []:
        parts = path.relative_to(root).parts[:-1]
        if any(part in SKIPPED_FOLDERS or part.startswith(".") for part in parts):
            continue
        frame = pd.read_parquet(path)
        if "seed" not in frame.columns:
            seed = _seed_from_path(path.relative_to(root))
            if seed is not None:
                frame = frame.assign(seed=seed)
        variant = _variant_from_path(path.relative_to(root))
        if variant is not None and VARIANT_COLUMN not in frame.columns:
            frame = frame.assign(**{VARIANT_COLUMN: variant})
        groups.setdefault(_canonical(path.stem), []).append(frame)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in sorted(groups.items())}


def spec_for(name: str, table: pd.DataFrame) -> SummarySpec:
    """The known spec restricted to the columns present, or one guessed from the column types; a ``variant``
    column leads the keys and the series (variants side by side)."""
    return with_variant(_spec_for(name, table), table)


def with_variant(spec: SummarySpec, table: pd.DataFrame) -> SummarySpec:
    """``spec`` with the ``variant`` column first among its keys and series, when ``table`` has one."""
    if VARIANT_COLUMN not in table.columns:
        return spec
    keys = (VARIANT_COLUMN, *(k for k in spec.keys if k != VARIANT_COLUMN))
    series = (VARIANT_COLUMN, *(s for s in spec.series if s != VARIANT_COLUMN))
    return SummarySpec(keys, spec.values, spec.x, series, spec.title)


def _spec_for(name: str, table: pd.DataFrame) -> SummarySpec:
    known = summary_spec(name)
    columns = set(table.columns)
    if known is not None and set(known.values) & columns:
        keys = tuple(k for k in known.keys if k in columns)
        values = tuple(v for v in known.values if v in columns)
        x = known.x if known.x in columns else (keys[0] if keys else "")
        return SummarySpec(keys, values, x, tuple(s for s in known.series if s in columns and s != x), known.title)
    numeric = [c for c in table.columns if c not in REPLICATE_COLUMNS and pd.api.types.is_numeric_dtype(table[c])]
    values = tuple(c for c in numeric if pd.api.types.is_float_dtype(table[c]))
    keys = tuple(c for c in table.columns if c not in REPLICATE_COLUMNS and c not in values)
    x = "step" if "step" in keys else (keys[0] if keys else "")
    series = tuple(k for k in keys if k != x and table[k].nunique() <= 8)
    return SummarySpec(keys, values, x, series, name)


def summarise(table: pd.DataFrame, spec: SummarySpec) -> pd.DataFrame:
    """Mean ± standard error over seeds: average within each seed first, then across seeds.

    Returns one row per combination of ``spec.keys`` with ``<value>_mean``, ``<value>_se`` (standard error
    ``std(ddof=1) / sqrt(n)``; NaN with one seed) and ``num_seeds``.
    """
    keys = list(spec.keys)
    values = list(spec.values)
    data = table.copy()
    if "seed" not in data.columns:
        data["seed"] = 0
    per_seed = data.groupby(keys + ["seed"], dropna=False, sort=True)[values].mean().reset_index()
    grouped = per_seed.groupby(keys, dropna=False, sort=True) if keys else per_seed.groupby(lambda _: 0)
    mean = grouped[values].mean()
    count = grouped["seed"].nunique()
    std = grouped[values].std(ddof=1)
    out = pd.DataFrame(index=mean.index)
    for value in values:
        out[f"{value}_mean"] = mean[value]
        out[f"{value}_se"] = std[value] / np.sqrt(count)
    out["num_seeds"] = count
    return out.reset_index(drop=not keys)


def format_mean_se(mean: float, se: float) -> str:
    """``"12.3 ± 0.45"``; without a standard error (one seed) just the mean."""
    if pd.isna(mean):
        return "–"
    if pd.isna(se):
        return f"{mean:.4g}"
    return f"{mean:.4g} ± {se:.2g}"
