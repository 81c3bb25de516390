"""The figure of each result table, as its experiment's spec names it (:mod:`mzlab.analysis.registry`).

The spec holds a ``"module:function"`` reference; this layer loads and draws it, so the analysis never
imports the plots and a new experiment brings its figure in its own file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from mzlab.analysis.registry import table_spec
from mzlab.entry_points import load_entry_point

__all__ = ["figure_function", "extra_figures", "draw_table"]


def figure_function(table_name: str) -> Callable | None:
    """``figure(table) -> matplotlib figure`` of the table ``table_name``, or None when its spec has none."""
    spec = table_spec(table_name)
    if spec is None or spec.figure is None:
        return None
    return load_entry_point(spec.figure)


def extra_figures(table_name: str) -> list[tuple[str, Callable, str]]:
    """``(suffix, figure function, caption)`` of each further figure of the table ``table_name``."""
    spec = table_spec(table_name)
    if spec is None:
        return []
    return [(extra.suffix, load_entry_point(extra.figure), extra.caption) for extra in spec.extra_figures]


def draw_table(table_name: str, table: pd.DataFrame, stem: Path) -> list[Path]:
    """Draw ``table``'s figure into ``stem.png`` and ``stem.svg``, and each further figure into
    ``<stem>-<suffix>.png/.svg``; ``[]`` when its spec names no figure."""
    function = figure_function(table_name)
    if function is None:
        return []
    from mzlab.plots.style import save_figure

    paths = save_figure(function(table), stem)
    for suffix, extra, _ in extra_figures(table_name):
        paths += save_figure(extra(table), stem.with_name(f"{stem.name}-{suffix}"))
    return paths
