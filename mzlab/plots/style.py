"""Saving figures (PNG and SVG, atomically) with the non-interactive Agg backend."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mzlab.atomic_files import write_bytes_atomic  # noqa: E402

__all__ = ["plt", "save_figure", "band"]


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
