"""What one batched search returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SearchOutput"]


@dataclass(frozen=True)
class SearchOutput:
    visit_counts: np.ndarray
    """``[B, A]`` int64 root visit counts ``N(s, a)``; each row sums to the number of simulations."""
    visit_distribution: np.ndarray
    """``[B, A]`` float64 ``N(s, a) / Σ_b N(s, b)`` (the policy target)."""
    root_value: np.ndarray
    """``[B]`` float64 mean of the values backed up through the root (the value target ``ν``)."""
    q_values: np.ndarray
    """``[B, A]`` float64 raw root ``Q(s, a) = r + d V(child)``; 0 for unvisited actions."""
    prior: np.ndarray
    """``[B, A]`` float64 root prior the search used (after ``uniform`` and Dirichlet noise)."""
    model_value: np.ndarray
    """``[B]`` float64 the model's own value of the root (network value, or 0)."""
    action: np.ndarray | None = None
    """``[B]`` int64, Gumbel search only: the sequential-halving winner, the action to play (``None`` for pUCT,
    which acts from ``visit_counts``)."""
    improved_policy: np.ndarray | None = None
    """``[B, A]`` float64, Gumbel search only: ``softmax(logits + sigma(completed Q))`` at the root."""
    path_actions: np.ndarray | None = None
    """``[B, S, L]`` int64 when recorded (``L`` the deepest path): simulation ``i`` of root ``b`` took the
    actions ``path_actions[b, i, :path_lengths[b, i]]`` from the root to the node it expanded; -1 pads."""
    path_lengths: np.ndarray | None = None
    """``[B, S]`` int64 when recorded: depth of the node expanded by each simulation."""
    path_values: np.ndarray | None = None
    """``[B, S]`` float64 when recorded: the value each simulation backed up into the root,
    ``Σ_i (Π_{j<i} d_j) r_i + (Π_j d_j) v_leaf`` along its path."""
    path_rewards: np.ndarray | None = None
    """``[B, S]`` float64 when recorded: the reward part alone, ``Σ_i (Π_{j<i} d_j) r_i`` along each path (the
    model's predicted k-step return, paper Eq. 4, for a learned model)."""

    @property
    def policy_target(self) -> np.ndarray:
        """``[B, A]`` the policy training target: the improved policy (Gumbel) or the visit distribution (pUCT)."""
        return self.visit_distribution if self.improved_policy is None else self.improved_policy

    def paths(self, root: int) -> list[tuple[int, ...]]:
        """Action sequences of every simulation of ``root`` (one tuple per simulation, in order)."""
        if self.path_actions is None or self.path_lengths is None:
            raise ValueError("paths were not recorded: call run_search(..., record_paths=True)")
        return [
            tuple(int(a) for a in self.path_actions[root, i, :length])
            for i, length in enumerate(self.path_lengths[root])
        ]
