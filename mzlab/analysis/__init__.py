"""The paper's analysis: how value-equivalent MuZero's learned model is, and how much planning with it helps.

One module per experiment (``value_error``, ``sequence_rank``, ``cross_step``, ``search_prior``, ``planning``,
``learning_curves``) over pure building blocks (``returns`` for Eqs. 3-4, ``policies`` for Eqs. 1 and 6,
``episodes``, ``on_policy``) and the per-invocation ``session`` with its result ``cache``. Definitions and
defaults: ``docs/analysis.md``.
"""

from mzlab.analysis.options import EXPERIMENTS, AnalysisOptions
from mzlab.analysis.runner import run_experiment
from mzlab.analysis.session import AnalysisSession

__all__ = ["EXPERIMENTS", "AnalysisOptions", "AnalysisSession", "run_experiment"]
