"""Acting from root visit counts (paper Eq. 1) and the root's Dirichlet exploration noise."""

from __future__ import annotations

import numpy as np

from mzlab.errors import MzlabError

__all__ = ["visit_policy", "visit_temperature", "select_action", "search_actions", "search_probabilities",
           "mix_dirichlet", "softmax"]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax of ``logits[B, A]`` (float64)."""
    shifted = np.asarray(logits, dtype=np.float64)
    shifted = shifted - shifted.max(axis=-1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=-1, keepdims=True)


def visit_temperature(training_step: int, config) -> float:
    """The visit temperature of ``config`` (a :class:`~mzlab.config.TrainingConfig`) at learner step
    ``training_step``: ``temperatures[i]`` where ``i`` counts the ``temperature_steps`` already reached
    (``temperatures[i]`` applies from ``temperature_steps[i-1]`` inclusive). Shared by self-play, evaluation
    and the analysis so that they act alike."""
    index = int(np.searchsorted(np.asarray(config.temperature_steps, dtype=np.int64), training_step, side="right"))
    return float(config.temperatures[index])


def visit_policy(visit_counts: np.ndarray, temperature: float) -> np.ndarray:
    """``π(a) = N(a)^{1/T} / Σ_b N(b)^{1/T}`` for ``visit_counts[B, A]``; ``T = 0`` puts all mass on the
    first most-visited action. Rows without visits are uniform."""
    counts = np.asarray(visit_counts, dtype=np.float64)
    if temperature < 0:
        raise MzlabError(f"temperature must be >= 0, got {temperature}")
    if temperature == 0:
        policy = np.zeros_like(counts)
        policy[np.arange(len(counts)), counts.argmax(axis=-1)] = 1.0
        return policy
    with np.errstate(divide="ignore"):
        logits = np.log(counts) / temperature
    empty = ~np.isfinite(logits).any(axis=-1)
    logits[empty] = 0.0
    return softmax(logits)


def select_action(visit_counts: np.ndarray, temperature: float, rng: np.random.Generator, greedy: bool = False
                  ) -> np.ndarray:
    """Actions ``[B]`` drawn from :func:`visit_policy` of ``visit_counts[B, A]``; ``greedy`` (or ``T = 0``) takes
    the argmax of the visits (ties: lowest action)."""
    counts = np.asarray(visit_counts)
    if greedy or temperature == 0:
        return counts.argmax(axis=-1)
    policy = visit_policy(counts, temperature)
    cumulative = policy.cumsum(axis=-1)
    draws = rng.random(len(counts))[:, None] * cumulative[:, -1:]
    return np.minimum((draws >= cumulative).sum(axis=-1), counts.shape[-1] - 1)


def search_actions(output, temperature: float, rng: np.random.Generator, greedy: bool = False) -> np.ndarray:
    """Actions ``[B]`` to play after a search (a :class:`~mzlab.search.output.SearchOutput`).

    pUCT: :func:`select_action` on the root visits (temperature, or greedy). Gumbel: the sequential-halving
    winner whatever the temperature (its exploration is the root Gumbel noise, drawn when the search's
    ``add_noise`` is on; greedy acting searches without it), and no random number is drawn here.
    """
    if output.action is not None:
        return np.asarray(output.action).copy()
    return select_action(output.visit_counts, temperature, rng, greedy=greedy)


def search_probabilities(output, temperature: float) -> np.ndarray:
    """The behaviour policy's action probabilities ``[B, A]`` after a search.

    pUCT: Eq. 1, :func:`visit_policy` of the root visits. Gumbel: temperature 0 (greedy) is a one-hot on the
    sequential-halving winner, the action greedy acting plays; otherwise the improved policy ``softmax(logits +
    sigma(completed Q))``, the distribution the agent is trained towards and that the Gumbel winner
    approximates a sample of (the winner's exact distribution over the Gumbel noise has no closed form).
    """
    if output.improved_policy is None:
        return visit_policy(np.asarray(output.visit_counts), temperature)
    if temperature == 0:
        policy = np.zeros(output.improved_policy.shape)
        policy[np.arange(len(policy)), output.action] = 1.0
        return policy
    return np.asarray(output.improved_policy, dtype=np.float64).copy()


def mix_dirichlet(prior: np.ndarray, noise: np.ndarray, fraction: float) -> np.ndarray:
    """Pseudocode ``add_exploration_noise``: ``(1 - ε) prior + ε noise`` for ``prior, noise [B, A]``."""
    return (1.0 - fraction) * prior + fraction * noise
