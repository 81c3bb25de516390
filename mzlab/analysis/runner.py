"""Run one experiment (or ``all``) over a session and write its table and figure.

Outputs under ``OUT``: ``<experiment>.parquet`` (the tidy table, ``env`` and ``seed`` on every row; search-prior
also writes ``search-prior-depth.parquet``),
``<experiment>.png`` and ``<experiment>.svg`` (drawn from that table only), and ``cache/`` (reused units).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from mzlab.analysis.options import EXPERIMENTS
from mzlab.atomic_files import write_bytes_atomic
from mzlab.errors import MzlabError

__all__ = ["run_experiment", "check_experiment", "write_table"]


def _runners() -> dict:
    from mzlab.analysis.cross_step import run_cross_step
    from mzlab.analysis.learning_curves import run_learning_curves
    from mzlab.analysis.planning import run_planning
    from mzlab.analysis.search_prior import run_search_prior
    from mzlab.analysis.sequence_rank import run_sequence_rank
    from mzlab.analysis.value_error import run_value_error

    return {
        "learning-curves": run_learning_curves,
        "value-error": run_value_error,
        "sequence-rank": run_sequence_rank,
        "cross-step": run_cross_step,
        "search-prior": run_search_prior,
        "planning": run_planning,
    }


def check_experiment(name: str) -> list[str]:
    """The experiments ``name`` stands for; MzlabError for an unknown name."""
    if name == "all":
        return list(EXPERIMENTS)
    if name not in EXPERIMENTS:
        raise MzlabError(f"unknown experiment {name!r}; valid experiments: {', '.join(EXPERIMENTS)}, all")
    return [name]


def write_table(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as Parquet to ``path`` atomically."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_bytes_atomic(path, buffer.getvalue())
    return path


def run_experiment(name: str, session, steps: list[int] | None = None, *, figures: bool = True) -> dict[str, list]:
    """Compute every experiment ``name`` stands for; write tables and figures under ``session.out``.

    Returns ``{experiment: [paths written]}``.
    """
    from mzlab.plots.analysis_figures import FIGURES
    from mzlab.plots.style import save_figure

    names = check_experiment(name)
    runners = _runners()
    session.out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list] = {}
    for experiment in names:
        result = runners[experiment](session, steps)
        tables = result if isinstance(result, dict) else {experiment: result}  # search-prior writes two
        paths = []
        for name, table in tables.items():
            paths.append(write_table(table, session.out / f"{name}.parquet"))
            if figures and name in FIGURES:
                paths.extend(save_figure(FIGURES[name](table), session.out / name))
        written[experiment] = paths
    return written
