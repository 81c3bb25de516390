"""``mzlab demo``: the main job on the embedded Cart Pole default — train -> analyze all -> report.

A small study (a few seeds, a reduced training budget, a reduced analysis budget) that runs every experiment
of the paper end to end on this machine in minutes and prints the path of the HTML report. Rerunning the same
command resumes: finished jobs are skipped. The budget is documented in ``docs/scaling.md``.
"""

from __future__ import annotations

import argparse

from mzlab.errors import MzlabError

__all__ = ["add_parser", "run", "DEMO_ANALYSIS_OPTIONS"]

DEMO_ANALYSIS_OPTIONS = (
    "--max-checkpoints", "3",
    "--num-episodes", "3",
    "--num-states", "20",
    "--num-state-episodes", "3",
    "--num-samples", "8",
    "--simulations", "5", "25",
    "--max-episode-steps", "200",
)
"""Analysis budget of the demo: between ``--quick`` (numbers meaningless) and the paper's defaults."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="the main job: a small Cart Pole study (train -> analyze all -> report)"
    )
    parser.add_argument("--out", default="studies/demo", help="study directory (default studies/demo)")
    parser.add_argument("--seeds", default="0-2", help="seed range, e.g. 0-2 (default) or 0,3,5")
    parser.add_argument(
        "--training-steps", type=int, default=10_000, help="learner steps per seed (default 10000; paper 100000)"
    )
    parser.add_argument("--checkpoint-interval", type=int, default=1_000,
                        help="steps between checkpoints (default 1000)")
    parser.add_argument("--quick", action="store_true", help="smoke budget for every analysis (numbers meaningless)")
    parser.add_argument("--executor", default="local", help="local (default) or ray")
    parser.add_argument("--max-workers", type=int, default=None, help="parallel jobs (default: CPU count)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mzlab.demo_study import run_demo_study
    from mzlab.sweep import parse_seeds

    if args.training_steps <= 0:
        raise MzlabError(f"--training-steps must be a positive integer, got {args.training_steps}")
    if not 0 < args.checkpoint_interval <= args.training_steps:
        raise MzlabError(
            f"--checkpoint-interval must be in 1..{args.training_steps} (--training-steps), "
            f"got {args.checkpoint_interval}"
        )
    seeds = parse_seeds(args.seeds)
    overrides = [
        f"training.training_steps={args.training_steps}",
        f"training.checkpoint_interval={args.checkpoint_interval}",
    ]
    print(f"mzlab demo: Cart Pole, seeds {seeds}, {args.training_steps} training steps each -> {args.out}")
    report = run_demo_study(
        args.out,
        seeds=seeds,
        overrides=overrides,
        quick=args.quick,
        analysis_options=() if args.quick else DEMO_ANALYSIS_OPTIONS,
        executor=args.executor,
        max_workers=args.max_workers,
        progress=not args.no_progress,
    )
    print(f"report: {report}")
    return 0
