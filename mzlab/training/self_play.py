"""Batched self-play: ``num_actors`` environments advance together, one batched search per move for all of them.

Each move: one :func:`~mzlab.search.mcts.run_search` over the ``[B]`` current observations (Dirichlet noise at
the roots as configured), actions drawn from the root visits with the visit temperature of the current
training step (paper Eq. 1), one batched simulator step. With ``search.algorithm = gumbel`` the action is the
sequential-halving winner (exploration from the root Gumbel noise, no temperature) and the stored policy is the
search's improved policy. Finished games (terminated, truncated or at
``env.max_episode_steps``) go to the replay buffer with their observations, actions, rewards, root visit
distributions and root values; their actor restarts from a fresh seed drawn from the self-play generator, or
continues the same game when the simulator says so (``continue_episode``: Atari's episodic life).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mzlab.config import ExperimentConfig
from mzlab.envs.simulator import Simulator
from mzlab.search.acting import search_actions, visit_temperature
from mzlab.search.mcts import run_search
from mzlab.search.types import Model
from mzlab.training.replay import ReplayBuffer

__all__ = ["SelfPlay", "FinishedGame"]

_SEED_LIMIT = 2**31 - 1


@dataclass(frozen=True)
class FinishedGame:
    episode_return: float
    """Undiscounted sum of the game's rewards."""
    length: int
    """Moves played."""


@dataclass
class _Trajectory:
    observations: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    rewards: list = field(default_factory=list)
    root_values: list = field(default_factory=list)
    policies: list = field(default_factory=list)


class SelfPlay:
    """``num_actors`` games in flight; :meth:`play_move` advances all of them by one move."""

    def __init__(self, simulator: Simulator, config: ExperimentConfig, rng: np.random.Generator,
                 *, num_actors: int | None = None):
        self.simulator = simulator
        self.config = config
        self.rng = rng
        self.num_actors = num_actors or config.training.num_actors
        self.num_env_steps = 0
        self._start_all()

    def _new_seeds(self, count: int) -> np.ndarray:
        return self.rng.integers(0, _SEED_LIMIT, size=count)

    def _start_all(self) -> None:
        self.snapshots, self.observations = self.simulator.reset_snapshots(self._new_seeds(self.num_actors))
        self._trajectories = [_Trajectory() for _ in range(self.num_actors)]

    def play_move(self, model: Model, *, training_step: int, buffer: ReplayBuffer) -> list[FinishedGame]:
        """Advance every actor by one move; store finished games in ``buffer`` and return them."""
        search = run_search(model, self.observations, config=self.config.search, rng=self.rng,
                            snapshots=self.snapshots)
        temperature = visit_temperature(training_step, self.config.training)
        actions = search_actions(search, temperature, self.rng)
        step = self.simulator.step_snapshots(self.snapshots, actions)
        self.num_env_steps += self.num_actors
        finished: list[FinishedGame] = []
        done_actors: list[int] = []
        limit = self.config.env.max_episode_steps
        for actor, trajectory in enumerate(self._trajectories):
            trajectory.observations.append(self.observations[actor])
            trajectory.actions.append(actions[actor])
            trajectory.rewards.append(step.rewards[actor])
            trajectory.root_values.append(search.root_value[actor])
            trajectory.policies.append(search.policy_target[actor])
            if step.terminated[actor] or step.truncated[actor] or len(trajectory.actions) >= limit:
                rewards = np.asarray(trajectory.rewards, dtype=np.float64)
                buffer.add_game(np.stack(trajectory.observations), np.asarray(trajectory.actions), rewards,
                                np.asarray(trajectory.root_values), np.stack(trajectory.policies))
                finished.append(FinishedGame(float(rewards.sum()), len(rewards)))
                done_actors.append(actor)
        self.snapshots = step.snapshots
        self.observations = step.observations
        if done_actors:
            # fresh arrays: the stored rows keep referring to this move's arrays, and a simulator may share memory
            self.snapshots = self.snapshots.copy()
            self.observations = self.observations.copy()
            fresh = []
            for actor in done_actors:
                continued = self.simulator.continue_episode(self.snapshots[actor])
                if continued is None:
                    fresh.append(actor)
                else:
                    self.snapshots[actor], self.observations[actor] = continued
            if fresh:
                done = np.asarray(fresh)
                snapshots, observations = self.simulator.reset_snapshots(self._new_seeds(len(done)))
                self.snapshots[done] = snapshots
                self.observations[done] = observations
            for actor in done_actors:
                self._trajectories[actor] = _Trajectory()
        return finished
