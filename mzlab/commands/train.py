"""``mzlab train --env PRESET --seed N --run-dir DIR [--set key=value ...]``: train MuZero into a run directory.

Rerunning the same command resumes from the newest complete checkpoint; a run directory made with a different
config is refused. Prints a JSON summary on stdout when done.
"""

from __future__ import annotations

import argparse
import dataclasses
import json

__all__ = ["add_parser", "run", "build_config"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train", help="train MuZero (checkpoint history, resumable)",
        description="Train MuZero with a preset's hyperparameters into a run directory. Rerun the same command "
                    "after an interruption to resume from the last complete checkpoint.")
    from mzlab.config import PRESETS

    parser.add_argument("--env", required=True,
                        help=f"{', '.join(PRESETS)} (the paper's tables), gym:<GymnasiumId> or "
                             "gym:<module>:<GymnasiumId> (generic preset from the env's spaces, docs/envs.md)")
    parser.add_argument("--seed", type=int, default=0, help="seed of numpy, torch and the environments (default 0)")
    parser.add_argument("--run-dir", required=True, help="run directory (created, or resumed if it exists)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. training.batch_size=64 (repeatable)")
    parser.add_argument("--max-steps", type=int, default=None,
                        help="stop after this many learner steps in total (the config's training_steps still "
                             "defines the run)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress output (default: a bar on a terminal, one line per interval in a log)")
    parser.add_argument("--wandb", metavar="PROJECT", default=None,
                        help="also log to this Weights & Biases project (needs the wandb package; default: off)")
    parser.set_defaults(func=run)


def build_config(env: str, seed: int, overrides: list[str]):
    """The preset ``env`` (a paper preset or ``gym:...``) with ``seed`` and ``overrides`` applied, validated."""
    from mzlab.config_io import apply_overrides, validate
    from mzlab.envs.generic_preset import experiment_preset

    config = dataclasses.replace(experiment_preset(env), seed=seed)
    return validate(apply_overrides(config, overrides))


def run(args: argparse.Namespace) -> int:
    from mzlab.errors import MzlabError
    from mzlab.training.start import train_run

    if args.max_steps is not None and args.max_steps < 1:
        raise MzlabError(f"--max-steps must be an integer >= 1, got {args.max_steps}")
    config = build_config(args.env, args.seed, args.overrides)
    summary = train_run(config, args.run_dir, max_steps=args.max_steps, progress=not args.no_progress,
                        wandb_project=args.wandb)
    print(json.dumps(summary))
    return 0
