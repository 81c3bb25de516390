"""Speed of the two heaviest analyses on Cart Pole, batched versus a per-state loop (the peer).

- ``sequence-rank``: all 1,024 sequences of length 10 from each of 100 states; Eq. 6 probabilities need the
  behaviour policy (MCTS, 50 simulations, temperature 1, root noise) at every real state of every prefix
  (1,023 searches per state), plus true and predicted returns.
- ``value-error``: 100 states x 32 Monte Carlo sequences x horizons 1..10 (one search per real state per step).

The network is a freshly initialised Cart Pole network (the paper's sizes); states are seeded starts advanced
by 0 to 20 random actions. The peer runs the same functions one state at a time (batching only within a
state) on ``--peer-states`` states and is extrapolated linearly to 100. Prints one JSON line per case.
Run: ``nice .venv/bin/python benchmarks/analysis.py``.

- ``planning`` (``--cases planning --run-dir RUN [--step S]``): Fig. 7 at the default budget on one trained
  checkpoint (simulations 5 10 25 50 100, random-rollout leaves over the planning horizon ``td_steps``,
  learned and true model, policy and uniform prior, ``--episodes`` episodes per setting). ``ours`` plays
  every setting and episode together (:func:`mzlab.analysis.planning.planning_frame`); ``previous`` is the
  code path before it, one ``run_episodes`` per setting: with ``--previous-src DIR`` the previous source
  tree itself runs it (``_planning_previous.py`` in a subprocess; the returns must be equal), else
  :func:`planning_frame_unbatched` with today's code,
  on ``--previous-episodes`` episodes (default all; fewer are scaled up linearly and marked extrapolated).
  Wall and CPU seconds are both printed: on a loaded shared machine the CPU time of this single-threaded
  process is the steadier figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np
import torch

from mzlab.analysis.policies import behaviour_policy
from mzlab.analysis.sequence_rank import evaluate_all_sequences
from mzlab.analysis.value_error import policy_value_error, sample_sequences
from mzlab.config import preset
from mzlab.envs.registry import make_simulator
from mzlab.networks import build_network
from mzlab.search import LearnedModel


def start_states(simulator, count: int, rng: np.random.Generator):
    snapshots, observations = simulator.reset_snapshots(np.arange(count))
    for _ in range(20):
        move = rng.random(count) < 0.5
        transition = simulator.step_snapshots(snapshots, rng.integers(2, size=count))
        alive = move & ~(transition.terminated | transition.truncated)
        snapshots = np.where(alive[:, None], transition.snapshots, snapshots)
        observations = np.where(alive[:, None], transition.observations, observations)
    return snapshots, observations


def sequence_rank(simulator, policy, model, snapshots, observations, discount, seed):
    evaluate_all_sequences(simulator, policy, model, snapshots, observations, length=10, discount=discount,
                           rng=np.random.default_rng(seed))


def value_error(simulator, policy, model, snapshots, observations, discount, seed):
    rng = np.random.default_rng(seed)
    sequences = sample_sequences(simulator, policy, snapshots, observations, num_samples=32, length=10, rng=rng)
    policy_value_error(model, snapshots, observations, sequences, discount=discount)


def previous_version(args, step: int, episodes: int):
    """``(seconds, cpu_seconds, frame)`` of ``_planning_previous.py`` run on the source tree ``--previous-src``."""
    import os
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import pandas as pd

    script = Path(__file__).with_name("_planning_previous.py")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "previous.parquet"
        environment = dict(os.environ, PYTHONPATH=str(Path(args.previous_src).resolve()))
        result = subprocess.run([sys.executable, str(script), args.run_dir, str(step), str(episodes),
                                 str(args.max_episode_steps or 0), str(out)], env=environment, check=True,
                                capture_output=True, text=True)
        times = json.loads(result.stdout.strip().splitlines()[-1])
        return times["seconds"], times["cpu_seconds"], pd.read_parquet(out)


def planning(args) -> None:
    from mzlab.analysis.on_policy import episode_seeds
    from mzlab.analysis.planning import planning_frame, planning_frame_unbatched, planning_settings
    from mzlab.runs import RunDirectory
    from mzlab.search import TrueModel
    from mzlab.search.acting import visit_temperature

    run = RunDirectory.open(args.run_dir)
    step = args.step if args.step is not None else run.latest_checkpoint_step()
    config = run.config
    network = run.load_network(step, device="cpu")
    simulator = make_simulator(config.env)
    discount = config.env.discount
    models = {"learned": LearnedModel(network, discount=discount),
              "true": TrueModel(simulator, network=network, discount=discount)}
    search = dataclasses.replace(config.search, rollout_horizon=config.replay.td_steps)
    settings = planning_settings((5, 10, 25, 50, 100), ("rollout",))
    temperature = visit_temperature(step, config.training)
    planning_frame(simulator, models, search, settings[:3], [0], rng_for=np.random.default_rng,
                   temperature=temperature, max_steps=3)  # warm up numba and torch

    def play(function, count):
        start, cpu = time.perf_counter(), time.process_time()
        frame = function(simulator, models, search, settings, episode_seeds(config.seed, count, stream=3),
                         rng_for=lambda i: np.random.default_rng([0, step, i]), temperature=temperature,
                         max_steps=args.max_episode_steps)
        return time.perf_counter() - start, time.process_time() - cpu, frame

    ours, ours_cpu, frame = play(planning_frame, args.episodes)
    previous_count = args.episodes if args.previous_episodes is None else args.previous_episodes
    if previous_count and args.previous_src:
        previous, previous_cpu, previous_frame = previous_version(args, step, previous_count)
        if previous_count == args.episodes:
            columns = list(previous_frame.columns)
            assert frame[columns].reset_index(drop=True).equals(previous_frame), "returns differ from before"
        scale = args.episodes / previous_count
    elif previous_count:
        previous, previous_cpu, previous_frame = play(planning_frame_unbatched, previous_count)
        if previous_count == args.episodes:
            assert frame.equals(previous_frame), "batched planning differs from the previous version"
        scale = args.episodes / previous_count
    else:  # ours alone
        previous = previous_cpu = scale = float("nan")
    print(json.dumps({
        "case": "planning", "checkpoints": 1, "ours_seconds": round(ours, 1),
        "previous_seconds": round(previous * scale, 1), "ratio": round(previous * scale / ours, 2),
        "ours_cpu_seconds": round(ours_cpu, 1), "previous_cpu_seconds": round(previous_cpu * scale, 1),
        "cpu_ratio": round(previous_cpu * scale / ours_cpu, 2), "step": step, "episodes": args.episodes,
        "previous_episodes": previous_count,
        "previous_extrapolated": (previous_count != args.episodes) if previous_count else None,
        "max_episode_steps": args.max_episode_steps, "moves": int(frame["length"].sum()),
        "mean_return": round(float(frame["return"].mean()), 1), "threads": args.threads,
    }), flush=True)


def timed(function, *args) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=100)
    parser.add_argument("--peer-states", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", nargs="+", default=["sequence-rank", "value-error"],
                        help="sequence-rank, value-error, planning (needs --run-dir)")
    parser.add_argument("--run-dir", help="planning: a Cart Pole run directory")
    parser.add_argument("--step", type=int, help="planning: checkpoint step (default the latest)")
    parser.add_argument("--episodes", type=int, default=10, help="planning: episodes per setting")
    parser.add_argument("--previous-episodes", type=int,
                        help="planning: episodes for the previous version (0: measure ours alone)")
    parser.add_argument("--max-episode-steps", type=int, help="planning: episode cap (default the env's, 500)")
    parser.add_argument("--previous-src", help="planning: a source tree of the previous version (its mzlab/ "
                        "folder's parent), e.g. from `git archive main mzlab`; default: planning_frame_unbatched")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if "planning" in args.cases:
        planning(args)
        args.cases = [case for case in args.cases if case != "planning"]
        if not args.cases:
            return
    torch.manual_seed(0)
    config = preset("cartpole")
    simulator = make_simulator(config.env)
    model = LearnedModel(build_network(config, (4,), 2).eval(), discount=config.env.discount)
    policy = behaviour_policy(model, config, 0)
    snapshots, observations = start_states(simulator, args.states, np.random.default_rng(0))
    discount = config.env.discount
    cases = {"sequence-rank": sequence_rank, "value-error": value_error}
    value_error(simulator, policy, model, snapshots[:2], observations[:2], discount, 0)  # warm up numba and torch
    for name in args.cases:
        function = cases[name]
        batched = timed(function, simulator, policy, model, snapshots, observations, discount, 1)
        peer = sum(
            timed(function, simulator, policy, model, snapshots[i : i + 1], observations[i : i + 1], discount, 1)
            for i in range(args.peer_states)
        ) * (args.states / args.peer_states)
        print(json.dumps({
            "case": name, "states": args.states, "threads": args.threads, "batched_s": round(batched, 2),
            "per_state_loop_s_extrapolated": round(peer, 2), "speedup_vs_loop": round(peer / batched, 2),
        }), flush=True)


if __name__ == "__main__":
    main()
