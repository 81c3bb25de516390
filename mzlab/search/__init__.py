"""Batched MCTS faithful to MuZero over one model contract (learned network or ground-truth simulator)."""

from mzlab.search.acting import (
    mix_dirichlet,
    search_actions,
    search_probabilities,
    select_action,
    softmax,
    visit_policy,
)
from mzlab.search.learned_model import LearnedModel
from mzlab.search.mcts import check_search_config, rollout_values, run_search
from mzlab.search.output import SearchOutput
from mzlab.search.true_model import TrueModel
from mzlab.search.types import Model, RootOutput, StepOutput

__all__ = [
    "Model",
    "RootOutput",
    "StepOutput",
    "SearchOutput",
    "run_search",
    "rollout_values",
    "check_search_config",
    "select_action",
    "search_actions",
    "search_probabilities",
    "visit_policy",
    "mix_dirichlet",
    "softmax",
    "TrueModel",
    "LearnedModel",
]
