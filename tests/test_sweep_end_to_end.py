"""Real ``mzlab train`` and ``mzlab analyze`` jobs through the sweep, then the report (tiny budget)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mzlab.cli import main
from mzlab.report import collect_tables
from mzlab.sweep import run_sweep

TINY = [
    "network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
    "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
    "training.warmup_games=2", "training.training_steps=12", "training.checkpoint_interval=5",
]


def sweep_argv(out, *extra):
    argv = ["sweep", "--env", "cartpole", "--seeds", "0-1", "--analyses", "value-error", "--quick",
            "--out", str(out), "--no-progress"]
    for override in TINY:
        argv += ["--set", override]
    return argv + list(extra)


def test_two_seed_study_trains_analyses_reports_and_reruns_nothing(tmp_path, capsys):
    study = tmp_path / "study"
    assert main(sweep_argv(study, "--max-workers", "2")) == 0
    assert capsys.readouterr().out.strip().endswith("4 ran, 0 already done, 0 failed, 0 skipped")
    for seed in (0, 1):
        assert json.loads((study / "runs" / f"seed-{seed}" / "config.json").read_text())["seed"] == seed
        assert "$ mzlab analyze value-error" in (study / "logs" / f"seed-{seed}.value-error.log").read_text()
    table = collect_tables(study)["value-error"]
    assert sorted(table["seed"].unique()) == [0, 1] and (table["env"] == "cartpole").all()
    assert table["horizon"].max() == 3  # K = replay.num_unroll_steps from the override
    stored = json.loads((study / "study.json").read_text())
    assert stored["seeds"] == [0, 1] and stored["overrides"] == TINY and stored["analyses"] == ["value-error"]
    assert stored["sweeps"][0]["command"].startswith("mzlab sweep --env cartpole --seeds 0-1 --analyses value-error")

    assert main(sweep_argv(study)) == 0  # a rerun skips every finished job
    assert capsys.readouterr().out.strip().endswith("0 ran, 4 already done, 0 failed, 0 skipped")
    pd.testing.assert_frame_equal(collect_tables(study)["value-error"], table)

    assert main(["report", str(study)]) == 0
    page = (study / "report" / "index.html").read_text()
    assert 'src="figures/value-error.png"' in page and 'src="figures/training-metrics.png"' in page
    assert "training.training_steps=12" in page


@pytest.mark.slow
def test_real_study_on_ray_gives_the_same_tables_as_the_local_pool(tmp_path):
    ray = pytest.importorskip("ray")
    local = run_sweep(tmp_path / "local", env="cartpole", seeds=[0, 1], overrides=TINY, analyses="all", quick=True,
                      max_workers=2, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        remote = run_sweep(tmp_path / "ray", env="cartpole", seeds=[0, 1], overrides=TINY, analyses="all",
                           quick=True, executor="ray", progress=False)
    finally:
        ray.shutdown()
    assert local.ok and remote.ok and len(local.ran) == len(remote.ran) == 14
    local_tables, ray_tables = collect_tables(tmp_path / "local"), collect_tables(tmp_path / "ray")
    assert sorted(local_tables) == sorted(ray_tables) and len(local_tables) == 6
    for name, table in local_tables.items():
        pd.testing.assert_frame_equal(table, ray_tables[name], obj=name)


@pytest.mark.slow
def test_demo_study_runs_every_analysis_and_returns_the_report(tmp_path):
    from mzlab.demo_study import run_demo_study

    report = run_demo_study(tmp_path / "demo", seeds=[0, 1], overrides=TINY, quick=True, progress=False)
    assert report == tmp_path / "demo" / "report" / "index.html"
    page = report.read_text()
    for experiment in ("learning-curves", "value-error", "sequence-rank", "cross-step", "search-prior", "planning"):
        assert f'src="figures/{experiment}.png"' in page
    assert "14 done" in page
