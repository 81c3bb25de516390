"""The experiment registry: every module of :mod:`mzlab.analysis.experiments` defines one ``EXPERIMENT``.

Adding an experiment is adding one file ``mzlab/analysis/experiments/<name>.py`` that defines ``EXPERIMENT``
(an :class:`~mzlab.analysis.experiment.Experiment`), or calling :func:`register_experiment` at run time (a
plugin, a test). Every consumer reads this registry: the flags and the experiment list of ``mzlab analyze``,
the runner, ``mzlab sweep --analyses``, the figures of :mod:`mzlab.plots` and the report's summary tables.
The spec modules import nothing heavy; the run and figure functions are loaded on use.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

from mzlab.analysis.experiment import Experiment, ResultTable
from mzlab.analysis.options import AnalysisOptions
from mzlab.entry_points import load_entry_point
from mzlab.errors import MzlabError
from mzlab.option_flags import flag_fields

__all__ = ["register_experiment", "unregister_experiment", "experiments", "experiment_names", "get_experiment",
           "find_experiment", "table_spec", "cache_version", "run_function"]

_PACKAGE = "mzlab.analysis.experiments"
_registered: dict[str, Experiment] = {}
_discovered = False


def _discover() -> None:
    """Register the ``EXPERIMENT`` of every module in :data:`_PACKAGE` (once)."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    folder = Path(__file__).parent / "experiments"
    for info in sorted(pkgutil.iter_modules([str(folder)]), key=lambda info: info.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{_PACKAGE}.{info.name}")
        spec = getattr(module, "EXPERIMENT", None)
        if not isinstance(spec, Experiment):
            raise TypeError(f"{module.__name__} must define EXPERIMENT = Experiment(...)")
        _add(spec, replace=False)


def _flag_fields(spec: Experiment) -> set[str]:
    return {field.name for field in flag_fields(spec.options)} if spec.options is not None else set()


def _add(spec: Experiment, *, replace: bool) -> Experiment:
    if spec.name in _registered and not replace:
        raise ValueError(f"experiment {spec.name!r} is already registered")
    others = [other for name, other in _registered.items() if name != spec.name]
    shared = {field.name for field in flag_fields(AnalysisOptions)}
    unknown = [name for name in spec.uses if name not in shared]
    if unknown:
        raise ValueError(f"experiment {spec.name!r}: uses unknown option {unknown[0]!r}; options: {sorted(shared)}")
    taken = shared | {"run_dir", "out", "steps", "device", "no_cache", "threads", "experiment"}
    for other in others:
        taken |= _flag_fields(other)
    clash = sorted(_flag_fields(spec) & taken)
    if clash:
        raise ValueError(f"experiment {spec.name!r}: option {clash[0]!r} is already a flag of mzlab analyze")
    tables = {table.name for other in others for table in other.tables}
    clash = sorted({table.name for table in spec.tables} & tables)
    if clash:
        raise ValueError(f"experiment {spec.name!r}: table {clash[0]!r} belongs to another experiment")
    _registered[spec.name] = spec
    return spec


def register_experiment(spec: Experiment, *, replace: bool = False) -> Experiment:
    """Add ``spec`` (``replace=True``: or replace the experiment of that name); returns it.

    Refused: a taken name, a flag or table name of another experiment, an unknown shared option in ``uses``."""
    _discover()
    return _add(spec, replace=replace)


def unregister_experiment(name: str) -> None:
    """Remove the experiment ``name`` (a no-op when there is none)."""
    _discover()
    _registered.pop(name, None)


def experiments() -> tuple[Experiment, ...]:
    """Every registered experiment in the order of ``mzlab analyze all``."""
    _discover()
    return tuple(sorted(_registered.values(), key=lambda spec: (spec.order, spec.name)))


def experiment_names() -> tuple[str, ...]:
    return tuple(spec.name for spec in experiments())


def get_experiment(name: str) -> Experiment:
    """The experiment ``name``; MzlabError naming the valid ones otherwise."""
    _discover()
    if name not in _registered:
        raise MzlabError(f"unknown experiment {name!r}; valid experiments: {', '.join(experiment_names())}, all")
    return _registered[name]


def find_experiment(name: str) -> Experiment | None:
    """The experiment ``name``, or None."""
    _discover()
    return _registered.get(name)


def table_spec(table_name: str) -> ResultTable | None:
    """The :class:`ResultTable` of any experiment named ``table_name`` (e.g. ``search-prior-depth``), or None."""
    for spec in experiments():
        for table in spec.tables:
            if table.name == table_name:
                return table
    return None


def cache_version(name: str) -> int | None:
    """The cache version of the experiment ``name``; None for a name no experiment has."""
    _discover()
    spec = _registered.get(name)
    return None if spec is None else spec.cache_version


def run_function(spec: Experiment) -> Callable:
    """The experiment's ``run(session, steps)``, imported now."""
    return load_entry_point(spec.run)
