"""The paper's analysis: how value-equivalent MuZero's learned model is, and how much planning with it helps.

One module per experiment (``value_error``, ``sequence_rank``, ``cross_step``, ``search_prior``, ``planning``,
``learning_curves``) over pure building blocks (``returns`` for Eqs. 3-4, ``policies`` for Eqs. 1 and 6,
``episodes``, ``on_policy``) and the per-invocation ``session`` with its result ``cache``. Definitions and
defaults: ``docs/analysis.md``.
"""

from mzlab.analysis.options import EXPERIMENTS, AnalysisOptions

__all__ = ["EXPERIMENTS", "AnalysisOptions", "AnalysisSession", "run_experiment"]

_LAZY = {"run_experiment": "mzlab.analysis.runner", "AnalysisSession": "mzlab.analysis.session"}
"""Names imported on first use: they pull torch and pandas, which the command line's parser must not load."""


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
