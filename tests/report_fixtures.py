"""A small synthetic study directory with known numbers, for the report tests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mzlab.sweep.records import JobRecord, write_record
from mzlab.sweep.study import StudyPlan, study_jobs, write_study_file


def make_study(root: Path) -> Path:
    """Two seeds of value-error and planning tables, training metrics, configs and job records.

    value-error, step 100, horizon 1: seed 0 states (1, 3) -> 2; seed 1 states (4, 6) -> 5;
    so mean 3.5, standard error std([2, 5]) / sqrt(2) = 1.5.
    """
    study = root / "study"
    plan = StudyPlan(env="cartpole", seeds=(0, 1), overrides=("training.training_steps=200",),
                     analyses=("value-error", "planning"), quick=True)
    jobs = study_jobs(plan)
    write_study_file(study, plan, jobs=jobs, command="mzlab sweep --env cartpole --seeds 0-1 --out study",
                     executor="local")
    for job in jobs:
        write_record(study, JobRecord(job_id=job.job_id, kind=job.kind, status="done", attempts=1, seconds=1.5,
                                      log=f"logs/{job.job_id}.log", host="testhost"))
    errors = {0: {1: (1.0, 3.0), 2: (2.0, 2.0)}, 1: {1: (4.0, 6.0), 2: (3.0, 5.0)}}
    for seed in (0, 1):
        rows = [{"env": "cartpole", "seed": seed, "step": 100, "horizon": horizon, "state_index": index,
                 "true_value": 1.0, "predicted_value": 1.0 + error, "policy_error": error,
                 "mean_sequence_error": 2 * error, "num_samples": 8}
                for horizon, pair in errors[seed].items() for index, error in enumerate(pair)]
        out = study / "analysis" / f"seed-{seed}" / "value-error"
        out.mkdir(parents=True)
        pd.DataFrame(rows).to_parquet(out / "value_error.parquet", index=False)
        planning = pd.DataFrame([{"env": "cartpole", "seed": seed, "step": 100, "model": model, "prior": "policy",
                                  "leaf": "value", "num_simulations": sims, "episode": episode,
                                  "return": float(10 * sims + seed + episode + (model == "true"))}
                                 for model in ("learned", "true") for sims in (1, 4) for episode in (0, 1)])
        out = study / "analysis" / f"seed-{seed}" / "planning"
        out.mkdir(parents=True)
        planning.to_parquet(out / "planning.parquet", index=False)
        run = study / "runs" / f"seed-{seed}"
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"env": {"name": "cartpole"}, "seed": seed}))
        pd.DataFrame({"step": [0, 100, 200], "loss_total": [3.0, 2.0, 1.0 + seed], "env_steps": [0, 50, 90]}
                     ).to_parquet(run / "metrics.parquet", index=False)
    (study / "logs").mkdir(exist_ok=True)
    (study / "logs" / "seed-0.train.log").write_text("log <b>text</b>\n")
    return study
