"""``mzlab analyze EXPERIMENT --run-dir DIR [...] --out RESULTS``: the paper's experiments on checkpoints.

See ``docs/analysis.md`` for every experiment's definition, options and defaults.
"""

from __future__ import annotations

import argparse
import sys

from mzlab.analysis.options import EXPERIMENTS, AnalysisOptions

__all__ = ["add_parser", "run", "options_from_args"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="run an analysis experiment on checkpoints (tables + figures)",
        description="Measure the learned model against the real environment (paper Sections 3-4). "
        f"EXPERIMENT: {', '.join(EXPERIMENTS)} or all (shares the on-policy samples).",
    )
    defaults = AnalysisOptions()
    parser.add_argument("experiment", metavar="EXPERIMENT", help=f"one of {', '.join(EXPERIMENTS)}, all")
    parser.add_argument("--run-dir", action="append", required=True, metavar="DIR",
                        help="a run directory (repeat for several seeds)")
    parser.add_argument("--out", required=True, metavar="RESULTS_DIR", help="where tables, figures and cache go")
    parser.add_argument("--steps", type=int, nargs="+", metavar="STEP",
                        help="checkpoint steps (each must exist in every run); "
                        f"default: {defaults.max_checkpoints} evenly spaced (learning-curves: every checkpoint)")
    parser.add_argument("--num-states", type=int, default=defaults.num_states,
                        help=f"on-policy states per checkpoint (default {defaults.num_states})")
    parser.add_argument("--num-state-episodes", type=int, default=defaults.num_state_episodes,
                        help="behaviour-policy episodes forming the state pool "
                        f"(default {defaults.num_state_episodes})")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="analysis seed (default 0)")
    parser.add_argument("--quick", action="store_true", help="tiny smoke budget (numbers are not meaningful)")
    parser.add_argument("--horizons", type=int, nargs="+", metavar="K",
                        help="evaluation horizons of value-error (Fig. 3) and cross-step (Fig. 5) "
                        "(default 1..K, K = unroll steps)")
    parser.add_argument("--long-horizon", type=int, default=defaults.long_horizon, metavar="H",
                        help="cross-step also evaluates this horizon: Fig. 9, Appendix B.1 "
                        f"(default {defaults.long_horizon}; 0 = none)")
    parser.add_argument("--num-samples", type=int, default=defaults.num_samples,
                        help=f"Monte Carlo sequences per state for Def. 2 (default {defaults.num_samples})")
    parser.add_argument("--sequence-length", type=int,
                        help="sequence-rank length (default: longest with A^L <= 1024: Cart Pole 10, others 5)")
    parser.add_argument("--num-episodes", type=int, default=defaults.num_episodes,
                        help=f"episodes per setting for learning-curves and planning (default {defaults.num_episodes})")
    parser.add_argument("--max-episode-steps", type=int, help="cap on analysis episode length (default: the env's)")
    parser.add_argument("--simulations", type=int, nargs="+", metavar="N",
                        help="simulation counts for search-prior and planning (default 5 10 25 50 100)")
    parser.add_argument("--planning-horizon", type=int,
                        help="leaf rollout length of planning and search-prior (default: the run's td_steps)")
    parser.add_argument("--planning-leaves", nargs="+", default=list(defaults.planning_leaves),
                        help="leaf evaluations of planning and search-prior: rollout and/or value "
                        "(default rollout, the paper's Section 4)")
    parser.add_argument("--behaviour-simulations", type=int,
                        help="simulations per move of the behaviour policy (default: the run's)")
    parser.add_argument("--noise", default=defaults.noise,
                        help="root noise of the sampled behaviour policy: auto (default: the run's setting), on, off")
    parser.add_argument("--noise-draws", type=int, default=defaults.noise_draws, metavar="M",
                        help="sequence-rank: average each behaviour probability over M root-noise draws "
                        "(the marginal policy; default 1 = one noisy search)")
    parser.add_argument("--max-checkpoints", type=int, default=defaults.max_checkpoints,
                        help=f"checkpoints per run when --steps is not given (default {defaults.max_checkpoints})")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    parser.add_argument("--no-cache", action="store_true", help="recompute every unit and store nothing")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (default 1: many small batches run fastest single-threaded)")
    parser.set_defaults(func=run)


def options_from_args(args: argparse.Namespace) -> AnalysisOptions:
    return AnalysisOptions(
        num_states=args.num_states,
        num_state_episodes=args.num_state_episodes,
        seed=args.seed,
        horizons=tuple(args.horizons) if args.horizons is not None else None,
        num_samples=args.num_samples,
        sequence_length=args.sequence_length,
        num_episodes=args.num_episodes,
        max_episode_steps=args.max_episode_steps,
        simulations=tuple(args.simulations) if args.simulations is not None else None,
        planning_horizon=args.planning_horizon,
        planning_leaves=tuple(args.planning_leaves),
        noise=args.noise,
        noise_draws=args.noise_draws,
        long_horizon=args.long_horizon,
        behaviour_simulations=args.behaviour_simulations,
        max_checkpoints=args.max_checkpoints,
        quick=args.quick,
    ).validate()


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
    from mzlab.runtime import configure_torch_threads

    check_experiment(args.experiment)
    options = options_from_args(args)
    if args.threads < 1:
        raise MzlabError(f"--threads must be >= 1, got {args.threads}")
    configure_torch_threads("cpu", args.threads)
    session = AnalysisSession(args.run_dir, args.out, options, device=_device(args.device),
                              use_cache=not args.no_cache)
    for run_dir in session.runs:
        options.check_episode_length(run_dir.config)  # fail early on horizons longer than an episode
        session.steps(run_dir, args.steps, experiment="value-error")  # fail early on steps missing from a run
    written = run_experiment(args.experiment, session, args.steps)
    for experiment, paths in written.items():
        print(f"{experiment}: " + ", ".join(str(path) for path in paths))
    print(f"cache: {session.cache.hits} reused, {session.cache.misses} computed", file=sys.stderr)
    return 0
