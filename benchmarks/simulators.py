"""Simulator speed: one JSON line per case.

Cases:
- ``cartpole``: our ``CartPole.step_snapshots`` transitions per second at batch 1 and 4096, against gymnasium's
  ``SyncVectorEnv`` of ``CartPole-v1`` (one environment object per state) and gymnasium's own vectorised
  ``CartPoleVectorEnv``, measured in interleaved rounds of the same run (best round of each).
- ``lunarlander_restore``: cost of restoring a Lunar Lander snapshot against its prefix length, when the live
  environment is cached (hit) and when it must be replayed from the seed (miss).
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
    print(json.dumps(ale_case(500 if args.quick else 5000, repeats)), flush=True)


if __name__ == "__main__":
    main()
