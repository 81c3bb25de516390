"""``mzlab sweep``: train every seed, then run each analysis per seed, locally or on Ray."""

from __future__ import annotations

import argparse
import shlex
import signal
import sys

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sweep", help="run a study: train each seed, then each analysis per seed (local pool or Ray)",
        description="Expand a study into jobs (train per seed, then each analysis per seed) and run them. "
                    "Rerunning the same command skips finished jobs and resumes the rest.")
    parser.add_argument("--env", required=True,
                        help="cartpole, lunarlander, breakout (the paper's presets), gym:<GymnasiumId> or "
                             "gym:<module>:<GymnasiumId> (the generic preset, docs/envs.md)")
    parser.add_argument("--seeds", required=True, help="seeds: N, A-B (inclusive) or a comma list, e.g. 0-4")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="config override passed to every `mzlab train` (repeatable)")
    parser.add_argument("--variant", dest="variants", action="append", default=[],
                        metavar="NAME:KEY=VALUE[,KEY=VALUE...]",
                        help="a named set of overrides (after --set) run over every seed and analysis, e.g. "
                             "consistency:training.objective=consistency (repeatable; results under "
                             "runs/variant-NAME/ and analysis/variant-NAME/, compared side by side in the report)")
    parser.add_argument("--analyses", default="all", help="all (default), none, or a comma list of experiments")
    parser.add_argument("--quick", action="store_true", help="pass --quick (smoke-run budget) to every analysis")
    parser.add_argument("--analysis-args", default="", metavar="ARGS",
                        help="extra options for every `mzlab analyze`, as one quoted string "
                             "(e.g. \"--num-states 50 --max-checkpoints 5\")")
    parser.add_argument("--out", required=True, metavar="STUDY_DIR", help="study directory (created or resumed)")
    parser.add_argument("--executor", default="local", help="local (process pool, default) or ray")
    parser.add_argument("--ray-address", default=None, metavar="ADDR",
                        help="Ray cluster to join (e.g. auto or ray://head:10001); default: start Ray locally")
    parser.add_argument("--max-workers", type=int, default=None, metavar="N",
                        help="jobs at once (default: CPU count locally, the cluster's CPUs on Ray)")
    parser.add_argument("--train-gpus", type=float, default=0.0, metavar="G",
                        help="Ray only: GPUs reserved by each training job (e.g. 1 for Breakout)")
    parser.add_argument("--analysis-gpus", type=float, default=0.0, metavar="G",
                        help="Ray only: GPUs reserved by each analysis job (pass --analysis-args '--device auto')")
    parser.add_argument("--retries", type=int, default=2, help="resubmissions of a job whose worker died (default 2)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mzlab.errors import MzlabError
    from mzlab.sweep import make_executor, parse_seeds, run_sweep

    seeds = parse_seeds(args.seeds)
    # A scheduler's SIGTERM (Slurm at the time limit, `kill`) unwinds like Ctrl-C: jobs in flight are recorded
    # as pending and the study lock is released, so the next sweep resumes at once.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        analysis_options = shlex.split(args.analysis_args)
    except ValueError as error:
        raise MzlabError(f"--analysis-args: cannot split {args.analysis_args!r} ({error})") from None
    if args.executor not in ("local", "ray"):
        make_executor(args.executor)  # raises the one-line error naming the valid executors
    summary = run_sweep(
        args.out, env=args.env, seeds=seeds, overrides=args.overrides, analyses=args.analyses, quick=args.quick,
        analysis_options=analysis_options, executor=args.executor, max_workers=args.max_workers,
        ray_address=args.ray_address, retries=args.retries, train_gpus=args.train_gpus,
        analysis_gpus=args.analysis_gpus, progress=not args.no_progress, command=_command_line(args),
        variants=args.variants,
    )
    stream = sys.stdout if summary.ok else sys.stderr
    for line in summary.lines():
        print(line, file=stream)
    return 0 if summary.ok else 1


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _command_line(args: argparse.Namespace) -> str:
    """The sweep command as it could be retyped (recorded in study.json and shown in the report)."""
    argv = ["mzlab", "sweep", "--env", args.env, "--seeds", args.seeds, "--analyses", args.analyses]
    for override in args.overrides:
        argv += ["--set", override]
    for variant in args.variants:
        argv += ["--variant", variant]
    argv += ["--quick"] if args.quick else []
    argv += ["--analysis-args", args.analysis_args] if args.analysis_args else []
    argv += ["--out", args.out, "--executor", args.executor]
    argv += ["--ray-address", args.ray_address] if args.ray_address else []
    argv += ["--max-workers", str(args.max_workers)] if args.max_workers else []
    argv += ["--train-gpus", str(args.train_gpus)] if args.train_gpus else []
    argv += ["--analysis-gpus", str(args.analysis_gpus)] if args.analysis_gpus else []
    return shlex.join(argv)
