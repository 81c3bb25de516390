"""Policies that act in the real environment: the MCTS behaviour policy, the policy prior, uniform.

Every policy maps real states to action probabilities ``[B, A]`` with
``probabilities(observations[B, ...], snapshots[B], rng)``; the analysis multiplies them along real
trajectories (Eq. 6) and samples actions from them. Temperature ``0`` means greedy (a one-hot on the first
maximum).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from mzlab.search.acting import search_probabilities, softmax, visit_temperature

__all__ = [
    "ActionPolicy",
    "prior_policy",
    "greedy_one_hot",
    "sample_actions",
    "SearchPolicy",
    "PriorPolicy",
    "UniformPolicy",
    "behaviour_policy",
]


class ActionPolicy(Protocol):
    num_actions: int

    def probabilities(self, observations: np.ndarray, snapshots: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Action probabilities ``[B, A]`` at the real states ``(observations[B, ...], snapshots[B])``."""
        ...


def greedy_one_hot(scores: np.ndarray) -> np.ndarray:
    """``[B, A]`` one-hot on the first maximum of each row of ``scores[B, A]``."""
    scores = np.asarray(scores)
    result = np.zeros(scores.shape)
    result[np.arange(len(scores)), np.argmax(scores, axis=1)] = 1.0
    return result


def prior_policy(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row softmax of ``logits[B, A] / T``; ``T = 0`` is greedy."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature <= 0:
        return greedy_one_hot(logits)
    return softmax(logits / temperature)


def sample_actions(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One action per row of ``probabilities[B, A]`` (inverse-CDF sampling), ``[B]`` int64."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities)) * cumulative[:, -1]
    actions = (cumulative <= draws[:, None]).sum(axis=1)
    return np.minimum(actions, probabilities.shape[1] - 1).astype(np.int64)


@dataclass
class UniformPolicy:
    """Every action equally likely (the absorbing-state convention after an episode ended)."""

    num_actions: int

    def probabilities(self, observations, snapshots, rng) -> np.ndarray:
        return np.full((len(observations), self.num_actions), 1.0 / self.num_actions)


@dataclass
class PriorPolicy:
    """The policy prior alone: ``softmax(p(h(o)) / T)`` from ``model.root`` (temperature 0 = greedy)."""

    model: object
    temperature: float = 1.0

    @property
    def num_actions(self) -> int:
        return self.model.num_actions

    def probabilities(self, observations, snapshots, rng) -> np.ndarray:
        return prior_policy(self.model.root(observations, snapshots).prior_logits, self.temperature)


@dataclass
class SearchPolicy:
    """MuZero's behaviour policy: MCTS with ``model`` at each real state, then Eq. 1 on the root visits (pUCT) or,
    for ``search_config.algorithm = gumbel``, the improved policy (temperature 0: a one-hot on the
    sequential-halving winner); see :func:`~mzlab.search.acting.search_probabilities`.

    ``search_config`` is a :class:`~mzlab.config.SearchConfig` (its ``add_noise`` decides the root Dirichlet
    noise). With noise on, the probabilities are those of one noisy search per state, drawn from ``rng``; with
    ``noise_draws = M > 1`` they are the mean of Eq. 1 over ``M`` independent noisy searches (a Monte Carlo
    estimate of the marginal policy ``E_noise[pi(a|s)]``, the probability that the behaviour policy, noise
    included, takes ``a``). Without noise the search is deterministic and one search is run.
    """

    model: object
    search_config: object
    temperature: float
    noise_draws: int = 1

    @property
    def num_actions(self) -> int:
        return self.model.num_actions

    def probabilities(self, observations, snapshots, rng) -> np.ndarray:
        from mzlab.search import run_search

        draws = int(self.noise_draws) if self.search_config.add_noise else 1
        total = None
        for _ in range(draws):  # one search per draw keeps memory that of a single search
            output = run_search(self.model, observations, config=self.search_config, rng=rng, snapshots=snapshots)
            policy = search_probabilities(output, self.temperature)
            total = policy if total is None else total + policy
        return total / draws


def behaviour_policy(model, config, step: int, *, greedy: bool = False, noise: bool | None = None,
                     noise_draws: int = 1) -> SearchPolicy:
    """MCTS acting as in training at ``step`` of an experiment ``config``.

    Sampled (default): temperature from the schedule, root noise as ``config.search.add_noise``. Greedy:
    temperature 0 and no root noise (paper A.2). ``noise`` overrides either choice; ``noise_draws`` > 1 gives
    the marginal policy over that many noise draws (see :class:`SearchPolicy`).
    """
    add_noise = (not greedy) and bool(config.search.add_noise)
    if noise is not None:
        add_noise = bool(noise)
    search = replace(config.search, add_noise=add_noise)
    temperature = 0.0 if greedy else visit_temperature(step, config.training)
    return SearchPolicy(model, search, temperature, noise_draws=noise_draws)
