"""One call for a whole study: plan the jobs, record the plan, run them on an executor."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mzlab.errors import MzlabError
from mzlab.sweep.executors import make_executor
from mzlab.sweep.runner import SweepSummary, run_jobs
from mzlab.sweep.seeds import MAX_SEEDS
from mzlab.sweep.study import StudyPlan, resolve_analyses, study_jobs, write_study_file
from mzlab.sweep.variants import check_variant_configs, parse_variants

__all__ = ["run_sweep"]


def run_sweep(
    out_dir: str | os.PathLike,
    *,
    env: str,
    seeds: Sequence[int],
    overrides: Sequence[str] = (),
    analyses: str | Sequence[str] = "all",
    quick: bool = False,
    analysis_options: Sequence[str] = (),
    executor: str = "local",
    max_workers: int | None = None,
    ray_address: str | None = None,
    retries: int = 2,
    train_gpus: float = 0.0,
    analysis_gpus: float = 0.0,
    progress: bool = True,
    command: str | None = None,
    variants: Sequence[str] = (),
) -> SweepSummary:
    """Train every seed, then run each analysis per seed, all results under ``out_dir``.

    ``analyses`` is ``"all"``, ``"none"``, a comma list or a sequence of experiment names. Rerunning with the
    same arguments skips finished jobs; a study made with other ``env``/``overrides``/``quick`` is refused.
    ``variants``: ``"NAME:KEY=VALUE[,KEY=VALUE...]"`` texts (:mod:`mzlab.sweep.variants`); every variant runs
    every seed and analysis, each config validated before anything runs.
    """
    if not seeds:
        raise MzlabError("--seeds: no seeds given")
    if max_workers is not None and max_workers < 1:
        raise MzlabError(f"--max-workers: must be at least 1, got {max_workers}")
    if (train_gpus or analysis_gpus) and executor != "ray":
        raise MzlabError("--train-gpus/--analysis-gpus reserve GPUs per Ray task; they need --executor ray "
                         "(local workers see every GPU)")
    if train_gpus < 0 or analysis_gpus < 0:
        raise MzlabError("--train-gpus/--analysis-gpus: must be 0 or more")
    if retries < 0:
        raise MzlabError(f"--retries: must be 0 or more, got {retries}")
    _check_training_configs(env, seeds, overrides)
    names = resolve_analyses(analyses if isinstance(analyses, str) else ",".join(analyses) or "none")
    parsed_variants = parse_variants(variants)
    if parsed_variants:
        check_variant_configs(env, overrides, parsed_variants)
    plan = StudyPlan(env=env, seeds=tuple(seeds), overrides=tuple(overrides), analyses=names, quick=quick,
                     analysis_options=tuple(analysis_options), train_gpus=train_gpus, analysis_gpus=analysis_gpus,
                     variants=parsed_variants)
    jobs = study_jobs(plan)
    study_dir = Path(out_dir)
    if study_dir.exists() and not study_dir.is_dir():
        raise MzlabError(f"--out: {study_dir} exists and is not a directory")
    runner = make_executor(executor, max_workers=max_workers, ray_address=ray_address)
    write_study_file(study_dir, plan, jobs=jobs, command=command, executor=executor)
    return run_jobs(jobs, study_dir, executor=runner, retries=retries, progress=progress)


def _check_training_configs(env: str, seeds: Sequence[int], overrides: Sequence[str]) -> None:
    """Every seed's training config, validated before anything is written: a bad ``--set`` fails here in one
    line instead of failing every job and binding the study to the bad value."""
    import dataclasses

    from mzlab.config_io import apply_overrides, validate
    from mzlab.envs.generic_preset import experiment_preset

    try:
        base = experiment_preset(env)  # a paper preset or the generic gym: preset
    except MzlabError as error:
        raise MzlabError(f"--env: {error}") from None
    if len(seeds) > MAX_SEEDS:
        raise MzlabError(f"--seeds: {len(seeds)} seeds given; a study holds at most {MAX_SEEDS}")
    try:
        configured = apply_overrides(base, list(overrides))
        for seed in seeds:
            validate(dataclasses.replace(configured, seed=int(seed)))
    except MzlabError as error:
        raise MzlabError(f"--set: {error}") from None
