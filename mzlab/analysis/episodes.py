"""Whole episodes in the real environment, all of a batch stepping together.

One policy call and one ``step_snapshots`` per time step over the episodes still running. Used for learning
curves, planning returns and the on-policy state distribution (which keeps every visited state).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mzlab.analysis.policies import sample_actions

__all__ = ["Episodes", "run_episodes", "advance"]


@dataclass(frozen=True)
class Episodes:
    returns: np.ndarray
    """``[E]`` undiscounted sum of the simulator's rewards (after its reward scale)."""
    lengths: np.ndarray
    """``[E]`` steps taken."""
    snapshots: np.ndarray | None
    """``[V]`` snapshot of every visited (non-terminal) state, when recorded."""
    observations: np.ndarray | None
    """``[V, ...]`` their observations."""
    episode: np.ndarray | None
    """``[V]`` episode index of each visited state."""
    time: np.ndarray | None
    """``[V]`` time step of each visited state within its episode."""


def advance(simulator, index: np.ndarray, actions: np.ndarray, snapshots, observations, returns, lengths,
            alive) -> None:
    """Step the running episodes ``index[R]`` by ``actions[R]``, updating the episode arrays in place."""
    transition = simulator.step_snapshots(snapshots[index], actions)
    returns[index] += transition.rewards
    lengths[index] += 1
    snapshots[index] = transition.snapshots
    observations[index] = transition.observations
    done = np.asarray(transition.terminated) | np.asarray(transition.truncated)
    alive[index[done]] = False


def run_episodes(
    simulator,
    policy,
    seeds,
    *,
    rng: np.random.Generator,
    max_steps: int | None = None,
    record_states: bool = False,
    progress=None,
) -> Episodes:
    """Play one episode per seed of ``seeds[E]`` with ``policy`` (actions sampled from its probabilities).

    Episodes end when the simulator reports termination or truncation, or after ``max_steps`` when given
    (a cap for quick runs). ``progress``, when given, is called with the number of episodes still running.
    """
    seeds = np.asarray(seeds)
    snapshots, observations = simulator.reset_snapshots(seeds)
    observations = np.asarray(observations)
    count = len(seeds)
    returns = np.zeros(count)
    lengths = np.zeros(count, dtype=np.int64)
    alive = np.ones(count, dtype=bool)
    recorded: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    t = 0
    while alive.any() and (max_steps is None or t < max_steps):
        index = np.flatnonzero(alive)
        current, current_observations = snapshots[index], observations[index]
        if record_states:
            recorded.append((current, current_observations, index, t))
        actions = sample_actions(policy.probabilities(current_observations, current, rng), rng)
        advance(simulator, index, actions, snapshots, observations, returns, lengths, alive)
        t += 1
        if progress is not None:
            progress(int(alive.sum()))
    if not record_states:
        return Episodes(returns, lengths, None, None, None, None)
    return Episodes(
        returns,
        lengths,
        np.concatenate([r[0] for r in recorded]),
        np.concatenate([r[1] for r in recorded]),
        np.concatenate([r[2] for r in recorded]),
        np.concatenate([np.full(len(r[2]), r[3]) for r in recorded]),
    )
