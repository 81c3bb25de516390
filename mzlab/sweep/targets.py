"""The study's job functions: thin calls of the public ``mzlab`` commands, run inside a worker.

They go through :func:`mzlab.cli.main` (the same code path as the terminal), so the sweep depends only on
the documented command lines of ``mzlab train`` and ``mzlab analyze``, not on their internals. This module is
in the top layer (with :mod:`mzlab.cli`, ``docs/architecture.md``); the rest of the sweep builds the command
lines (:mod:`mzlab.sweep.command_lines`) and names these functions by ``"module:function"`` only.
"""

from __future__ import annotations

from mzlab.sweep.command_lines import analyze_argv, train_argv

__all__ = ["train", "analyze", "train_argv", "analyze_argv", "run_cli"]


def run_cli(argv: list[str]) -> None:
    """Run ``mzlab ARGV`` in this process; a non-zero status raises (the message is in the job's log)."""
    from mzlab.cli import main

    print("$ mzlab " + " ".join(argv), flush=True)
    status = main(argv)
    if status:
        raise RuntimeError(f"mzlab {argv[0]} exited with status {status}; its message is in the log")


def train(*, env: str, seed: int, overrides: list[str], run_dir: str) -> dict:
    """``mzlab train`` for one seed; rerunning it resumes or reuses the run directory."""
    run_cli(train_argv(env=env, seed=seed, run_dir=run_dir, overrides=overrides))
    return {"run_dir": run_dir}


def analyze(*, experiment: str, quick: bool, options: list[str], run_dir: str, out: str) -> dict:
    """``mzlab analyze EXPERIMENT`` on one run directory, results under ``out``."""
    run_cli(analyze_argv(experiment=experiment, run_dir=run_dir, out=out, quick=quick, options=options))
    return {"out": out}
