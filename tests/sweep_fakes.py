"""Tiny job functions for the sweep tests (imported by name in worker processes: keep them top level)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _note(ledger: str, text: str) -> None:
    with open(ledger, "a", encoding="utf-8") as stream:
        stream.write(text + "\n")


def fake_train(*, seed: int, ledger: str, run_dir: str) -> dict:
    """Writes a 'checkpoint' whose content depends only on the seed."""
    _note(ledger, f"train {seed}")
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    weights = np.random.default_rng(seed).normal(size=4)
    np.save(Path(run_dir) / "weights.npy", weights)
    print(f"trained seed {seed}")
    return {"seed": seed}


def fake_analyze(*, seed: int, experiment: str, ledger: str, run_dir: str, out: str) -> dict:
    """A result table computed from the 'checkpoint' (so it differs if train did not run first)."""
    _note(ledger, f"{experiment} {seed}")
    weights = np.load(Path(run_dir) / "weights.npy")
    rng = np.random.default_rng([seed, len(experiment)])
    table = pd.DataFrame({"env": "fake", "seed": seed, "step": np.arange(3) * 10,
                          "value": weights[:3] + rng.normal(size=3)})
    Path(out).mkdir(parents=True, exist_ok=True)
    table.to_parquet(Path(out) / f"{experiment}.parquet", index=False)
    return {"rows": len(table)}


def fake_fail(*, ledger: str) -> None:
    _note(ledger, "fail")
    print("about to fail")
    raise ValueError("synthetic failure for the test")


def die_first_time(*, ledger: str, marker: str) -> str:
    """Kills its own worker process the first time, succeeds the second time."""
    _note(ledger, "die_first_time")
    if not os.path.exists(marker):
        Path(marker).write_text("died once")
        os._exit(17)
    return "survived"


def always_die(*, ledger: str) -> None:
    _note(ledger, "always_die")
    os._exit(17)


def block_until(*, ledger: str, name: str, release: str, timeout: float = 120.0) -> str:
    """Waits for the file ``release`` to exist (the test kills the sweep meanwhile)."""
    _note(ledger, f"start {name}")
    Path(release + ".pid").write_text(str(os.getpid()))
    deadline = time.monotonic() + timeout
    while not os.path.exists(release):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{release} never appeared")
        time.sleep(0.05)
    _note(ledger, f"finish {name}")
    return name


def seed_jobs(seeds, ledger: str, experiments=("alpha", "beta")):
    """Train per seed, then each fake experiment per seed: the shape of a real study."""
    from mzlab.sweep import Job

    jobs = []
    for seed in seeds:
        jobs.append(Job(job_id=f"seed-{seed}.train", kind="train", target="sweep_fakes:fake_train",
                        kwargs={"seed": seed, "ledger": ledger}, paths={"run_dir": f"runs/seed-{seed}"}))
        for experiment in experiments:
            jobs.append(Job(job_id=f"seed-{seed}.{experiment}", kind=experiment, target="sweep_fakes:fake_analyze",
                            kwargs={"seed": seed, "experiment": experiment, "ledger": ledger},
                            paths={"run_dir": f"runs/seed-{seed}", "out": f"analysis/seed-{seed}/{experiment}"},
                            depends_on=(f"seed-{seed}.train",)))
    return jobs


def ledger_lines(ledger: str) -> list[str]:
    return Path(ledger).read_text(encoding="utf-8").splitlines() if os.path.exists(ledger) else []


def study_tables(study_dir) -> pd.DataFrame:
    """Every Parquet table under ``analysis/``, concatenated in a fixed order."""
    frames = [pd.read_parquet(path).assign(source=str(path.relative_to(study_dir)))
              for path in sorted(Path(study_dir, "analysis").rglob("*.parquet"))]
    return pd.concat(frames, ignore_index=True)
