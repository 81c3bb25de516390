"""A hand-built deterministic MDP, a "learned" model with known reward errors, and a table policy.

Ring MDP: states ``s in {0, 1, 2}``, actions ``{0, 1}``, ``s' = (s + 1 + a) mod 3``, reward ``R[s, a]``; the
episode terminates after ``horizon`` steps (absorbing afterwards: reward 0). A snapshot is the row
``(s, t, done)``; the observation is the same three numbers as float32, so a model can read the full state.

``TableModel`` implements the search's Model contract from a reward table of its own: with ``R + E`` it is a
"learned" model whose reward error on ``(s, a)`` is exactly ``E[s, a]`` before termination; it ignores
termination (a learned model does not know the episode ended), so after the end its error is its reward.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mzlab.envs.simulator import BatchTransition, Simulator, Transition
from mzlab.search.types import RootOutput, StepOutput

REWARDS = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 1.0]])
"""``R[s, a]`` of the ring MDP."""
ERRORS = np.array([[0.5, 0.0], [0.0, -1.0], [0.25, 0.0]])
"""``E[s, a]``: reward error of the ``learned`` fake model."""
POLICY = np.array([[0.5, 0.5], [0.25, 0.75], [1.0, 0.0]])
"""``pi(a | s)`` of the table policy."""


def next_state(state: int, action: int) -> int:
    return (state + 1 + action) % 3


class RingSimulator(Simulator):
    name = "ring"
    num_actions = 2
    observation_shape = (3,)

    def __init__(self, *, horizon: int = 3, discount: float = 0.9):
        self.horizon = horizon
        self.discount = discount
        self._row = np.zeros(3)

    def reset(self, seed: int) -> np.ndarray:
        self._row = np.array([seed % 3, 0.0, 0.0])
        return self.observe()

    def step(self, action: int) -> Transition:
        result = self.step_snapshots(self._row[None], np.array([action]))
        self._row = result.snapshots[0]
        return Transition(result.observations[0], float(result.rewards[0]), bool(result.terminated[0]), False)

    def snapshot(self) -> np.ndarray:
        return self._row.copy()

    def restore(self, snapshot) -> None:
        self._row = np.array(snapshot, dtype=np.float64)

    def observe(self) -> np.ndarray:
        return self._row.astype(np.float32)

    def reset_snapshots(self, seeds):
        rows = np.stack([np.array([int(seed) % 3, 0.0, 0.0]) for seed in seeds])
        return rows, rows.astype(np.float32)

    def step_snapshots(self, snapshots, actions) -> BatchTransition:
        rows = np.asarray(snapshots, dtype=np.float64)
        actions = np.asarray(actions, dtype=np.int64)
        states = rows[:, 0].astype(np.int64)
        done = rows[:, 2] > 0
        rewards = np.where(done, 0.0, REWARDS[states, actions])
        new_states = np.where(done, states, (states + 1 + actions) % 3)
        times = np.where(done, rows[:, 1], rows[:, 1] + 1)
        terminated = done | (times >= self.horizon)
        new_rows = np.stack([new_states, times, terminated.astype(np.float64)], axis=1)
        return BatchTransition(new_rows, new_rows.astype(np.float32), rewards, terminated, np.zeros(len(rows), bool))

    def observe_snapshots(self, snapshots) -> np.ndarray:
        return np.asarray(snapshots, dtype=np.float32)


@dataclass
class TableModel:
    """Model contract over the ring's states with its own reward table; never terminates."""

    rewards: np.ndarray
    discount: float = 0.9
    prior_logits: np.ndarray | None = None
    num_actions: int = 2

    def root(self, observations, snapshots=None) -> RootOutput:
        states = np.asarray(observations)[:, 0].astype(np.int64)
        return RootOutput(self._logits(states), np.zeros(len(states)), states)

    def step(self, state, actions):
        states = np.asarray(state, dtype=np.int64)
        actions = np.asarray(actions, dtype=np.int64)
        reward = self.rewards[states, actions]
        new_states = (states + 1 + actions) % 3
        discount = np.full(len(states), self.discount)
        output = StepOutput(reward, discount, self._logits(new_states), np.zeros(len(states)))
        return output, new_states

    def _logits(self, states):
        if self.prior_logits is None:
            return np.zeros((len(states), self.num_actions))
        return self.prior_logits[states]


def learned_model(discount: float = 0.9) -> TableModel:
    """The fake learned model: rewards ``R + E``, policy prior logits ``log POLICY`` (floored)."""
    return TableModel(REWARDS + ERRORS, discount, np.log(np.maximum(POLICY, 1e-6)))


@dataclass
class TablePolicy:
    """``pi(a | s) = table[s]`` read from the real state's snapshot."""

    table: np.ndarray = field(default_factory=lambda: POLICY)
    num_actions: int = 2

    def probabilities(self, observations, snapshots, rng) -> np.ndarray:
        return self.table[np.asarray(snapshots)[:, 0].astype(np.int64)]


def start_states(states) -> tuple[np.ndarray, np.ndarray]:
    """Snapshots and observations of ring states ``states`` at time 0."""
    rows = np.stack([np.array([s, 0.0, 0.0]) for s in states])
    return rows, rows.astype(np.float32)
