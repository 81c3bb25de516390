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

__all__ = ["figure_function", "draw_table"]


def figure_function(table_name: str) -> Callable | None:
    """``figure(table) -> matplotlib figure`` of the table ``table_name``, or None when its spec has none."""
    spec = table_spec(table_name)
    if spec is None or spec.figure is None:
        return None
    return load_entry_point(spec.figure)


def draw_table(table_name: str, table: pd.DataFrame, stem: Path) -> list[Path]:
    """Draw ``table``'s figure into ``stem.png`` and ``stem.svg``; ``[]`` when its spec names no figure."""
    function = figure_function(table_name)
    if function is None:
        return []
    from mzlab.plots.style import save_figure

    return save_figure(function(table), stem)
