"""``mzlab analyze EXPERIMENT --run-dir DIR [...] --out RESULTS``: the paper's experiments on checkpoints.

See ``docs/analysis.md`` for every experiment's definition, options and defaults.
"""

from __future__ import annotations

import argparse
import sys

from mzlab.analysis.options import AnalysisOptions
from mzlab.analysis.registry import experiment_names, experiments
from mzlab.option_flags import add_flags, from_namespace

__all__ = ["add_parser", "run", "options_from_args", "experiment_options_from_args"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The flags come from the options dataclasses: :class:`AnalysisOptions` (shared) and each registered
    experiment's own ``options`` (a group per experiment), in declaration order."""
    names = experiment_names()
    parser = subparsers.add_parser(
        "analyze",
        help="run an analysis experiment on checkpoints (tables + figures)",
        description="Measure the learned model against the real environment (paper Sections 3-4). "
        f"EXPERIMENT: {', '.join(names)} or all (shares the on-policy samples).",
    )
    defaults = AnalysisOptions()
    parser.add_argument("experiment", metavar="EXPERIMENT", help=f"one of {', '.join(names)}, all")
    parser.add_argument("--run-dir", action="append", required=True, metavar="DIR",
                        help="a run directory (repeat for several seeds)")
    parser.add_argument("--out", required=True, metavar="RESULTS_DIR", help="where tables, figures and cache go")
    parser.add_argument("--steps", type=int, nargs="+", metavar="STEP",
                        help="checkpoint steps (each must exist in every run); "
                        f"default: {defaults.max_checkpoints} evenly spaced (learning-curves: every checkpoint)")
    add_flags(parser, AnalysisOptions)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--no-cache", action="store_true", help="recompute every unit and store nothing")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: many small batches run fastest single-threaded)")
    for spec in experiments():
        if spec.options is not None:
            add_flags(parser.add_argument_group(f"{spec.name} options", spec.description or None), spec.options)
    parser.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> AnalysisOptions:
    return from_namespace(AnalysisOptions, args).validate()


def experiment_options_from_args(args: argparse.Namespace) -> dict:
    """``{experiment: its options}`` for every registered experiment with options of its own."""
    return {spec.name: from_namespace(spec.options, args) for spec in experiments() if spec.options is not None}


def _device(name: str) -> str:
    import torch

    from mzlab.errors import MzlabError

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name not in ("cpu", "cuda"):
        raise MzlabError(f"--device must be cpu, cuda or auto, got {name!r}")
    if name == "cuda" and not torch.cuda.is_available():
        raise MzlabError("--device cuda: no CUDA device is available")
    return name


def run(args: argparse.Namespace) -> int:
    from mzlab.analysis.runner import check_experiment, run_experiment
    from mzlab.analysis.session import AnalysisSession
    from mzlab.errors import MzlabError
    from mzlab.plots.experiment_figures import draw_table
    from mzlab.runtime import configure_torch_threads

    check_experiment(args.experiment)
    options = options_from_args(args)
    if args.threads < 1:
        raise MzlabError(f"--threads must be >= 1, got {args.threads}")
    configure_torch_threads("cpu", args.threads)
    session = AnalysisSession(args.run_dir, args.out, options, device=_device(args.device),
                              use_cache=not args.no_cache, experiment_options=experiment_options_from_args(args))
    for run_dir in session.runs:
        options.check_episode_length(run_dir.config)  # fail early on horizons longer than an episode
        session.steps(run_dir, args.steps, experiment="value-error")  # fail early on steps missing from a run
    written = run_experiment(args.experiment, session, args.steps, draw=draw_table)
    for experiment, paths in written.items():
        print(f"{experiment}: " + ", ".join(str(path) for path in paths))
    print(f"cache: {session.cache.hits} reused, {session.cache.misses} computed", file=sys.stderr)
    return 0
