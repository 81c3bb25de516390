"""A study: one environment, a set of seeds, and the jobs train (per seed) -> each analysis (per seed).

Layout of a study directory::

    STUDY/study.json                       plan, commands, versions (see :func:`write_study_file`)
    STUDY/jobs/<job>.json                  status records;  STUDY/logs/<job>.log  each job's output
    STUDY/runs/seed-<n>/                   ``mzlab train --run-dir``
    STUDY/analysis/seed-<n>/<experiment>/  ``mzlab analyze <experiment> --out``
    STUDY/report/index.html                ``mzlab report STUDY``

With variants (:mod:`mzlab.sweep.variants`) the runs and analyses of variant NAME live under
``runs/variant-NAME/seed-<n>/`` and ``analysis/variant-NAME/seed-<n>/<experiment>/``, job ids start with
``NAME.``.
"""

from __future__ import annotations

import shlex
import time
from dataclasses import dataclass
from pathlib import Path

from mzlab.analysis.registry import experiment_names
from mzlab.checked_files import checksum_problem, read_json_file, with_checksum
from mzlab.errors import MzlabError
from mzlab.sweep.command_lines import analyze_argv, train_argv
from mzlab.sweep.jobs import Job
from mzlab.sweep.provenance import software_versions
from mzlab.sweep.records import write_json_atomic
from mzlab.sweep.variants import VARIANT_FOLDER_PREFIX, Variant

__all__ = ["EXPERIMENTS", "StudyPlan", "resolve_analyses", "study_jobs", "write_study_file", "read_study_file"]

EXPERIMENTS = experiment_names()
"""The experiments registered when the sweep was imported (the paper's), in the order of ``mzlab analyze all``."""


def resolve_analyses(text: str | None) -> tuple[str, ...]:
    """``"all"`` -> every experiment; ``"none"`` or ``""`` -> none; ``"a,b"`` -> those, validated."""
    valid = experiment_names()
    if text is None or text.strip() in ("all",):
        return valid
    if text.strip() in ("", "none"):
        return ()
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in valid]
    if unknown:
        raise MzlabError(f"--analyses: unknown experiment {unknown[0]!r}; valid: all, none, {', '.join(valid)}")
    return names


@dataclass(frozen=True)
class StudyPlan:
    """What a sweep runs. ``env``, ``overrides``, ``quick`` and ``analysis_options`` fix the study's identity."""

    env: str
    seeds: tuple[int, ...]
    overrides: tuple[str, ...] = ()
    """``--set key=value`` passed to every ``mzlab train``."""
    analyses: tuple[str, ...] = EXPERIMENTS
    quick: bool = False
    """Pass ``--quick`` to every ``mzlab analyze`` (smoke-run budget)."""
    analysis_options: tuple[str, ...] = ()
    """Extra arguments for every ``mzlab analyze`` (e.g. ``("--num-states", "16")``)."""
    train_gpus: float = 0.0
    """GPUs reserved per training job on Ray (not part of the identity: it changes where, not what)."""
    analysis_gpus: float = 0.0
    """GPUs reserved per analysis job on Ray."""
    variants: tuple[Variant, ...] = ()
    """Named override sets, each run over every seed (none: one unnamed configuration)."""

    def identity(self) -> dict:
        return {"env": self.env, "overrides": list(self.overrides), "quick": self.quick,
                "analysis_options": list(self.analysis_options),
                "variants": [variant.to_json() for variant in self.variants]}


def _variant_folder(variant: Variant | None) -> str:
    return "" if variant is None else f"{VARIANT_FOLDER_PREFIX}{variant.name}/"


def run_dir_of(seed: int, variant: Variant | None = None) -> str:
    return f"runs/{_variant_folder(variant)}seed-{seed}"


def analysis_dir_of(seed: int, experiment: str, variant: Variant | None = None) -> str:
    return f"analysis/{_variant_folder(variant)}seed-{seed}/{experiment}"


def study_jobs(plan: StudyPlan) -> list[Job]:
    """Per variant and seed: ``[NAME.]seed-<n>.train``, then ``[NAME.]seed-<n>.<experiment>`` for each analysis
    (depending on it). A variant's overrides follow the study's."""
    jobs: list[Job] = []
    for variant in plan.variants or (None,):
        prefix = "" if variant is None else f"{variant.name}."
        overrides = [*plan.overrides, *(() if variant is None else variant.overrides)]
        for seed in plan.seeds:
            train_id = f"{prefix}seed-{seed}.train"
            jobs.append(Job(
                job_id=train_id, kind="train", target="mzlab.sweep.targets:train",
                kwargs={"env": plan.env, "seed": seed, "overrides": overrides},
                paths={"run_dir": run_dir_of(seed, variant)}, num_gpus=plan.train_gpus,
            ))
            for experiment in plan.analyses:
                jobs.append(Job(
                    job_id=f"{prefix}seed-{seed}.{experiment}", kind=experiment, target="mzlab.sweep.targets:analyze",
                    kwargs={"experiment": experiment, "quick": plan.quick, "options": list(plan.analysis_options)},
                    paths={"run_dir": run_dir_of(seed, variant), "out": analysis_dir_of(seed, experiment, variant)},
                    depends_on=(train_id,), num_gpus=plan.analysis_gpus,
                ))
    return jobs


def job_command(job: Job, study_dir: str) -> str:
    """The terminal command equivalent to ``job`` (for the study file and the report)."""
    paths = {name: f"{study_dir.rstrip('/')}/{relative}" for name, relative in job.paths.items()}
    if job.target.endswith(":train"):
        argv = train_argv(**job.kwargs, run_dir=paths["run_dir"])
    elif job.target.endswith(":analyze"):
        kwargs = dict(job.kwargs)
        argv = analyze_argv(experiment=kwargs["experiment"], run_dir=paths["run_dir"], out=paths["out"],
                            quick=kwargs["quick"], options=kwargs["options"])
    else:
        return f"python -c 'from {job.target.split(':')[0]} import ...'  # {job.target}"
    return shlex.join(["mzlab", *argv])


def read_study_file(study_dir: str | Path) -> dict | None:
    """The study file, or None when there is none; an unreadable one is a named error, never ignored."""
    path = Path(study_dir) / "study.json"
    if not path.exists():
        return None
    try:
        payload = read_json_file(path, what="study file")
    except MzlabError as error:
        raise MzlabError(f"{error}; restore it, or move it away to start a new study") from None
    problem = _study_file_problem(payload)
    if problem:
        raise MzlabError(f"study file {str(path)!r} is corrupted: {problem}; restore it, or move it away to start "
                         "a new study")
    return payload


_STUDY_FIELD_TYPES = {"env": str, "overrides": list, "quick": bool, "analysis_options": list, "seeds": list,
                      "analyses": list, "sweeps": list, "commands": dict, "versions": dict, "created": str}


def _study_file_problem(payload) -> str:
    if not isinstance(payload, dict):
        return "expected a JSON object"
    if checksum_problem(payload):
        return checksum_problem(payload)
    missing = [key for key in ("env", "overrides", "quick") if key not in payload]
    if missing:
        return f"it has no {missing[0]!r}"
    for key, kind in _STUDY_FIELD_TYPES.items():
        if key in payload and not isinstance(payload[key], kind):
            return f"{key!r} is a {type(payload[key]).__name__}, expected a {kind.__name__}"
    if "seeds" in payload and not all(isinstance(s, int) and not isinstance(s, bool) for s in payload["seeds"]):
        return "'seeds' must list integers"
    return ""


def write_study_file(study_dir: str | Path, plan: StudyPlan, *, jobs: list[Job], command: str | None,
                     executor: str) -> dict:
    """Create or extend ``STUDY/study.json``; refuse a plan whose identity differs from the stored one.

    Seeds and analyses may grow between sweeps of one study; the environment, overrides, variants and analysis
    options may not (that would mix results of different configurations).
    """
    study_dir = Path(study_dir)
    old = read_study_file(study_dir)
    identity = plan.identity()
    if old is not None:
        stored = {key: old.get(key, [] if key == "variants" else None) for key in identity}
        if stored != identity:
            changed = next(key for key in identity if stored[key] != identity[key])
            raise MzlabError(f"{study_dir / 'study.json'}: the study was made with {changed}={stored[changed]!r}, not "
                             f"{identity[changed]!r}; use a new --out directory")
    payload = dict(old or {}, **identity)
    payload["seeds"] = sorted(set(payload.get("seeds", [])) | set(plan.seeds))
    payload["analyses"] = list(dict.fromkeys([*payload.get("analyses", []), *plan.analyses]))
    payload.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    payload["versions"] = software_versions()
    payload.setdefault("sweeps", []).append({
        "command": command, "executor": executor, "seeds": list(plan.seeds), "analyses": list(plan.analyses),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    })
    commands = payload.setdefault("commands", {})
    for job in jobs:
        commands[job.job_id] = job_command(job, str(study_dir))
    payload = with_checksum(payload)
    write_json_atomic(study_dir / "study.json", payload)
    return payload
