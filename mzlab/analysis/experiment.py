"""What an analysis experiment is: an :class:`Experiment` spec, read by every consumer through the registry.

A spec names its run function, its figures and its options without importing them (``"module:function"``
strings), so the command line's parser, the sweep and the report can list experiments without loading torch,
numpy or pandas. The layers resolve what is theirs: the runner (analysis) the run function, ``mzlab.plots``
the figure functions, the report the summary specs.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Experiment", "ExtraFigure", "ResultTable", "SummarySpec"]


@dataclass(frozen=True)
class SummarySpec:
    """How one result table is summarised and drawn by the report."""

    keys: tuple[str, ...]
    """Columns that identify a condition; everything else is averaged within a seed first."""
    values: tuple[str, ...]
    """Measured columns summarised as mean ± standard error over seeds."""
    x: str
    """Horizontal axis of the figure."""
    series: tuple[str, ...] = ()
    """Columns whose combinations are drawn as separate lines."""
    title: str = ""


@dataclass(frozen=True)
class ExtraFigure:
    """A further figure drawn from a result table, after its main one (e.g. Fig. 6 over training)."""

    suffix: str
    """Its files are ``<table>-<suffix>.png`` and ``.svg``."""
    figure: str | Callable
    """``"module:function"`` of ``figure(table) -> matplotlib figure``."""
    caption: str = ""


@dataclass(frozen=True)
class ResultTable:
    """One table an experiment writes (``OUT/<name>.parquet``), its report summary and its figure."""

    name: str
    summary: SummarySpec | None = None
    """Keys, values and title of the report's mean ± s.e. table; None: guessed from the column types."""
    figure: str | Callable | None = None
    """``"module:function"`` of ``figure(table) -> matplotlib figure`` (loaded by :mod:`mzlab.plots`); None:
    ``mzlab analyze`` draws none and the report draws its generic mean ± s.e. figure."""
    caption: str = ""
    """What the figure shows: the first sentence of its caption in the report (the budget is added there)."""
    extra_figures: tuple[ExtraFigure, ...] = ()
    """Figures drawn after the main one, by ``mzlab analyze`` and the report alike."""


_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


@dataclass(frozen=True)
class Experiment:
    """One experiment of ``mzlab analyze``, registered once (:mod:`mzlab.analysis.registry`)."""

    name: str
    """``mzlab analyze NAME`` (kebab-case); also the name of its first table and of its cache folder."""
    run: str | Callable
    """``"module:function"`` of ``run(session, steps) -> DataFrame | {table name: DataFrame}``."""
    tables: tuple[ResultTable, ...]
    """The tables ``run`` returns, the first named as the experiment (a single DataFrame is that one)."""
    options: type | None = None
    """Its own options: a frozen dataclass whose :func:`~mzlab.option_flags.option` fields become flags of
    ``mzlab analyze`` (an optional ``validate()`` is called); the run reads them with
    ``session.experiment_options(name)``, and they join its units' cache key."""
    uses: tuple[str, ...] = ()
    """The shared :class:`~mzlab.analysis.options.AnalysisOptions` fields it reads (documentation, checked)."""
    every_checkpoint: bool = False
    """Without ``--steps`` (and ``--quick``), analyse every checkpoint instead of ``--max-checkpoints`` evenly
    spaced ones (learning-curves)."""
    cache_version: int = 1
    """Part of every cache key of its units: bump it when what it computes changes."""
    order: int = 100
    """Position in ``mzlab analyze all`` (then by name); the paper's experiments use 10 to 60."""
    description: str = ""

    def __post_init__(self):
        if not _NAME.fullmatch(self.name) or self.name == "all":
            raise ValueError(f"experiment name {self.name!r}: use kebab-case (e.g. 'value-error'), not 'all'")
        if not self.tables or self.tables[0].name != self.name:
            raise ValueError(f"experiment {self.name!r}: its first table must be named {self.name!r}")
        names = [table.name for table in self.tables]
        if len(set(names)) != len(names):
            raise ValueError(f"experiment {self.name!r}: table names repeat: {names}")
        if self.options is not None and not dataclasses.is_dataclass(self.options):
            raise TypeError(f"experiment {self.name!r}: options must be a dataclass, got {self.options!r}")
