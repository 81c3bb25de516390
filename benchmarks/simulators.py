"""Simulator speed: one JSON line per case.

Cases:
- ``cartpole``: our ``CartPole.step_snapshots`` transitions per second at batch 1 and 4096, against gymnasium's
  ``SyncVectorEnv`` of ``CartPole-v1`` (one environment object per state) and gymnasium's own vectorised
  ``CartPoleVectorEnv``, measured in interleaved rounds of the same run (best round of each).
- ``lunarlander_restore``: cost of restoring a Lunar Lander snapshot against its prefix length, when the live
  environment is cached (hit) and when it must be replayed from the seed (miss).
- ``lunarlander_branch``: cost of one branch (step a snapshot by an action, keeping the snapshot) of Lunar Lander
  states ``step`` actions into hovering episodes, with fork branching (``branch_ms``: 16 held states x 4 actions
  per batched call, wall time per branch; ``single_ms``: one branch alone) against the replay path
  (``replay_ms``: seeded reset plus replay, nothing cached), measured in the same run.
- ``ale_snapshot_restore``: ALE ``cloneState`` + ``restoreState`` pairs per second, and Breakout
  ``step_snapshots`` transitions per second (restore, 4 emulated frames, resize, snapshot).

Run: ``nice .venv/bin/python benchmarks/simulators.py`` (``--quick`` for a fast smoke run).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import gymnasium as gym
import numpy as np
from gymnasium.envs.box2d.lunar_lander import heuristic

from mzlab.envs.atari import Atari
from mzlab.envs.cartpole import CartPole
from mzlab.envs.gym_replay import ReplaySnapshot
from mzlab.envs.lunar_lander import DeterministicLunarLander, LunarLander


def _best_rate(run: Callable[[], int], repeats: int) -> float:
    """Highest ``items / second`` over ``repeats`` calls of ``run`` (which returns its item count)."""
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        items = run()
        best = max(best, items / (time.perf_counter() - start))
    return best


def cartpole_case(batch: int, steps: int, repeats: int) -> dict[str, object]:
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 2, (steps, batch))
    simulator = CartPole()
    start_snapshots, _ = simulator.reset_snapshots(np.arange(batch))

    def ours() -> int:
        snapshots = start_snapshots
        for step_actions in actions:
            snapshots = simulator.step_snapshots(snapshots, step_actions).snapshots
        return steps * batch

    sync_env = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(batch)])
    sync_env.reset(seed=0)
    native_env = gym.make_vec("CartPole-v1", num_envs=batch, vectorization_mode="vector_entry_point")
    native_env.reset(seed=0)

    def stepper(env: gym.vector.VectorEnv) -> Callable[[], int]:
        def run() -> int:
            for step_actions in actions:
                env.step(step_actions)
            return steps * batch

        return run

    # Interleaved rounds, so that the three see the same (shared, noisy) machine; best round of each.
    rates = np.zeros((repeats, 3))
    for round_index in range(repeats):
        for column, run in enumerate((ours, stepper(sync_env), stepper(native_env))):
            rates[round_index, column] = _best_rate(run, 1)
    ours_rate, sync_rate, native_rate = rates.max(axis=0)
    return {
        "case": "cartpole",
        "batch": batch,
        "ours_per_s": round(ours_rate),
        "sync_per_s": round(sync_rate),
        "native_per_s": round(native_rate),
        "ratio_vs_sync": round(ours_rate / sync_rate, 2),
        "ratio_vs_native": round(ours_rate / native_rate, 3),
    }


def _heuristic_prefix(seed: int, length: int) -> tuple[LunarLander, object]:
    """A Lunar Lander snapshot ``length`` actions into an episode flown by gymnasium's heuristic pilot, told it is
    0.5 lower than it is so that it hovers instead of landing (episodes last the full 1000 steps)."""
    simulator, pilot_env = LunarLander(), DeterministicLunarLander()
    observation = simulator.reset(seed)
    for _ in range(length):
        shifted = observation.copy()
        shifted[1] -= 0.5
        transition = simulator.step(int(heuristic(pilot_env, shifted)))
        observation = transition.observation
        if transition.terminated or transition.truncated:
            break
    return simulator, simulator.snapshot()


def lunarlander_row(length: int, repeats: int) -> dict[str, object]:
    simulator, snapshot = _heuristic_prefix(seed=1, length=length)
    simulator.reset(2)
    other = simulator.snapshot()
    hits = 200

    def hit() -> int:
        for _ in range(hits):  # both live environments stay cached: each restore swaps them
            simulator.restore(snapshot)
            simulator.restore(other)
        return 2 * hits

    missing = LunarLander(cache_size=0)  # nothing cached: every restore replays from the seed
    missing.reset(2)
    elsewhere = missing.snapshot()
    misses = max(3, 3000 // max(length, 1))

    def miss_rate() -> float:
        elapsed = 0.0
        for _ in range(misses):
            missing.restore(elsewhere)
            start = time.perf_counter()
            missing.restore(snapshot)
            elapsed += time.perf_counter() - start
        return misses / elapsed

    return {
        "case": "lunarlander_restore",
        "prefix_length": len(snapshot.actions),
        "hit_us": round(1e6 / _best_rate(hit, repeats), 2),
        "miss_us": round(1e6 / max(miss_rate() for _ in range(repeats)), 1),
    }


def lunarlander_branch_row(step: int, repeats: int, states: int = 16) -> dict[str, object]:
    plain = []
    for seed in range(1, states + 1):
        simulator, snapshot = _heuristic_prefix(seed=seed, length=step)
        assert len(snapshot.actions) == step, "the pilot must keep the lander flying"
        plain.append(snapshot)
    plain = np.array(plain, dtype=object)
    forking = LunarLander(branching="fork")
    if step == 0:
        held, _ = forking.reset_snapshots(np.arange(1, states + 1))
    else:  # one step in place from step - 1 gives the branch state; the first branch below re-holds them
        before = np.array([ReplaySnapshot(s.seed, s.actions[:-1]) for s in plain], dtype=object)
        held = forking.step_snapshots(before, np.array([s.actions[-1] for s in plain])).snapshots
    parents = np.repeat(np.arange(states), 4)
    actions = np.tile(np.arange(4), states)
    forking.step_snapshots(held[parents], actions)  # warm: zygote started, states held by processes

    def branch() -> int:
        forking.step_snapshots(held[parents], actions)
        return len(parents)

    def single() -> int:
        forking.step_snapshots(held[:1], actions[:1])
        return 1

    replaying = LunarLander(cache_size=0)

    def replay() -> int:
        replaying.step_snapshots(plain[parents[:8]], actions[:8])
        return 8

    branch_rate = _best_rate(branch, repeats)
    single_rate = _best_rate(single, 5 * repeats)
    replay_rate = _best_rate(replay, repeats)
    forking.close()
    return {
        "case": "lunarlander_branch",
        "step": step,
        "branch_ms": round(1e3 / branch_rate, 3),
        "single_ms": round(1e3 / single_rate, 3),
        "replay_ms": round(1e3 / replay_rate, 3),
        "ratio_vs_replay": round(branch_rate / replay_rate, 1),
    }


def ale_case(steps: int, repeats: int) -> dict[str, object]:
    simulator = Atari("breakout")
    simulator.reset(0)
    for action in [1] + [0] * 20:
        simulator.step(action)
    snapshot = simulator.snapshot()
    ale = simulator._ale  # the raw emulator: measures cloneState/restoreState themselves

    def clone_restore() -> int:
        for _ in range(steps):
            ale.restoreState(snapshot.ale_state)
            ale.cloneState(include_rng=True)
        return steps

    batch = np.array([snapshot] * 64, dtype=object)
    actions = np.random.default_rng(0).integers(0, 4, 64)

    def batched() -> int:
        for _ in range(max(1, steps // 640)):
            simulator.step_snapshots(batch, actions)
        return max(1, steps // 640) * 64

    return {
        "case": "ale_snapshot_restore",
        "clone_restore_per_s": round(_best_rate(clone_restore, repeats)),
        "step_snapshots_per_s": round(_best_rate(batched, repeats)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few steps, one repeat (smoke run)")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    for batch, steps in [(1, 2000), (4096, 50)]:
        rounds = 1 if args.quick else 5
        print(json.dumps(cartpole_case(batch, steps // 10 if args.quick else steps, rounds)), flush=True)
    for length in [10, 100, 300] if args.quick else [0, 10, 30, 100, 300, 999]:
        print(json.dumps(lunarlander_row(length, repeats)), flush=True)
    for step in [0, 300] if args.quick else [0, 100, 300, 999]:
        print(json.dumps(lunarlander_branch_row(step, repeats if args.quick else 5)), flush=True)
    print(json.dumps(ale_case(500 if args.quick else 5000, repeats)), flush=True)


if __name__ == "__main__":
    main()
