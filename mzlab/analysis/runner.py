"""Run one experiment (or ``all``) over a session and write its tables (and, given a drawer, its figures).

Outputs under ``OUT``: ``<table>.parquet`` for every table of the experiment's spec (the tidy table, ``env``
and ``seed`` on every row; search-prior also writes ``search-prior-depth.parquet``), what ``draw`` writes
(``mzlab analyze``: ``<table>.png`` and ``<table>.svg`` from :func:`mzlab.plots.experiment_figures.draw_table`,
drawn from that table only) and ``cache/`` (reused units). The experiments come from the registry
(:mod:`mzlab.analysis.registry`); this layer never imports the plots.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mzlab.analysis.registry import experiment_names, get_experiment, run_function
from mzlab.atomic_files import write_bytes_atomic

__all__ = ["run_experiment", "check_experiment", "write_table"]

Drawer = Callable[[str, pd.DataFrame, Path], list]
"""``draw(table_name, table, stem) -> [paths written]``."""


def check_experiment(name: str) -> list[str]:
    """The experiments ``name`` stands for; MzlabError for an unknown name."""
    if name == "all":
        return list(experiment_names())
    return [get_experiment(name).name]


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as Parquet to ``path`` atomically."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_bytes_atomic(path, buffer.getvalue())
    return path


def run_experiment(name: str, session, steps: list[int] | None = None, *, draw: Drawer | None = None
                   ) -> dict[str, list]:
    """Compute every experiment ``name`` stands for; write its tables (and ``draw``'s figures) under
    ``session.out``. Returns ``{experiment: [paths written]}``."""
    names = check_experiment(name)
    session.out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list] = {}
    for experiment in names:
        spec = get_experiment(experiment)
        result = run_function(spec)(session, steps)
        tables = result if isinstance(result, dict) else {spec.name: result}
        unknown = sorted(set(tables) - {table.name for table in spec.tables})
        if unknown:
            raise ValueError(f"experiment {spec.name!r} returned table {unknown[0]!r}, which its spec does not name")
        paths = []
        for table_name, table in tables.items():
            paths.append(write_table(table, session.out / f"{table_name}.parquet"))
            if draw is not None:
                paths.extend(draw(table_name, table, session.out / table_name))
        written[experiment] = paths
    return written
