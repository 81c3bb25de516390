"""States from the behaviour policy's on-policy distribution (paper Section 3.3).

Run the behaviour policy (MCTS with the checkpoint's network, acting as in training) in the real environment
for ``num_episodes`` seeded episodes, keep the snapshot and observation of every visited state, and draw
``num_states`` of them uniformly without replacement (with replacement only if fewer were visited). The same
``seed`` gives the same states.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mzlab.analysis.episodes import run_episodes

__all__ = ["StateSample", "sample_on_policy_states", "draw_states", "episode_seeds"]


@dataclass(frozen=True)
class StateSample:
    snapshots: np.ndarray
    """``[B]`` simulator snapshots."""
    observations: np.ndarray
    """``[B, ...]`` their observations."""
    episode: np.ndarray
    """``[B]`` episode each state came from."""
    time: np.ndarray
    """``[B]`` time step within that episode."""
    num_visited: int
    """States visited in all episodes (the pool drawn from)."""

    def __len__(self) -> int:
        return len(self.snapshots)


def episode_seeds(seed: int, count: int, *, stream: int = 0) -> np.ndarray:
    """``count`` environment seeds derived from the analysis ``seed`` (independent per ``stream``)."""
    rng = np.random.default_rng([int(seed), int(stream), 0x5EED])
    return rng.integers(0, 2**31 - 1, size=count)


def draw_states(pool, num_states: int, rng: np.random.Generator) -> StateSample:
    """Uniform draw of ``num_states`` from an :class:`~mzlab.analysis.episodes.Episodes` with recorded states."""
    visited = len(pool.snapshots)
    index = rng.choice(visited, size=num_states, replace=visited < num_states)
    index = np.sort(index)
    return StateSample(pool.snapshots[index], pool.observations[index], pool.episode[index], pool.time[index], visited)


def sample_on_policy_states(
    simulator,
    policy,
    *,
    num_states: int,
    num_episodes: int,
    seed: int,
    max_steps: int | None = None,
) -> StateSample:
    """Play ``num_episodes`` with ``policy`` in the real environment and draw ``num_states`` visited states."""
    rng = np.random.default_rng([int(seed), 1])
    episodes = run_episodes(
        simulator, policy, episode_seeds(seed, num_episodes), rng=rng, max_steps=max_steps, record_states=True
    )
    return draw_states(episodes, num_states, np.random.default_rng([int(seed), 2]))
