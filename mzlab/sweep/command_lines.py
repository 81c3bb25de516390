"""The ``mzlab`` command lines of a study's jobs (argument lists without the program name)."""

from __future__ import annotations

__all__ = ["train_argv", "analyze_argv"]


def train_argv(*, env: str, seed: int, run_dir: str, overrides: list[str]) -> list[str]:
    argv = ["train", "--env", env, "--seed", str(seed), "--run-dir", run_dir]
    for override in overrides:
        argv += ["--set", override]
    return argv


def analyze_argv(*, experiment: str, run_dir: str, out: str, quick: bool, options: list[str]) -> list[str]:
    argv = ["analyze", experiment, "--run-dir", run_dir, "--out", out]
    if quick:
        argv.append("--quick")
    return argv + list(options)
