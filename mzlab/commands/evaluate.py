"""``mzlab evaluate --run-dir DIR [--step N] --episodes E --policy mcts|prior --actions sample|greedy``.

Plays ``E`` episodes in the real environment with the checkpoint's network and prints one JSON object: the
returns, their mean and standard error (the data of the paper's Figures 2 and 8).
"""

from __future__ import annotations

import argparse
import json

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="episode returns of a checkpoint in the real environment (JSON)",
        description="Play episodes in the real environment with a checkpoint's network, batched across episodes.")
    parser.add_argument("--run-dir", required=True, help="run directory written by mzlab train")
    parser.add_argument("--step", type=int, default=None, help="checkpoint step (default: the latest)")
    parser.add_argument("--episodes", type=int, default=32, help="episodes (default 32)")
    parser.add_argument("--policy", choices=("mcts", "prior"), default="mcts",
                        help="mcts (default): search with the learned model; prior: the policy prior alone")
    parser.add_argument("--actions", choices=("sample", "greedy"), default="greedy",
                        help="greedy (default): argmax; sample: from the visit distribution (checkpoint's temperature) "
                             "or the prior")
    parser.add_argument("--noise", choices=("auto", "on", "off"), default="auto",
                        help="root Dirichlet noise for --policy mcts: auto (default) = as in training when "
                             "sampling, never when greedy")
    parser.add_argument("--seed", type=int, default=0, help="seed of the episodes' initial states (default 0)")
    parser.add_argument("--simulations", type=int, default=None, help="override search.num_simulations")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mzlab.api import evaluate

    result = evaluate(args.run_dir, step=args.step, episodes=args.episodes, policy=args.policy,
                      actions=args.actions, noise=args.noise, seed=args.seed, simulations=args.simulations)
    print(json.dumps(result))
    return 0
