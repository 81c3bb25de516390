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

from mzlab.envs.fork_branching import MATERIALISE_AFTER, BranchState, ForkServer, Request, _Holder
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
            state = BranchState(observations[i].copy(), False, False, None, ())
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

    def _fallback(self, snapshot: ReplaySnapshot, state: BranchState) -> tuple[_Holder, int | None, np.ndarray]:
        """Where a snapshot without a live holder is rebuilt: ``(source, seed or None, actions to replay)``."""
        self.branching_seen = True
        origins = state.live_origins()
        actions = np.asarray(snapshot.actions, dtype=np.int64)
        if origins:
            source = origins[-1]
            return source, None, actions[source.depth :]
        return self.server.zygote(), snapshot.seed, actions

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
        forked: list[tuple[object, BranchState, list[int]]] = []
        materialise: list[tuple[BranchState, Request]] = []
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
            holder = state.live_holder()
            if holder is None and len(rows) == 1 and not self.branching_seen and simulator.holds_live(snapshot):
                in_place.extend(rows)
                continue
            if holder is None and len(rows) > 1:
                source, seed, replay = self._fallback(snapshot, state)
                if len(replay) > MATERIALISE_AFTER:
                    materialise.append((state, Request(source, seed, replay)))
            forked.append((snapshot, state, rows))

        if materialise:
            replies = self._run([request for _, request in materialise])
            for (state, _), (holder, *_) in zip(materialise, replies, strict=True):
                state.holder = holder

        requests, targets = [], []
        for snapshot, state, rows in forked:
            for origin in state.live_origins():
                self.server.touch(origin)
            holder = state.live_holder()
            for i in rows:
                action = np.array([int(actions[i])], dtype=np.int64)
                if holder is not None:
                    requests.append(Request(holder, None, action))
                else:
                    source, seed, replay = self._fallback(snapshot, state)
                    requests.append(Request(source, seed, np.concatenate([replay, action])))
                targets.append((snapshot, state, i))
        limit = simulator.max_episode_steps
        replies = self._run(requests)
        for (snapshot, state, i), (holder, observation, reward, ended, cut) in zip(targets, replies, strict=True):
            next_actions = (*snapshot.actions, int(actions[i]))
            cut = bool(cut) or (limit is not None and len(next_actions) >= limit)
            if ended or cut:
                holder.close()  # an ended snapshot is absorbing: its world is never needed again
            child = BranchState(observation, bool(ended), cut, holder, state.child_origins())
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
            child = BranchState(result.observation, result.terminated, result.truncated, None, origins)
            next_snapshots[i] = self._snapshot(key.seed, key.actions, child)
            observations[i], rewards[i] = result.observation, result.reward
            terminated[i], truncated[i] = result.terminated, result.truncated
        return BatchTransition(next_snapshots, observations, rewards, terminated, truncated)

    def _run(self, requests: list[Request]) -> list:
        self.server.replayed_steps += sum(max(0, len(r.actions) - 1) for r in requests if r.seed is None) + sum(
            len(r.actions) for r in requests if r.seed is not None
        )
        return self.server.run(requests) if requests else []
