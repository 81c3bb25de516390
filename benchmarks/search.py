"""Search speed: our batched MCTS against DeepMind mctx (``muzero_policy``, jit, CPU) on the same network.

The same tiny fully connected MuZero network (Cart Pole sizes: latent 8, hidden 16, 2 actions, support 10),
weights copied from torch into a jax twin, 50 simulations, Dirichlet noise on. One JSON line per batch size,
then one ``gumbel_search`` line per batch size (``search.algorithm = gumbel`` against mctx's
``gumbel_muzero_policy``, Gumbel noise on, mctx defaults), then one line for the ground-truth model over Cart
Pole with random-rollout leaves. ``ours`` uses the learned model's numba forward (the default on CPU; pUCT runs
fused, ``search.kernel = auto``: all simulations in one numba call); ``ours_python_loop`` the same search
with ``search.kernel = python`` (the Python loop over simulations, the previous version);
``ours_torch_forward`` the Python loop calling torch. mctx runs as one jitted function per search (key
creation, search and the root visit counts of ``search_tree.summary()`` all inside ``jax.jit``), blocking on
its result. First one ``search_per_move`` line per preset network (Cart Pole, Lunar Lander sizes):
milliseconds per batch-1 search (one self-play move of one actor), fused against the Python loop, no mctx.
The rest needs the ``bench`` extra (jax, mctx).
Usage: ``python benchmarks/search.py [--seconds 2] [--threads 1] [--per-move-only]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import sys
import time

import numpy as np
import torch

from mzlab.config import EnvConfig, NetworkConfig, SearchConfig, preset
from mzlab.envs.registry import make_simulator
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.search import LearnedModel, TrueModel, run_search

sys.path.insert(0, str(pathlib.Path(__file__).parent))

NUM_SIMULATIONS = 50


def _rate(search, batch: int, seconds: float) -> float:
    """Simulations per second of ``search(seed)`` (one warm-up call, then repeated for ``seconds``)."""
    search(0)
    calls, start = 0, time.perf_counter()
    while True:
        search(calls + 1)
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls * batch * NUM_SIMULATIONS / elapsed


def per_move(preset_name: str, observation_size: int, num_actions: int, seconds: float) -> dict:
    """Milliseconds per batch-1 search of 50 simulations with Dirichlet noise over a random network of the
    preset's sizes, fused and as the Python loop."""
    torch.manual_seed(0)
    network = FullyConnectedMuZero(observation_size, num_actions, preset(preset_name).network).eval()
    model = LearnedModel(network, discount=0.997)
    observations = np.random.default_rng(1).normal(scale=0.05, size=(1, observation_size)).astype(np.float32)
    line = {"case": "search_per_move", "network": preset_name, "batch": 1, "simulations": NUM_SIMULATIONS}
    for kernel in ("auto", "python"):
        config = SearchConfig(num_simulations=NUM_SIMULATIONS, kernel=kernel)
        rate = _rate(lambda seed, c=config: run_search(model, observations, config=c,
                                                       rng=np.random.default_rng(seed)), 1, seconds)
        line[f"{'fused' if kernel == 'auto' else 'python_loop'}_ms"] = round(1e3 * NUM_SIMULATIONS / rate, 3)
    line["ratio"] = round(line["python_loop_ms"] / line["fused_ms"], 2)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="timing window per case")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64, 256])
    parser.add_argument("--gumbel-batches", type=int, nargs="+", default=[1, 64, 256])
    parser.add_argument("--per-move-only", action="store_true", help="only the search_per_move line (no mctx)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for name, observation_size, num_actions in (("cartpole", 4, 2), ("lunarlander", 8, 4)):
        print(json.dumps(per_move(name, observation_size, num_actions, args.seconds)), flush=True)
    if args.per_move_only:
        return
    torch.manual_seed(0)
    network = FullyConnectedMuZero(4, 2, NetworkConfig()).eval()
    model = LearnedModel(network, discount=0.997)
    from _mctx_peer import MctxGumbelSearch, MctxSearch

    torch_model = LearnedModel(network, discount=0.997, fast=False)
    cases = [
        ("search", args.batches, SearchConfig(num_simulations=NUM_SIMULATIONS),
         MctxSearch(network, discount=0.997, num_simulations=NUM_SIMULATIONS)),
        ("gumbel_search", args.gumbel_batches, SearchConfig(num_simulations=NUM_SIMULATIONS, algorithm="gumbel"),
         MctxGumbelSearch(network, discount=0.997, num_simulations=NUM_SIMULATIONS)),
    ]
    for case, batches, config, peer in cases:
        for batch in batches:
            observations = np.random.default_rng(batch).normal(scale=0.05, size=(batch, 4)).astype(np.float32)
            ours = _rate(lambda seed, obs=observations, c=config: run_search(model, obs, config=c,
                                                                             rng=np.random.default_rng(seed)),
                         batch, args.seconds)
            theirs = _rate(lambda seed, obs=observations, p=peer: p(obs, seed), batch, args.seconds)
            line = {"case": case, "batch": batch, "ours_sims_per_s": round(ours), "mctx_sims_per_s": round(theirs),
                    "ratio_vs_mctx": round(ours / theirs, 2)}
            if case == "search":
                python_loop = dataclasses.replace(config, kernel="python")
                line["ours_python_loop_sims_per_s"] = round(_rate(
                    lambda seed, obs=observations, c=python_loop: run_search(model, obs, config=c,
                                                                             rng=np.random.default_rng(seed)),
                    batch, args.seconds))
                line["ours_torch_forward_sims_per_s"] = round(_rate(
                    lambda seed, obs=observations, c=config: run_search(torch_model, obs, config=c,
                                                                        rng=np.random.default_rng(seed)),
                    batch, args.seconds))
            print(json.dumps(line), flush=True)

    simulator = make_simulator(EnvConfig(name="cartpole"))
    snapshots, observations = simulator.reset_snapshots(np.arange(64))
    rollout = SearchConfig(num_simulations=NUM_SIMULATIONS, leaf="rollout", prior="uniform")
    true_model = TrueModel(simulator)
    rate = _rate(lambda seed: run_search(true_model, observations, config=rollout, rng=np.random.default_rng(seed),
                                         snapshots=snapshots), 64, args.seconds)
    print(json.dumps({"case": "true_model_cartpole_rollout", "batch": 64, "rollout_horizon": rollout.rollout_horizon,
                      "ours_sims_per_s": round(rate)}), flush=True)


if __name__ == "__main__":
    main()
