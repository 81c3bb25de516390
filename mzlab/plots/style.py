"""Saving figures (PNG and SVG, atomically) with the non-interactive Agg backend, and shared drawing helpers.

SVG text stays text (``svg.fonttype = none``), so figures can be edited and searched.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter, ScalarFormatter  # noqa: E402

from mzlab.atomic_files import write_bytes_atomic  # noqa: E402

__all__ = ["plt", "save_figure", "band", "log_axis", "figure_legend", "step_label", "step_axis"]


def save_figure(figure, stem: str | Path) -> list[Path]:
    """Write ``stem.png`` and ``stem.svg``; close the figure; return the paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, options in ((".png", {"dpi": 150}), (".svg", {})):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix[1:], bbox_inches="tight", **options)
        path = stem.with_suffix(suffix)
        write_bytes_atomic(path, buffer.getvalue())
        paths.append(path)
    plt.close(figure)
    return paths


def band(axis, x, mean, standard_error, *, label=None, color=None, linestyle="-", marker=None):
    """A mean line with a shaded ``mean ± standard error`` band."""
    (line,) = axis.plot(x, mean, label=label, color=color, linestyle=linestyle, marker=marker)
    axis.fill_between(x, mean - standard_error, mean + standard_error, color=line.get_color(), alpha=0.2, lw=0)
    return line


def log_axis(axis, ticks) -> None:
    """A logarithmic x axis labelled with the actual values ``ticks`` (e.g. simulation counts)."""
    ticks = sorted({float(t) for t in ticks if t > 0})
    axis.set_xscale("log")
    axis.xaxis.set_major_formatter(ScalarFormatter())
    axis.xaxis.set_minor_formatter(NullFormatter())
    axis.set_xticks(ticks, [f"{t:g}" for t in ticks])


def step_label(value: float) -> str:
    """A learner-step tick: ``0``, ``500``, ``20k``, ``2.5k``, ``1.2M`` (long runs' six-digit steps overlap)."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def step_axis(axis) -> None:
    """Label ``axis``'s x ticks with :func:`step_label`."""
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _: step_label(value)))


def figure_legend(figure, axes, *, columns: int = 4) -> None:
    """One legend for the whole figure below the panels, from the labelled lines of all ``axes``."""
    handles: dict[str, object] = {}
    for axis in axes:
        for handle, label in zip(*axis.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    if handles:
        panel_columns = max(1, round(figure.get_figwidth() / 4.2))  # keep the legend about as wide as the panels
        figure.legend(list(handles.values()), list(handles), loc="outside lower center",
                      ncol=max(1, min(columns, 2 * panel_columns)), fontsize=7, frameon=False)
