"""Cart Pole as a vectorised numpy simulator, step for step equal to gymnasium's ``CartPole-v1``.

Same physics (explicit Euler, tau 0.02), same thresholds (|x| > 2.4, |theta| > 12 degrees), reward 1 for every
step including the terminating one, truncation after ``max_episode_steps`` (500). The initial state for a seed
is drawn exactly as gymnasium draws it: ``seeding.np_random(seed)`` then ``uniform(-0.05, 0.05, size=4)``.

Unlike gymnasium, an ended episode is absorbing: stepping it returns reward 0 and leaves the state unchanged.

Snapshot row ``[D] = [SNAPSHOT_SIZE]`` float64: ``x, x_dot, theta, theta_dot, steps, terminated, truncated``.
A batch of snapshots is ``[B, 7]``, so search trees can keep them in ``[B, N, 7]`` arrays.
"""

from __future__ import annotations

import math

import numpy as np
from gymnasium.utils import seeding

from mzlab.envs.simulator import BatchTransition, Simulator, Transition

__all__ = ["CartPole", "SNAPSHOT_SIZE", "initial_state"]

SNAPSHOT_SIZE = 7
_STEPS, _TERMINATED, _TRUNCATED = 4, 5, 6

GRAVITY = 9.8
MASS_CART = 1.0
MASS_POLE = 0.1
TOTAL_MASS = MASS_POLE + MASS_CART
LENGTH = 0.5
POLEMASS_LENGTH = MASS_POLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4


def initial_state(seed: int) -> np.ndarray:
    """Gymnasium's ``CartPole-v1`` initial state ``[4]`` float64 for ``reset(seed=seed)``."""
    rng, _ = seeding.np_random(int(seed))
    return rng.uniform(low=-0.05, high=0.05, size=(4,))


def _rollout_kernel(snapshots, actions, discount, max_steps, out):
    """``out[r]`` = discounted reward sum of ``actions[:, r]`` from ``snapshots[r]`` (reward 1 per live step,
    the discount product set to 0 once the episode ends), with :meth:`CartPole.step_snapshots`'s arithmetic."""
    horizon, rows = actions.shape
    for r in range(rows):
        x, x_dot, theta, theta_dot, steps = snapshots[r, 0], snapshots[r, 1], snapshots[r, 2], snapshots[r, 3], \
            snapshots[r, 4]
        ended = snapshots[r, 5] != 0 or snapshots[r, 6] != 0
        total = 0.0
        running = 1.0
        for h in range(horizon):
            if ended:
                break
            force = FORCE_MAG if actions[h, r] == 1 else -FORCE_MAG
            costheta = math.cos(theta)
            sintheta = math.sin(theta)
            temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS
            thetaacc = (GRAVITY * sintheta - costheta * temp) / (
                LENGTH * (4.0 / 3.0 - MASS_POLE * (costheta * costheta) / TOTAL_MASS))
            xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
            x, x_dot, theta, theta_dot = x + TAU * x_dot, x_dot + TAU * xacc, theta + TAU * theta_dot, \
                theta_dot + TAU * thetaacc
            steps += 1.0
            total += running
            terminated = x < -X_THRESHOLD or x > X_THRESHOLD or theta < -THETA_THRESHOLD or theta > THETA_THRESHOLD
            ended = terminated or steps >= max_steps
            running = 0.0 if ended else running * discount
        out[r] = total


_rollout_compiled = None


class CartPole(Simulator):
    """Vectorised ``CartPole-v1``; snapshots are float64 rows ``[7]`` (see module docstring)."""

    name = "cartpole"
    num_actions = 2
    observation_shape = (4,)

    def __init__(self, *, discount: float = 0.997, max_episode_steps: int = 500) -> None:
        self.discount = float(discount)
        self.max_episode_steps = int(max_episode_steps)
        self._row = np.zeros(SNAPSHOT_SIZE)

    # Batched, pure ------------------------------------------------------------------------------------------

    def reset_snapshots(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Initial snapshots ``[B, 7]`` and observations ``[B, 4]`` float32 for ``seeds[B]``."""
        snapshots = np.zeros((len(seeds), SNAPSHOT_SIZE))
        for i, seed in enumerate(seeds):
            snapshots[i, :4] = initial_state(int(seed))
        return snapshots, snapshots[:, :4].astype(np.float32)

    def step_snapshots(self, snapshots: np.ndarray, actions: np.ndarray) -> BatchTransition:
        """Step ``snapshots[B, 7]`` by ``actions[B]``; ended rows are absorbing. ``snapshots`` is unchanged.

        The arithmetic follows gymnasium's ``CartPoleEnv.step`` operation for operation (explicit Euler), on
        contiguous float64 columns ``[7, B]`` (one transpose in, one out).
        """
        columns = np.ascontiguousarray(np.asarray(snapshots, dtype=np.float64).T)
        x, x_dot, theta, theta_dot, steps, was_terminated, was_truncated = columns
        force = np.where(np.asarray(actions) == 1, FORCE_MAG, -FORCE_MAG)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        temp = (force + POLEMASS_LENGTH * np.square(theta_dot) * sintheta) / TOTAL_MASS
        thetaacc = (GRAVITY * sintheta - costheta * temp) / (
            LENGTH * (4.0 / 3.0 - MASS_POLE * np.square(costheta) / TOTAL_MASS)
        )
        xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS
        following = np.empty_like(columns)
        next_x, next_x_dot, next_theta, next_theta_dot, next_steps, next_terminated, next_truncated = following
        np.add(x, TAU * x_dot, out=next_x)
        np.add(x_dot, TAU * xacc, out=next_x_dot)
        np.add(theta, TAU * theta_dot, out=next_theta)
        np.add(theta_dot, TAU * thetaacc, out=next_theta_dot)
        np.add(steps, 1.0, out=next_steps)
        terminated = (next_x < -X_THRESHOLD) | (next_x > X_THRESHOLD)
        terminated |= (next_theta < -THETA_THRESHOLD) | (next_theta > THETA_THRESHOLD)
        truncated = next_steps >= self.max_episode_steps
        next_terminated[:] = terminated
        next_truncated[:] = truncated
        ended = (was_terminated != 0) | (was_truncated != 0)
        if ended.any():
            np.copyto(following, columns, where=ended)
            terminated, truncated = next_terminated != 0, next_truncated != 0
        rewards = (~ended).astype(np.float64)
        observations = following[:4].T.astype(np.float32, order="C")
        return BatchTransition(np.ascontiguousarray(following.T), observations, rewards, terminated, truncated)

    def rollout_returns(self, snapshots: np.ndarray, actions: np.ndarray, *, discount: float) -> np.ndarray:
        """``[R]`` ``Σ_h (Π_{j<h} d_j) r_h`` of ``actions[H, R]`` from ``snapshots[R, 7]`` in one compiled loop,
        ``d_j`` = ``discount`` while the episode runs and 0 from the step that ends it (the ground-truth model's
        random-rollout leaf values; equal to stepping with :meth:`step_snapshots` H times)."""
        global _rollout_compiled
        if _rollout_compiled is None:
            from mzlab.jit import njit

            _rollout_compiled = njit(_rollout_kernel)
        out = np.empty(actions.shape[1])
        _rollout_compiled(np.ascontiguousarray(snapshots, dtype=np.float64), np.ascontiguousarray(actions, np.int64),
                          float(discount), float(self.max_episode_steps), out)
        return out

    def observe_snapshots(self, snapshots: np.ndarray) -> np.ndarray:
        """Observations ``[B, 4]`` float32 of ``snapshots[B, 7]``."""
        return np.asarray(snapshots)[:, :4].astype(np.float32)

    # Stateful single environment ----------------------------------------------------------------------------

    def reset(self, seed: int) -> np.ndarray:
        self._row = np.zeros(SNAPSHOT_SIZE)
        self._row[:4] = initial_state(seed)
        return self.observe()

    def step(self, action: int) -> Transition:
        result = self.step_snapshots(self._row[None], np.array([action]))
        self._row = result.snapshots[0]
        return Transition(
            result.observations[0], float(result.rewards[0]), bool(result.terminated[0]), bool(result.truncated[0])
        )

    def snapshot(self) -> np.ndarray:
        """The current state as a float64 row ``[7]`` (a copy)."""
        return self._row.copy()

    def restore(self, snapshot: object) -> None:
        row = np.asarray(snapshot, dtype=np.float64)
        if row.shape != (SNAPSHOT_SIZE,):
            raise ValueError(f"a Cart Pole snapshot is a float row of {SNAPSHOT_SIZE}, got shape {row.shape}")
        self._row = row.copy()

    def observe(self) -> np.ndarray:
        return self._row[:4].astype(np.float32)
