"""``mzlab evaluate --run-dir DIR [--step N] --episodes E --policy mcts|prior --actions sample|greedy``.

Plays ``E`` episodes in the real environment with the checkpoint's network and prints one JSON object: the
returns, their mean and standard error (the data of the paper's Figures 2 and 8).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="episode returns of a checkpoint in the real environment (JSON)",
        description="Play episodes in the real environment with a checkpoint's network, batched across episodes.")
    parser.add_argument("--run-dir", required=True, help="run directory written by mzlab train")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step (default: the latest)")
    parser.add_argument("--episodes", type=int, default=32, help="episodes (default 32)")
    parser.add_argument("--policy", choices=("mcts", "prior"), default="mcts",
                        help="mcts: search with the learned model; prior: the policy prior alone")
    parser.add_argument("--actions", choices=("sample", "greedy"), default="greedy",
                        help="greedy: argmax; sample: from the visit distribution (checkpoint's temperature) "
                             "or the prior")
    parser.add_argument("--noise", choices=("auto", "on", "off"), default="auto",
                        help="root Dirichlet noise for --policy mcts: auto (default) = as in training when "
                             "sampling, never when greedy")
    parser.add_argument("--seed", type=int, default=0, help="seed of the episodes' initial states (default 0)")
    parser.add_argument("--simulations", type=int, default=None, help="override search.num_simulations")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from mzlab.runs import RunDirectory
    from mzlab.runtime import configure_torch_threads
    from mzlab.training.evaluation import evaluate_network

    configure_torch_threads("cpu")
    run_dir = RunDirectory.open(args.run_dir)
    step = args.step if args.step is not None else run_dir.latest_checkpoint_step()
    network = run_dir.load_network(step)  # raises naming the run dir when there is no checkpoint
    config = run_dir.config
    if args.simulations is not None:
        config = dataclasses.replace(config, search=dataclasses.replace(config.search,
                                                                         num_simulations=args.simulations))
    returns = evaluate_network(network, config, episodes=args.episodes, policy=args.policy, actions=args.actions,
                               seed=args.seed, training_step=int(step or 0),
                               noise={"auto": None, "on": True, "off": False}[args.noise])
    metadata = run_dir.checkpoint_metadata(step)
    result = {
        "run_dir": str(run_dir.path), "step": int(step), "env_steps": metadata.get("env_steps"),
        "env": config.env.name, "policy": args.policy, "actions": args.actions, "noise": args.noise,
        "episodes": args.episodes,
        "simulations": config.search.num_simulations, "seed": args.seed,
        "mean_return": float(np.mean(returns)),
        "stderr_return": float(np.std(returns, ddof=1) / np.sqrt(len(returns))) if len(returns) > 1 else 0.0,
        "returns": [float(r) for r in returns],
    }
    print(json.dumps(result))
    return 0
