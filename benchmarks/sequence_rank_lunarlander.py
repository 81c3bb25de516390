"""Sequence-rank (Fig. 4) on Lunar Lander states deep into episodes: fork branching against replay.

Enumerates all ``4^5 = 1,024`` action sequences from each of ``--states`` states that are ``--step`` actions into
hovering episodes (gymnasium's heuristic pilot, as in ``simulators.py``), with the analysis's own
``evaluate_all_sequences``, the behaviour policy (MCTS with the learned model, the preset's simulations) and
the learned model of the run's latest checkpoint (``--run-dir``) or of an untrained preset network. Prints one
JSON line per branching mode: ``{"case": "sequence_rank_lunarlander", "branching": "fork", "states": 20,
"sequences": 1024, "step": 300, "seconds": ...}``; the replay path runs on ``--replay-states`` states and is
also given scaled to ``--states`` (its cost is linear in the states).

Run: ``nice .venv/bin/python benchmarks/sequence_rank_lunarlander.py --run-dir RUN``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time

import numpy as np
import torch
from simulators import _heuristic_prefix

from mzlab.analysis.policies import behaviour_policy
from mzlab.analysis.sequence_rank import evaluate_all_sequences
from mzlab.config import preset
from mzlab.envs.gym_replay import ReplaySnapshot
from mzlab.envs.registry import make_simulator
from mzlab.networks import build_network
from mzlab.runs import RunDirectory
from mzlab.search import LearnedModel


def _network_and_config(run_dir: str | None):
    if run_dir is None:
        config = preset("lunarlander")
        torch.manual_seed(0)
        return build_network(config.network, (8,), 4).eval(), config, 0
    run = RunDirectory.open(run_dir)
    step = run.latest_checkpoint_step()
    return run.load_network(step, device="cpu"), run.config, step


def run_case(branching: str, states: int, step: int, network, config, training_step: int) -> dict[str, object]:
    env = dataclasses.replace(config.env, branching=branching)
    simulator = make_simulator(env)
    full = [_heuristic_prefix(seed=seed, length=step)[1] for seed in range(1, states + 1)]
    assert all(len(s.actions) == step for s in full), "the pilot must keep the lander flying"
    # The last action is stepped by the simulator itself, as the analysis's on-policy states are.
    before = np.array([ReplaySnapshot(s.seed, s.actions[:-1]) for s in full], dtype=object)
    transition = simulator.step_snapshots(before, np.array([s.actions[-1] for s in full]))
    model = LearnedModel(network, discount=env.discount)
    policy = behaviour_policy(model, config, training_step)
    start = time.perf_counter()
    with torch.no_grad():
        evaluation = evaluate_all_sequences(
            simulator,
            policy,
            model,
            transition.snapshots,
            transition.observations,
            length=5,
            discount=env.discount,
            rng=np.random.default_rng(0),
        )
    seconds = time.perf_counter() - start
    server = getattr(simulator, "fork_server", None)
    row = {
        "case": "sequence_rank_lunarlander",
        "branching": branching,
        "states": states,
        "sequences": evaluation.true_returns.shape[1],
        "step": step,
        "seconds": round(seconds, 1),
    }
    if server is not None:
        row.update(forks=server.forks, branches=server.branches, replayed_steps=server.replayed_steps)
        simulator.close()
    return row, evaluation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", default=None, help="trained Lunar Lander run (default: untrained network)")
    parser.add_argument("--states", type=int, default=20)
    parser.add_argument("--step", type=int, default=300)
    parser.add_argument("--replay-states", type=int, default=2, help="states for the (slow) replay path; 0: skip")
    args = parser.parse_args()
    torch.set_num_threads(1)
    network, config, training_step = _network_and_config(args.run_dir)
    fork_row, fork_eval = run_case("fork", args.states, args.step, network, config, training_step)
    print(json.dumps(fork_row), flush=True)
    if args.replay_states:
        row, evaluation = run_case("replay", args.replay_states, args.step, network, config, training_step)
        count = args.replay_states
        # Same states (seeds 1..n), same sequences: the true returns must agree exactly.
        assert np.array_equal(evaluation.true_returns, fork_eval.true_returns[:count])
        row["seconds_scaled_to_states"] = round(row["seconds"] * args.states / count, 1)
        row["ratio_vs_fork"] = round(row["seconds_scaled_to_states"] / fork_row["seconds"], 1)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
