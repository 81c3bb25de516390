"""The paper's analysis: how value-equivalent MuZero's learned model is, and how much planning with it helps.

One module per experiment (``value_error``, ``sequence_rank``, ``cross_step``, ``search_prior``, ``planning``,
``learning_curves``) over pure building blocks (``returns`` for Eqs. 3-4, ``policies`` for Eqs. 1 and 6,
``episodes``, ``on_policy``) and the per-invocation ``session`` with its result ``cache``. Each experiment is
registered once, by its spec in :mod:`mzlab.analysis.experiments` (:mod:`mzlab.analysis.registry`).
Definitions and defaults: ``docs/analysis.md``; adding an experiment: ``docs/extending.md``.
"""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec
from mzlab.analysis.options import AnalysisOptions
from mzlab.analysis.registry import experiment_names, register_experiment

__all__ = ["EXPERIMENTS", "AnalysisOptions", "AnalysisSession", "Experiment", "ResultTable", "SummarySpec",
           "experiment_names", "register_experiment", "run_experiment"]

_LAZY = {"run_experiment": "mzlab.analysis.runner", "AnalysisSession": "mzlab.analysis.session"}
"""Names imported on first use: they pull torch and pandas, which the command line's parser must not load."""


def __getattr__(name: str):
    if name == "EXPERIMENTS":  # the registered experiments now, in the order of ``all``
        return experiment_names()
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
