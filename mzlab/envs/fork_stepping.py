"""The batched simulator methods of a replay simulator with ``branching="fork"``.

How each row of ``step_snapshots`` is served (every way gives the replayed future exactly):

- a snapshot without a :class:`~mzlab.envs.fork_branching.BranchState` (made by hand, unpickled, or from the
  stateful methods): in place, by the simulator's own restore (replay) and step;
- an ended snapshot: absorbing, no work;
- a snapshot whose holder process is alive: that holder forks, the child steps the action;
- a snapshot whose live environment sits in the simulator's own cache, stepped by one row only, while this
  simulator has not yet seen a branch: in place (self-play, evaluation and episode rollouts never branch,
  and stepping in place costs no process);
- otherwise (its holder was evicted, or it was stepped in place and its environment has moved on): its
  nearest live ancestor holder forks and the child replays the missing actions, or the zygote forks and the
  child resets from the seed and replays. A snapshot stepped by several rows is first re-held when the
  missing actions are many, so they are replayed once. From the first such fallback, or the first snapshot
  stepped by several rows, this simulator forks every row (it is being used to branch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mzlab.envs.fork_branching import FRESH_PER_FORK, MATERIALISE_AFTER, BranchState, Fork, ForkServer, _Holder
from mzlab.envs.simulator import BatchTransition, Simulator

if TYPE_CHECKING:
    from mzlab.envs.gym_replay import ReplaySimulator, ReplaySnapshot

__all__ = ["ForkStepping"]


class ForkStepping:
    """``reset_snapshots`` / ``step_snapshots`` / ``observe_snapshots`` of ``simulator`` through ``server``."""

    def __init__(self, simulator: ReplaySimulator, server: ForkServer) -> None:
        self.simulator = simulator
        self.server = server
        self.branching_seen = False
        """Set at the first branch or fallback; from then on every row forks."""

    def _snapshot(self, seed: int, actions: tuple[int, ...], state: BranchState) -> ReplaySnapshot:
        from mzlab.envs.gym_replay import ReplaySnapshot

        return ReplaySnapshot(seed, actions, state)

    def reset_snapshots(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        plain, observations = Simulator.reset_snapshots(self.simulator, seeds)
        snapshots = np.empty(len(plain), dtype=object)
        for i, snapshot in enumerate(plain):
            state = BranchState(observations[i].copy(), False, False, None, -1, 0, ())
            snapshots[i] = self._snapshot(snapshot.seed, snapshot.actions, state)
        return snapshots, observations

    def observe_snapshots(self, snapshots: np.ndarray) -> np.ndarray:
        simulator = self.simulator
        observations = np.empty((len(snapshots), *simulator.observation_shape), dtype=simulator.observation_dtype)
        for i, snapshot in enumerate(snapshots):
            state = getattr(snapshot, "branch", None)
            if state is not None:
                observations[i] = state.observation
            else:
                simulator.restore(snapshot)
                observations[i] = simulator.observe()
        return observations

    def _source(self, snapshot: ReplaySnapshot, state: BranchState) -> tuple[_Holder, int, int | None, np.ndarray]:
        """Where ``snapshot`` is stepped from: ``(holder, world or -1, seed or None, actions to replay first)``."""
        holder = state.live_holder()
        if holder is not None:
            return holder, state.world, None, np.zeros(0, dtype=np.int64)
        self.branching_seen = True
        actions = np.asarray(snapshot.actions, dtype=np.int64)
        origins = state.live_origins()
        if origins:
            source, world, depth = origins[-1]
            return source, world, None, actions[depth:]
        return self.server.zygote(), -1, snapshot.seed, actions

    def step_snapshots(self, snapshots: np.ndarray, actions: np.ndarray) -> BatchTransition:
        simulator = self.simulator
        size = len(snapshots)
        actions = np.asarray(actions)
        next_snapshots = np.empty(size, dtype=object)
        observations = np.empty((size, *simulator.observation_shape), dtype=simulator.observation_dtype)
        rewards = np.zeros(size)
        terminated = np.zeros(size, dtype=bool)
        truncated = np.zeros(size, dtype=bool)

        groups: dict[int, tuple[object, list[int]]] = {}
        for i in range(size):
            groups.setdefault(id(snapshots[i]), (snapshots[i], []))[1].append(i)
        if any(len(rows) > 1 for _, rows in groups.values()):
            self.branching_seen = True

        in_place: list[int] = []
        forked: list[tuple[ReplaySnapshot, BranchState, list[int]]] = []
        rehold = _Plan()
        reheld: list[tuple[BranchState, Fork, int]] = []
        for snapshot, rows in groups.values():
            state = getattr(snapshot, "branch", None)
            if state is None:
                in_place.extend(rows)
                continue
            if state.terminated or state.truncated:
                for i in rows:
                    next_snapshots[i], observations[i] = snapshot, state.observation
                    terminated[i], truncated[i] = state.terminated, state.truncated
                continue
            for i in rows:
                if not 0 <= int(actions[i]) < simulator.num_actions:
                    raise ValueError(f"action {int(actions[i])} outside [0, {simulator.num_actions})")
            if state.live_holder() is None:
                if len(rows) == 1 and not self.branching_seen and simulator.holds_live(snapshot):
                    in_place.extend(rows)
                    continue
                if len(rows) > 1:
                    source, world, seed, replay = self._source(snapshot, state)
                    if world < 0 or len(replay) > MATERIALISE_AFTER:
                        reheld.append((state, *rehold.add(source, world, seed, replay)))
            forked.append((snapshot, state, rows))

        if reheld:
            replies = self._run(rehold.forks)
            for state, fork, job in reheld:
                state.holder, state.world = replies[id(fork)][0], job

        plan = _Plan()
        targets = []
        for snapshot, state, rows in forked:
            for origin, _, _ in state.live_origins():
                self.server.touch(origin)
            source, world, seed, replay = self._source(snapshot, state)
            for i in rows:
                job = np.concatenate([replay, [int(actions[i])]])
                targets.append((snapshot, state, i, *plan.add(source, world, seed, job)))
        replies = self._run(plan.forks)
        limit = simulator.max_episode_steps
        for snapshot, state, i, fork, job in targets:
            holder, results = replies[id(fork)]
            observation, reward, ended, cut = results[job]
            next_actions = (*snapshot.actions, int(actions[i]))
            cut = bool(cut) or (limit is not None and len(next_actions) >= limit)
            done = bool(ended) or cut
            # An ended snapshot is absorbing: its world is never needed again.
            child = BranchState(
                observation, bool(ended), cut, None if done else holder, job, len(next_actions), state.child_origins()
            )
            next_snapshots[i] = self._snapshot(snapshot.seed, next_actions, child)
            observations[i], rewards[i] = observation, float(reward) * simulator.reward_scale
            terminated[i], truncated[i] = child.terminated, child.truncated

        for i in in_place:
            snapshot = snapshots[i]
            state = getattr(snapshot, "branch", None)
            simulator.restore(snapshot)
            result = simulator.step(int(actions[i]))
            key = simulator.snapshot()
            origins = () if state is None else state.child_origins()
            child = BranchState(
                result.observation, result.terminated, result.truncated, None, -1, len(key.actions), origins
            )
            next_snapshots[i] = self._snapshot(key.seed, key.actions, child)
            observations[i], rewards[i] = result.observation, result.reward
            terminated[i], truncated[i] = result.terminated, result.truncated
        return BatchTransition(next_snapshots, observations, rewards, terminated, truncated)

    def _run(self, forks: list[Fork]) -> dict[int, tuple[_Holder, list]]:
        """Each fork's ``(holder, job results)`` keyed by ``id(fork)``."""
        self.server.replayed_steps += sum(len(a) - (seed is None) for fork in forks for _, seed, a in fork.jobs)
        replies = self.server.run(forks) if forks else []
        return {id(fork): reply for fork, reply in zip(forks, replies, strict=True)}


class _Plan:
    """Packs jobs into forks: the ``k``-th job on a world of a holder goes to that holder's ``k``-th fork."""

    def __init__(self) -> None:
        self.forks: list[Fork] = []
        self._by_source: dict[int, list[Fork]] = {}
        self._uses: dict[tuple[int, int], int] = {}

    def add(self, source: _Holder, world: int, seed: int | None, actions: np.ndarray) -> tuple[Fork, int]:
        """Schedule one job; returns its fork and its index among that fork's jobs (its world in the child)."""
        forks = self._by_source.setdefault(source.key, [])
        if world < 0:
            k = len(forks) - 1 if forks and len(forks[-1].jobs) < FRESH_PER_FORK else len(forks)
        else:
            k = self._uses.get((source.key, world), 0)
            self._uses[(source.key, world)] = k + 1
        while len(forks) <= k:
            forks.append(Fork(source, []))
            self.forks.append(forks[-1])
        forks[k].jobs.append((world, seed, actions))
        return forks[k], len(forks[k].jobs) - 1
