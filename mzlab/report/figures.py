"""Figures of the report: each summarised table drawn as mean ± standard error over seeds (PNG and SVG)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from mzlab.report.tables import SummarySpec

__all__ = ["draw_summary", "MAX_LINES"]

MAX_LINES = 6
"""Most lines per panel; with more series (e.g. many checkpoints) evenly spaced ones are drawn."""


def _pick_series(summary: pd.DataFrame, series: tuple[str, ...]) -> tuple[list[tuple], int]:
    """At most ``MAX_LINES`` series, evenly spread over the sorted combinations, and how many there were."""
    if not series:
        return [()], 1
    combos = list(summary[list(series)].drop_duplicates().itertuples(index=False, name=None))
    if len(combos) <= MAX_LINES:
        return combos, len(combos)
    chosen = np.unique(np.linspace(0, len(combos) - 1, MAX_LINES).round().astype(int))
    return [combos[i] for i in chosen], len(combos)


def draw_summary(summary: pd.DataFrame, spec: SummarySpec, stem: Path, *, title: str) -> list[Path]:
    """One panel per value column: ``mean`` against ``spec.x`` with a ± standard error band per series.

    ``summary`` comes from :func:`mzlab.report.tables.summarise`. Writes ``stem.png`` and ``stem.svg``.
    """
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text
    import matplotlib.pyplot as plt

    values = list(spec.values)
    columns = min(3, len(values))
    rows = -(-len(values) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 3.4 * rows), squeeze=False)
    for axis in axes.flat[len(values):]:
        axis.set_visible(False)
    series = tuple(s for s in spec.series if s in summary.columns)
    x_is_numeric = spec.x in summary.columns and pd.api.types.is_numeric_dtype(summary[spec.x])
    shown, total = _pick_series(summary, series)
    for axis, value in zip(axes.flat, values, strict=False):
        for combo in shown:
            rows = summary
            for column, level in zip(series, combo, strict=True):
                rows = rows[rows[column] == level]
            if spec.x in rows.columns:
                rows = rows.sort_values(spec.x)
                xs = rows[spec.x].to_numpy() if x_is_numeric else rows[spec.x].astype(str).to_numpy()
            else:
                xs = np.arange(len(rows))
            mean = rows[f"{value}_mean"].to_numpy(dtype=float)
            se = np.nan_to_num(rows[f"{value}_se"].to_numpy(dtype=float))
            label = ", ".join(f"{c}={v}" for c, v in zip(series, combo, strict=True)) or None
            (line,) = axis.plot(xs, mean, marker="o" if len(xs) < 30 else None, markersize=3, label=label)
            if x_is_numeric:
                axis.fill_between(xs, mean - se, mean + se, color=line.get_color(), alpha=0.2, linewidth=0)
        axis.set_xlabel(spec.x or "index")
        axis.set_ylabel(value.replace("_", " "))
        axis.grid(alpha=0.3)
        if series and axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=7)
    seeds = int(summary["num_seeds"].max()) if len(summary) else 0
    heading = f"{title} (mean ± s.e. over {seeds} seed{'s' if seeds != 1 else ''})"
    if len(shown) < total:  # never drop series silently
        heading += f"; {len(shown)} of {total} {'/'.join(series)} series shown, evenly spread"
    fig.suptitle(textwrap.fill(heading, width=int(60 * columns)), fontsize=9)
    fig.tight_layout()
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    fig.savefig(paths[0], dpi=110)
    fig.savefig(paths[1])
    plt.close(fig)
    return paths
