"""Tiny environments and models with known answers, for any test that needs one.

- :class:`TabularSimulator`: a deterministic finite MDP implementing the :class:`Simulator` contract, with
  vectorised snapshot stepping (snapshot = ``[state, steps, ended]`` int64 rows).
- :func:`deceptive_chain`: a chain where the greedy one-step action is wrong from every start state.
- :func:`value_iteration`: exact ``V*`` and ``Q*`` of a :class:`TabularSimulator`.
- :class:`BanditModel` and :class:`RandomTreeModel`: hand-written :class:`~mzlab.search.types.Model` objects.
"""

from __future__ import annotations

import numpy as np

from mzlab.envs.simulator import BatchTransition, Simulator, Transition
from mzlab.search.types import RootOutput, StepOutput

__all__ = ["TabularSimulator", "deceptive_chain", "value_iteration", "BanditModel", "RandomTreeModel"]


class TabularSimulator(Simulator):
    """Deterministic MDP: ``next_state[S, A]``, ``reward[S, A]``, ``terminal[S]`` (entering ends the episode).

    ``reset(seed)`` starts in state ``seed % S`` (so every state can be a start state); observations are
    one-hot ``[S]``. Episodes are truncated after ``max_episode_steps``; ended snapshots are absorbing.
    """

    def __init__(self, next_state: np.ndarray, reward: np.ndarray, terminal: np.ndarray, *, discount: float,
                 max_episode_steps: int = 1000, name: str = "tabular"):
        self.next_state = np.asarray(next_state, dtype=np.int64)
        self.reward = np.asarray(reward, dtype=np.float64)
        self.terminal = np.asarray(terminal, dtype=bool)
        self.num_states, self.num_actions = self.next_state.shape
        self.observation_shape = (self.num_states,)
        self.discount = discount
        self.max_episode_steps = max_episode_steps
        self.name = name
        self._current = np.zeros(3, dtype=np.int64)

    def _observe_rows(self, snapshots: np.ndarray) -> np.ndarray:
        return np.eye(self.num_states, dtype=np.float32)[snapshots[:, 0]]

    # Batched, vectorised --------------------------------------------------------------------------------------
    def reset_snapshots(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        snapshots = np.zeros((len(seeds), 3), dtype=np.int64)
        snapshots[:, 0] = np.asarray(seeds) % self.num_states
        return snapshots, self._observe_rows(snapshots)

    def step_snapshots(self, snapshots: np.ndarray, actions: np.ndarray) -> BatchTransition:
        return self._step_rows(snapshots, actions)

    def _step_rows(self, snapshots: np.ndarray, actions: np.ndarray) -> BatchTransition:
        snapshots = np.asarray(snapshots)
        actions = np.asarray(actions, dtype=np.int64)
        was_ended = snapshots[:, 2] > 0
        states = snapshots[:, 0]
        moved = np.where(was_ended, states, self.next_state[states, actions])
        rewards = np.where(was_ended, 0.0, self.reward[states, actions])
        steps = snapshots[:, 1] + ~was_ended
        terminated = np.where(was_ended, self.terminal[states], self.terminal[moved])
        truncated = ~terminated & (steps >= self.max_episode_steps)
        after = np.stack([moved, steps, (terminated | truncated).astype(np.int64)], axis=1)
        return BatchTransition(after, self._observe_rows(after), rewards, terminated, truncated)

    def observe_snapshots(self, snapshots: np.ndarray) -> np.ndarray:
        return self._observe_rows(np.asarray(snapshots))

    # Stateful single environment, through the batched operations ------------------------------------------------
    def reset(self, seed: int) -> np.ndarray:
        self._current = np.array([seed % self.num_states, 0, 0], dtype=np.int64)
        return self.observe()

    def step(self, action: int) -> Transition:
        result = self._step_rows(self._current[None], np.array([action]))
        self._current = result.snapshots[0]
        return Transition(result.observations[0], float(result.rewards[0]), bool(result.terminated[0]),
                          bool(result.truncated[0]))

    def snapshot(self) -> np.ndarray:
        return self._current.copy()

    def restore(self, snapshot: object) -> None:
        self._current = np.array(snapshot, dtype=np.int64)

    def observe(self) -> np.ndarray:
        return self._observe_rows(self._current[None])[0]


def deceptive_chain(*, length: int = 5, num_actions: int = 3, discount: float = 0.9, seed: int = 0
                    ) -> TabularSimulator:
    """Chain positions ``0..length-1``, a goal state ``length`` and a terminal state ``length + 1``.

    At each position one action *cashes out* (reward 1, ends), one *advances* (reward 0, next position or the
    goal), the others *stumble* (reward 0.5, end); at the goal every action pays 4 and ends. Which action
    index does what is permuted per position by ``seed``, so the optimal action differs between states. From
    every position greedy one-step picks cash-out while the optimum advances (``4 γ^length > 1``).
    """
    if num_actions < 2:
        raise ValueError("num_actions must be >= 2")
    rng = np.random.default_rng(seed)
    goal, terminal_state = length, length + 1
    next_state = np.full((length + 2, num_actions), terminal_state, dtype=np.int64)
    reward = np.zeros((length + 2, num_actions))
    for position in range(length):
        order = rng.permutation(num_actions)
        cash, advance, stumbles = order[0], order[1], order[2:]
        reward[position, cash] = 1.0
        reward[position, stumbles] = 0.5
        next_state[position, advance] = position + 1
    reward[goal] = 4.0
    terminal = np.zeros(length + 2, dtype=bool)
    terminal[terminal_state] = True
    return TabularSimulator(next_state, reward, terminal, discount=discount, name="deceptive_chain")


def value_iteration(simulator: TabularSimulator, *, tolerance: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(V*[S], Q*[S, A])`` of a :class:`TabularSimulator` (terminal states have value 0)."""
    values = np.zeros(simulator.num_states)
    while True:
        continuation = np.where(simulator.terminal[simulator.next_state], 0.0, values[simulator.next_state])
        q = simulator.reward + simulator.discount * continuation
        q[simulator.terminal] = 0.0
        new_values = q.max(axis=1)
        if np.max(np.abs(new_values - values)) < tolerance:
            return new_values, q
        values = new_values


class BanditModel:
    """A one-step bandit: root prior ``prior_logits[A]``, pulling arm ``a`` pays ``arm_rewards[a]`` and ends."""

    def __init__(self, arm_rewards, prior_logits, *, discount: float = 0.99):
        self.arm_rewards = np.asarray(arm_rewards, dtype=np.float64)
        self.prior_logits = np.asarray(prior_logits, dtype=np.float64)
        self.num_actions = len(self.arm_rewards)
        self.discount = discount

    def root(self, observations, snapshots=None) -> RootOutput:
        batch = len(observations)
        return RootOutput(np.tile(self.prior_logits, (batch, 1)), np.zeros(batch), np.zeros((batch, 1)))

    def step(self, state, actions):
        batch = len(actions)
        output = StepOutput(self.arm_rewards[np.asarray(actions)], np.zeros(batch),
                            np.tile(self.prior_logits, (batch, 1)), np.zeros(batch))
        return output, state


class RandomTreeModel:
    """A deterministic model whose every node (action sequence) has pseudo-random reward, prior and value.

    State = ``[B, 1]`` int64 hash of the action sequence; outputs depend only on it, so any search over it
    is reproducible and comparable with a reference implementation. ``end_probability`` of steps end the
    episode (discount 0). ``value_scale`` scales the values, ``constant_reward`` overrides rewards.
    """

    def __init__(self, *, num_actions: int = 3, discount: float = 0.9, seed: int = 0, end_probability: float = 0.1,
                 value_scale: float = 1.0, constant_reward: float | None = None):
        self.num_actions = num_actions
        self.discount = discount
        self.seed = seed
        self.end_probability = end_probability
        self.value_scale = value_scale
        self.constant_reward = constant_reward
        self.value_calls = 0

    def _draw(self, keys: np.ndarray, salt: int) -> np.ndarray:
        offset = np.uint64((salt * 1442695040888963407 + self.seed) % (1 << 64))
        mixed = keys * np.uint64(6364136223846793005) + offset
        mixed ^= mixed >> np.uint64(33)
        mixed *= np.uint64(0xFF51AFD7ED558CCD)
        mixed ^= mixed >> np.uint64(33)
        return (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)

    def _outputs(self, keys: np.ndarray):
        keys = keys.astype(np.uint64)
        logits = np.stack([self._draw(keys, 10 + a) * 4 - 2 for a in range(self.num_actions)], axis=1)
        value = (self._draw(keys, 3) * 2 - 1) * self.value_scale
        return logits, value

    def root(self, observations, snapshots=None) -> RootOutput:
        keys = np.asarray(observations, dtype=np.int64).reshape(len(observations), -1)[:, :1] + 1
        logits, value = self._outputs(keys[:, 0])
        return RootOutput(logits, value, keys)

    def step(self, state, actions):
        with np.errstate(over="ignore"):
            keys = (np.asarray(state)[:, 0].astype(np.uint64) * np.uint64(1000003)
                    + np.asarray(actions).astype(np.uint64) + np.uint64(7))
        ended = self._draw(keys, 1) < self.end_probability
        reward = self._draw(keys, 2) * 2 - 1 if self.constant_reward is None else np.full(len(keys),
                                                                                          self.constant_reward)
        logits, value = self._outputs(keys)
        self.value_calls += 1
        output = StepOutput(reward, np.where(ended, 0.0, self.discount), logits, np.where(ended, 0.0, value))
        return output, keys.astype(np.int64)[:, None]


def random_training_batch(inside, *, seed: int = 0, num_actions: int = 2, observation_size: int = 3):
    """A float64 ``TrainingBatch`` of random targets for ``inside [B, K + 1]`` (bool; False = past the end,
    whose observations are zeroed), drawn in a fixed order from ``torch.Generator().manual_seed(seed)``."""
    import torch

    from mzlab.training.objectives.base import TrainingBatch

    batch, steps = inside.shape
    generator = torch.Generator().manual_seed(seed)
    unroll = torch.randn(batch, steps, observation_size, generator=generator, dtype=torch.float64)
    unroll[~inside] = 0.0
    return TrainingBatch(
        observations=unroll[:, 0].clone(),
        actions=torch.randint(0, num_actions, (batch, steps - 1), generator=generator),
        target_values=torch.randn(batch, steps, generator=generator, dtype=torch.float64) * 3,
        target_rewards=torch.randn(batch, steps, generator=generator, dtype=torch.float64),
        target_policies=torch.softmax(torch.randn(batch, steps, num_actions, generator=generator,
                                                  dtype=torch.float64), -1),
        weights=torch.rand(batch, generator=generator, dtype=torch.float64),
        inside=inside,
        unroll_observations=unroll,
    )


def load_benchmark(name: str):
    """The module ``benchmarks/<name>.py`` (the scripts are not a package), imported from its file."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
