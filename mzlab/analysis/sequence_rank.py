"""Every action sequence of length ``L`` ranked by behaviour-policy probability against its error (Fig. 4).

From each sampled state the full tree of ``A^L`` sequences is expanded level by level in the real
environment: level ``i`` holds ``B * A^i`` real states (snapshots), the policy runs once (one batched search)
over all of them, and every state is stepped by every action. This yields at once

- Eq. 6 probability ``pi(a_{1:L}|s_t) = prod_i pi(a_i|s_{t+i-1})`` at the real states (uniform after the
  episode ended, which keeps the probabilities summing to one and changes no return); with root noise,
  ``pi`` is one noisy search per real state, or with ``--noise-draws M`` the mean over ``M`` noisy searches
  (the marginal policy),
- Eq. 3 true return ``G_L``;

the model's prediction ``Ĝ_L`` (Eq. 4) unrolls the same prefix tree in latent space from ``h(o_t)``, and the
error is Def. 1, ``|G_L - Ĝ_L|``. Sequences are ranked per state from least (rank 0) to most likely
(rank ``A^L - 1``); equal probabilities keep enumeration order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "SequenceEvaluation",
    "enumerate_sequences",
    "sequence_names",
    "evaluate_all_sequences",
    "rank_sequences",
    "sequence_rank_frame",
    "states_per_chunk",
    "concatenate_evaluations",
    "run_sequence_rank",
]


@dataclass(frozen=True)
class SequenceEvaluation:
    sequences: np.ndarray
    """``[S, L]`` every action sequence, ``S = A^L``, in lexicographic order (first action most significant)."""
    probabilities: np.ndarray
    """``[B, S]`` Eq. 6 probability under the policy acting in the real environment."""
    true_returns: np.ndarray
    """``[B, S]`` Eq. 3 ``G_L``."""
    predicted_returns: np.ndarray
    """``[B, S]`` Eq. 4 ``Ĝ_L``."""

    @property
    def errors(self) -> np.ndarray:
        """``[B, S]`` Def. 1 ``|G_L - Ĝ_L|``."""
        return np.abs(self.true_returns - self.predicted_returns)

    def policy_error(self) -> np.ndarray:
        """``[B]`` exact Def. 2 at horizon ``L``: ``|sum_seq p G - sum_seq p Ĝ|``."""
        return np.abs((self.probabilities * (self.true_returns - self.predicted_returns)).sum(axis=1))

    def mean_sequence_error(self) -> np.ndarray:
        """``[B]`` exact ``E_pi |G_L - Ĝ_L|``."""
        return (self.probabilities * self.errors).sum(axis=1)


def enumerate_sequences(num_actions: int, length: int) -> np.ndarray:
    """``[A^L, L]`` every sequence of ``length`` actions, lexicographic."""
    grids = np.meshgrid(*([np.arange(num_actions)] * length), indexing="ij")
    return np.stack([grid.reshape(-1) for grid in grids], axis=1).astype(np.int64)


def sequence_names(sequences: np.ndarray) -> list[str]:
    """Readable names of ``sequences[S, L]``: digits (``"0110"``) when every action is below 10, else dotted."""
    separator = "" if sequences.size == 0 or sequences.max() < 10 else "."
    return [separator.join(str(int(a)) for a in row) for row in sequences]


def evaluate_all_sequences(
    simulator,
    policy,
    model,
    snapshots: np.ndarray,
    observations: np.ndarray,
    *,
    length: int,
    discount: float,
    rng: np.random.Generator,
) -> SequenceEvaluation:
    """Probabilities, true and predicted returns of all ``A^length`` sequences from each of ``snapshots[B]``."""
    num_actions = int(policy.num_actions)
    batch = len(snapshots)
    current, current_observations = snapshots, np.asarray(observations)
    probability = np.ones(batch)
    true = np.zeros(batch)
    ended = np.zeros(batch, dtype=bool)
    state = model.root(observations, snapshots).state
    predicted = np.zeros(batch)
    for i in range(length):
        size = len(probability)
        action_probabilities = np.full((size, num_actions), 1.0 / num_actions)
        alive = np.flatnonzero(~ended)
        if len(alive):
            action_probabilities[alive] = policy.probabilities(current_observations[alive], current[alive], rng)
        parent = np.repeat(np.arange(size), num_actions)
        actions = np.tile(np.arange(num_actions), size)
        transition = simulator.step_snapshots(current[parent], actions)
        weight = discount**i
        probability = probability[parent] * action_probabilities[parent, actions]
        true = true[parent] + weight * np.where(ended[parent], 0.0, transition.rewards)
        ended = ended[parent] | np.asarray(transition.terminated) | np.asarray(transition.truncated)
        current, current_observations = transition.snapshots, np.asarray(transition.observations)
        output, state = model.step(state[parent], actions)
        predicted = predicted[parent] + weight * np.asarray(output.reward, dtype=np.float64)
    count = num_actions**length
    return SequenceEvaluation(
        sequences=enumerate_sequences(num_actions, length),
        probabilities=probability.reshape(batch, count),
        true_returns=true.reshape(batch, count),
        predicted_returns=predicted.reshape(batch, count),
    )


def states_per_chunk(num_actions: int, length: int, observation_bytes: int, *, budget_bytes: float = 1e9) -> int:
    """How many states to expand at once so the widest level's observations stay within ``budget_bytes``."""
    return max(1, int(budget_bytes // max(1, num_actions**length * observation_bytes)))


def concatenate_evaluations(parts: list[SequenceEvaluation]) -> SequenceEvaluation:
    """One evaluation over the states of ``parts`` (same sequences), in order."""
    return SequenceEvaluation(
        sequences=parts[0].sequences,
        probabilities=np.concatenate([p.probabilities for p in parts]),
        true_returns=np.concatenate([p.true_returns for p in parts]),
        predicted_returns=np.concatenate([p.predicted_returns for p in parts]),
    )


def rank_sequences(probabilities: np.ndarray) -> np.ndarray:
    """``[B, S]`` rank of each sequence within its row: 0 = least likely; ties keep enumeration order."""
    order = np.argsort(probabilities, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(len(probabilities))[:, None]
    ranks[rows, order] = np.arange(probabilities.shape[1])[None, :]
    return ranks


def sequence_rank_frame(evaluation: SequenceEvaluation, **constants) -> pd.DataFrame:
    """Tidy rows ``(state_index, sequence, rank, probability, true_return, predicted_return, error)``."""
    batch, count = evaluation.probabilities.shape
    names = np.asarray(sequence_names(evaluation.sequences), dtype=object)
    frame = pd.DataFrame(
        {
            "state_index": np.repeat(np.arange(batch), count),
            "sequence": np.tile(names, batch),
            "rank": rank_sequences(evaluation.probabilities).reshape(-1),
            "probability": evaluation.probabilities.reshape(-1),
            "true_return": evaluation.true_returns.reshape(-1),
            "predicted_return": evaluation.predicted_returns.reshape(-1),
            "error": evaluation.errors.reshape(-1),
        }
    )
    for name, value in reversed(constants.items()):
        frame.insert(0, name, value)
    return frame


def run_sequence_rank(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The sequence-rank table (Fig. 4) for every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint

    def compute(checkpoint) -> pd.DataFrame:
        states = session.states(checkpoint)
        length = checkpoint.options.sequence_length
        policy = checkpoint.behaviour(noise_draws=session.options.noise_draws)
        chunk = states_per_chunk(policy.num_actions, length, states.observations[0].nbytes)
        rng = session.rng(checkpoint, "sequence-rank")
        parts = [
            evaluate_all_sequences(
                checkpoint.simulator,
                policy,
                checkpoint.learned_model,
                states.snapshots[start : start + chunk],
                states.observations[start : start + chunk],
                length=length,
                discount=checkpoint.discount,
                rng=rng,
            )
            for start in range(0, len(states), chunk)
        ]
        return sequence_rank_frame(concatenate_evaluations(parts), **checkpoint.constants(), step=checkpoint.step)

    return pd.concat(per_checkpoint(session, "sequence-rank", steps, compute), ignore_index=True)
