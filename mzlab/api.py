"""The Python API: what the command line does, as functions (re-exported lazily by :mod:`mzlab`).

Each function takes the command's options as keyword arguments, raises :class:`~mzlab.errors.MzlabError`
for bad input (the message the CLI would print), and applies the same torch thread settings as the CLI
(:func:`mzlab.runtime.configure_torch_threads`). Documented in ``docs/api.md``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["make_config", "train", "resume", "evaluate", "analyze", "report"]


def make_config(env: str = "cartpole", *, seed: int = 0, overrides: Sequence[str] = ()):
    """The :class:`~mzlab.config.ExperimentConfig` of ``mzlab train --env ENV --seed SEED --set ...``:
    a paper preset or the generic ``gym:`` preset, then ``overrides`` (``"section.key=value"``), validated."""
    from mzlab.commands.train import build_config

    return build_config(env, seed, list(overrides))


def train(
    env: str | None,
    run_dir: str | os.PathLike,
    *,
    seed: int = 0,
    overrides: Sequence[str] = (),
    config=None,
    max_steps: int | None = None,
    progress: bool = False,
    wandb_project: str | None = None,
) -> dict[str, Any]:
    """``mzlab train``: train into ``run_dir`` (resumes when it holds the same config); returns the summary
    (``steps``, ``env_steps``, ``games``, ``wall_seconds``, ``resumed_from``, ``checkpoints``, ``run_dir``).
    ``config`` (an ``ExperimentConfig``) replaces ``env``/``seed``/``overrides`` when given."""
    from mzlab.config_io import validate
    from mzlab.training.start import train_run

    config = validate(config) if config is not None else make_config(env, seed=seed, overrides=overrides)
    return train_run(config, run_dir, max_steps=max_steps, progress=progress, wandb_project=wandb_project)


def resume(run_dir: str | os.PathLike, *, max_steps: int | None = None, progress: bool = False,
           wandb_project: str | None = None) -> dict[str, Any]:
    """Continue the run in ``run_dir`` with its own ``config.json`` from its newest checkpoint."""
    from mzlab.training.start import train_run

    return train_run(None, run_dir, max_steps=max_steps, progress=progress, wandb_project=wandb_project)


def evaluate(
    run_dir: str | os.PathLike,
    *,
    step: int | None = None,
    episodes: int = 32,
    policy: str = "mcts",
    actions: str = "greedy",
    noise: str = "auto",
    seed: int = 0,
    simulations: int | None = None,
) -> dict[str, Any]:
    """``mzlab evaluate``: episode returns of checkpoint ``step`` (latest when None) in the real environment;
    the dict the CLI prints as JSON (``mean_return``, ``stderr_return``, ``returns``, ...)."""
    import numpy as np

    from mzlab.errors import MzlabError
    from mzlab.runs import RunDirectory
    from mzlab.runtime import configure_torch_threads
    from mzlab.training.evaluation import evaluate_network

    for name, value, allowed in (("policy", policy, ("mcts", "prior")), ("actions", actions, ("sample", "greedy")),
                                 ("noise", noise, ("auto", "on", "off"))):
        if value not in allowed:
            raise MzlabError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    if not 1 <= episodes <= 10**6:
        raise MzlabError(f"--episodes must be an integer in [1, 1000000], got {episodes}")
    if simulations is not None and not 1 <= simulations <= 10**5:
        raise MzlabError(f"--simulations must be an integer in [1, 100000], got {simulations}")
    configure_torch_threads("cpu")
    run = RunDirectory.open(run_dir)
    step = step if step is not None else run.latest_checkpoint_step()
    network = run.load_network(step)  # raises naming the run dir when there is no checkpoint
    config = run.config
    if simulations is not None:
        config = dataclasses.replace(config, search=dataclasses.replace(config.search, num_simulations=simulations))
    returns = evaluate_network(network, config, episodes=episodes, policy=policy, actions=actions, seed=seed,
                               training_step=int(step or 0), noise={"auto": None, "on": True, "off": False}[noise])
    metadata = run.checkpoint_metadata(step)
    return {
        "run_dir": str(run.path), "step": int(step), "env_steps": metadata.get("env_steps"),
        "env": config.env.name, "policy": policy, "actions": actions, "noise": noise, "episodes": episodes,
        "simulations": config.search.num_simulations, "seed": seed,
        "mean_return": float(np.mean(returns)),
        "stderr_return": float(np.std(returns, ddof=1) / np.sqrt(len(returns))) if len(returns) > 1 else 0.0,
        "returns": [float(r) for r in returns],
    }


def analyze(
    experiment: str,
    run_dirs: str | os.PathLike | Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    steps: Sequence[int] | None = None,
    device: str = "cpu",
    use_cache: bool = True,
    threads: int = 1,
    figures: bool = True,
    **options: Any,
):
    """``mzlab analyze EXPERIMENT``: run one experiment of the paper on the checkpoints of ``run_dirs`` and
    return its table as a pandas DataFrame (also written to ``OUT/<experiment>.parquet``, with its figure).

    ``options`` are :class:`mzlab.analysis.options.AnalysisOptions` fields (``num_states=20``, ``quick=True``,
    ``simulations=(5, 25)``, ...; defaults in ``docs/analysis.md``) or fields of the experiment's own options
    dataclass (its spec's ``options``)."""
    import pandas as pd

    from mzlab.analysis.options import AnalysisOptions
    from mzlab.analysis.registry import get_experiment
    from mzlab.analysis.runner import check_experiment, run_experiment
    from mzlab.analysis.session import AnalysisSession
    from mzlab.errors import MzlabError
    from mzlab.plots.experiment_figures import draw_table
    from mzlab.runtime import configure_torch_threads

    if experiment == "all" or check_experiment(experiment) != [experiment]:
        raise MzlabError(f"analyze runs one experiment and returns its table; got {experiment!r}")
    spec = get_experiment(experiment)
    fields = {field.name for field in dataclasses.fields(AnalysisOptions)}
    own = {field.name for field in dataclasses.fields(spec.options)} if spec.options is not None else set()
    unknown = sorted(set(options) - fields - own)
    if unknown:
        raise MzlabError(f"analyze: unknown option {unknown[0]!r}; valid options: {', '.join(sorted(fields | own))}")
    tuples = {key: tuple(value) for key, value in options.items() if isinstance(value, list)}
    options = {**options, **tuples}
    analysis_options = AnalysisOptions(**{k: v for k, v in options.items() if k in fields}).validate()
    experiment_options = {}
    if spec.options is not None:
        experiment_options[experiment] = spec.options(**{k: v for k, v in options.items() if k in own})
    if threads < 1:
        raise MzlabError(f"threads must be >= 1, got {threads}")
    configure_torch_threads("cpu", threads)
    paths = [run_dirs] if isinstance(run_dirs, str | os.PathLike) else list(run_dirs)
    session = AnalysisSession(paths, out, analysis_options, device=device, use_cache=use_cache,
                              experiment_options=experiment_options)
    steps = list(steps) if steps is not None else None
    written = run_experiment(experiment, session, steps, draw=draw_table if figures else None)
    return pd.read_parquet(written[experiment][0])


def report(study_dir: str | os.PathLike, *, embed_figures: bool = False) -> Path:
    """``mzlab report``: write ``STUDY/report/index.html`` from a study's tables; returns its path."""
    from mzlab.report import build_report

    return build_report(study_dir, embed_figures=embed_figures)
