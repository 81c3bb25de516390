"""The simulator contract: seeded reset, step, exact snapshot/restore, and batched stepping of snapshots.

A *snapshot* is an opaque value that captures everything the future of an episode depends on (including
whether it has ended). Restoring one any number of times reproduces exactly the same future. A *batch of
snapshots* is a numpy array whose first axis is the batch: numeric ``[B, D]`` where the environment
vectorises (Cart Pole), ``dtype=object`` ``[B]`` otherwise. Numpy fancy indexing then gathers and scatters
snapshot batches the same way for every environment, which is what the search's tree storage needs.

Absorbing termination: stepping a snapshot whose episode has terminated or been truncated returns reward 0,
``done`` true and the same observation, forever.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

__all__ = ["Simulator", "Transition", "BatchTransition"]


@dataclass(frozen=True)
class Transition:
    observation: np.ndarray
    """Observation after the step, shape ``observation_shape``."""
    reward: float
    """Reward of the step (0 once the episode has ended)."""
    terminated: bool
    """The episode reached a terminal state."""
    truncated: bool
    """The episode hit its step limit."""


@dataclass(frozen=True)
class BatchTransition:
    snapshots: np.ndarray
    """Snapshots after the step, a batch of ``B``."""
    observations: np.ndarray
    """``[B, *observation_shape]``."""
    rewards: np.ndarray
    """``[B]`` float64, 0 for snapshots that had already ended."""
    terminated: np.ndarray
    """``[B]`` bool."""
    truncated: np.ndarray
    """``[B]`` bool."""


class Simulator(abc.ABC):
    """A stateful single environment plus pure batched stepping over snapshots.

    Subclasses set ``name``, ``num_actions``, ``observation_shape``, ``discount`` (and ``observation_dtype``)
    and implement the abstract methods. The default batched methods loop over ``restore``/``step``/
    ``snapshot``; vectorised environments override them.
    """

    name: str
    num_actions: int
    observation_shape: tuple[int, ...]
    discount: float
    observation_dtype: np.dtype = np.dtype(np.float32)
    """float32 for vector observations; uint8 for frames (Atari), which networks scale by 1/255."""
    stacked_frames: int = 1
    """Observations are this many frames stacked along axis 0, oldest first, each new observation dropping the
    oldest frame (Atari: ``frame_stack``); the replay buffer then stores every frame once."""

    @abc.abstractmethod
    def reset(self, seed: int) -> np.ndarray:
        """Start an episode determined by ``seed``; return the first observation."""

    @abc.abstractmethod
    def step(self, action: int) -> Transition:
        """Advance the current episode by one action."""

    @abc.abstractmethod
    def snapshot(self) -> object:
        """An opaque, copyable value that :meth:`restore` turns back into exactly this state."""

    @abc.abstractmethod
    def restore(self, snapshot: object) -> None:
        """Make ``snapshot`` the current state; the snapshot itself is not changed."""

    @abc.abstractmethod
    def observe(self) -> np.ndarray:
        """Observation of the current state."""

    def continue_episode(self, snapshot: object) -> tuple[object, np.ndarray] | None:
        """The training episode that follows the ended ``snapshot`` in the same game, as ``(snapshot,
        observation)``, or ``None`` when a new game must start (the default; Atari with ``episodic_life``
        continues after a lost life)."""
        return None

    # Batched, pure operations over snapshots -------------------------------------------------------------

    def reset_snapshots(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Initial snapshots and observations for ``seeds[B]``: ``(snapshots[B], observations[B, ...])``."""
        snapshots = np.empty(len(seeds), dtype=object)
        observations = np.empty((len(seeds), *self.observation_shape), dtype=self.observation_dtype)
        for i, seed in enumerate(seeds):
            observations[i] = self.reset(int(seed))
            snapshots[i] = self.snapshot()
        return snapshots, observations

    def step_snapshots(self, snapshots: np.ndarray, actions: np.ndarray) -> BatchTransition:
        """Step every snapshot of the batch by its action; ``snapshots`` is left unchanged."""
        size = len(snapshots)
        next_snapshots = np.empty(size, dtype=object)
        observations = np.empty((size, *self.observation_shape), dtype=self.observation_dtype)
        rewards = np.zeros(size)
        terminated = np.zeros(size, dtype=bool)
        truncated = np.zeros(size, dtype=bool)
        for i in range(size):
            self.restore(snapshots[i])
            result = self.step(int(actions[i]))
            next_snapshots[i] = self.snapshot()
            observations[i] = result.observation
            rewards[i] = result.reward
            terminated[i] = result.terminated
            truncated[i] = result.truncated
        return BatchTransition(next_snapshots, observations, rewards, terminated, truncated)

    def observe_snapshots(self, snapshots: np.ndarray) -> np.ndarray:
        """Observations ``[B, ...]`` of a batch of snapshots."""
        observations = np.empty((len(snapshots), *self.observation_shape), dtype=self.observation_dtype)
        for i, snapshot in enumerate(snapshots):
            self.restore(snapshot)
            observations[i] = self.observe()
        return observations
