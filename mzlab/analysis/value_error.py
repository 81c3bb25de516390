"""Value prediction error of a model evaluating a policy (paper Def. 1 and Def. 2, Eqs. 5-7; Fig. 3; the
cross-step experiment applies the same functions across checkpoints for Figs. 5 and 9).

For every sampled state ``s_t`` the policy acts in the **real** environment for ``L`` steps, ``N`` times
(Eq. 6: ``pi(a_{1:k}|s_t) = prod_i pi(a_i|s_{t+i-1})``, the policy evaluated at the real states along the
way; after the episode ended actions are uniform, which changes no return). Along every sampled sequence the
true returns ``G_k`` (Eq. 3, from the simulator) and the predicted returns ``Ĝ_k`` (Eq. 4, unrolling the model
from ``h(o_t)``) are taken for every ``k <= L``. Per state and horizon:

- ``true_value`` = mean of ``G_k``, ``predicted_value`` = mean of ``Ĝ_k`` (Monte Carlo estimates),
- ``policy_error`` = ``|E G_k - E Ĝ_k|`` (Def. 2, Eq. 7),
- ``mean_sequence_error`` = ``E |G_k - Ĝ_k|`` (the mean of Def. 1 over sequences).

All ``B x N`` trajectories step together: one policy call (one batched search) and one ``step_snapshots``
per time step, one model unroll for all sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mzlab.analysis.policies import sample_actions
from mzlab.analysis.returns import discounted_cumsum, predicted_returns

__all__ = [
    "SampledSequences",
    "PolicyValueError",
    "sample_sequences",
    "policy_value_error",
    "value_error_frame",
    "run_value_error",
]


@dataclass(frozen=True)
class SampledSequences:
    actions: np.ndarray
    """``[B, N, L]`` int64, action sequences sampled by the policy in the real environment."""
    rewards: np.ndarray
    """``[B, N, L]`` real rewards along them (0 after the episode ended)."""


@dataclass(frozen=True)
class PolicyValueError:
    true_value: np.ndarray
    """``[B, L]``: Monte Carlo ``E G_k``, column ``k-1``."""
    predicted_value: np.ndarray
    """``[B, L]``: Monte Carlo ``E Ĝ_k``."""
    policy_error: np.ndarray
    """``[B, L]``: ``|E G_k - E Ĝ_k|`` (Def. 2)."""
    mean_sequence_error: np.ndarray
    """``[B, L]``: ``E |G_k - Ĝ_k|``."""
    num_samples: int
    """``N``, sequences per state."""


def sample_sequences(
    simulator,
    policy,
    snapshots: np.ndarray,
    observations: np.ndarray,
    *,
    num_samples: int,
    length: int,
    rng: np.random.Generator,
) -> SampledSequences:
    """Run ``policy`` from each of ``snapshots[B]`` for ``length`` real steps, ``num_samples`` times each."""
    batch = len(snapshots)
    flat = np.repeat(np.arange(batch), num_samples)
    current = snapshots[flat]
    current_observations = np.asarray(observations)[flat]
    size = len(flat)
    actions = np.zeros((size, length), dtype=np.int64)
    rewards = np.zeros((size, length))
    ended = np.zeros(size, dtype=bool)
    for i in range(length):
        probabilities = np.full((size, policy.num_actions), 1.0 / policy.num_actions)
        alive = np.flatnonzero(~ended)
        if len(alive):
            probabilities[alive] = policy.probabilities(current_observations[alive], current[alive], rng)
        actions[:, i] = sample_actions(probabilities, rng)
        transition = simulator.step_snapshots(current, actions[:, i])
        rewards[:, i] = np.where(ended, 0.0, transition.rewards)
        ended |= np.asarray(transition.terminated) | np.asarray(transition.truncated)
        current, current_observations = transition.snapshots, np.asarray(transition.observations)
    shape = (batch, num_samples, length)
    return SampledSequences(actions.reshape(shape), rewards.reshape(shape))


def policy_value_error(
    model, snapshots: np.ndarray, observations: np.ndarray, sequences: SampledSequences, *, discount: float
) -> PolicyValueError:
    """Def. 2 and ``E|G - Ĝ|`` for every state ``[B]`` and horizon ``1..L`` from sampled ``sequences``."""
    batch, num_samples, length = sequences.actions.shape
    true = discounted_cumsum(sequences.rewards, discount)
    predicted = predicted_returns(
        model,
        observations,
        sequences.actions.reshape(batch * num_samples, length),
        discount=discount,
        snapshots=snapshots,
        root_index=np.repeat(np.arange(batch), num_samples),
    ).reshape(batch, num_samples, length)
    true_value = true.mean(axis=1)
    predicted_value = predicted.mean(axis=1)
    return PolicyValueError(
        true_value=true_value,
        predicted_value=predicted_value,
        policy_error=np.abs(true_value - predicted_value),
        mean_sequence_error=np.abs(true - predicted).mean(axis=1),
        num_samples=num_samples,
    )


def value_error_frame(error: PolicyValueError, horizons, **constants) -> pd.DataFrame:
    """Tidy rows ``(state_index, horizon, true_value, predicted_value, policy_error, mean_sequence_error,
    num_samples)`` for the requested ``horizons`` (each ``<= L``), plus constant columns ``constants``."""
    batch = error.true_value.shape[0]
    frames = []
    for horizon in horizons:
        column = int(horizon) - 1
        frames.append(
            pd.DataFrame(
                {
                    "horizon": np.full(batch, int(horizon)),
                    "state_index": np.arange(batch),
                    "true_value": error.true_value[:, column],
                    "predicted_value": error.predicted_value[:, column],
                    "policy_error": error.policy_error[:, column],
                    "mean_sequence_error": error.mean_sequence_error[:, column],
                    "num_samples": np.full(batch, error.num_samples),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    for name, value in reversed(constants.items()):
        frame.insert(0, name, value)
    return frame


def run_value_error(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The value-error table (Fig. 3) for every run and checkpoint of ``session``."""
    from mzlab.analysis.session import per_checkpoint

    def compute(checkpoint) -> pd.DataFrame:
        states = session.states(checkpoint)
        horizons = checkpoint.options.horizons
        sequences = sample_sequences(
            checkpoint.simulator,
            checkpoint.behaviour(),
            states.snapshots,
            states.observations,
            num_samples=session.options.num_samples,
            length=max(horizons),
            rng=session.rng(checkpoint, "value-error"),
        )
        error = policy_value_error(
            checkpoint.learned_model, states.snapshots, states.observations, sequences, discount=checkpoint.discount
        )
        return value_error_frame(error, horizons, **checkpoint.constants(), step=checkpoint.step)

    return pd.concat(per_checkpoint(session, "value-error", steps, compute), ignore_index=True)
