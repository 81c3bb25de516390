"""Variants in one study: ``--variant NAME:KEY=VALUE[,...]`` runs every variant over the same seeds and analyses,
every table gets a ``variant`` column and the report shows the variants side by side."""

from __future__ import annotations

import json

import pytest
from test_sweep_end_to_end import sweep_argv

from mzlab.cli import main
from mzlab.errors import MzlabError
from mzlab.report import collect_tables
from mzlab.sweep.study import StudyPlan, study_jobs
from mzlab.sweep.variants import parse_variant, parse_variants


def variant_argv(out, *variants):
    """The tiny two-seed value-error study of the end-to-end sweep test, with these variants."""
    extra = ["--max-workers", "2"]
    for variant in variants:
        extra += ["--variant", variant]
    return sweep_argv(out, *extra)


def test_variant_text_splits_at_keys_so_list_values_stay_whole():
    variant = parse_variant("wide:network.hidden_layers=[8,8], training.objective=consistency")
    assert variant.name == "wide"
    assert variant.overrides == ("network.hidden_layers=[8,8]", "training.objective=consistency")


def test_variant_jobs_share_seeds_and_analyses_and_put_overrides_after_the_study_ones():
    variants = parse_variants(["a:training.objective=muzero", "b:replay.num_unroll_steps=2"])
    plan = StudyPlan(env="cartpole", seeds=(0, 1), overrides=("training.batch_size=8",), analyses=("value-error",),
                     variants=variants)
    jobs = {job.job_id: job for job in study_jobs(plan)}
    assert sorted(jobs) == ["a.seed-0.train", "a.seed-0.value-error", "a.seed-1.train", "a.seed-1.value-error",
                            "b.seed-0.train", "b.seed-0.value-error", "b.seed-1.train", "b.seed-1.value-error"]
    assert jobs["b.seed-1.train"].kwargs["overrides"] == ["training.batch_size=8", "replay.num_unroll_steps=2"]
    assert jobs["b.seed-1.train"].paths == {"run_dir": "runs/variant-b/seed-1"}
    assert jobs["a.seed-0.value-error"].paths["out"] == "analysis/variant-a/seed-0/value-error"
    assert jobs["a.seed-0.value-error"].depends_on == ("a.seed-0.train",)


@pytest.mark.parametrize(("variants", "message"), [
    (["consistency"], "--variant 'consistency': expected NAME:KEY=VALUE[,KEY=VALUE...]"),
    (["a:"], "--variant 'a:': expected NAME:KEY=VALUE[,KEY=VALUE...]"),
    (["a:training.objective"], "--variant 'a:training.objective': expected NAME:KEY=VALUE"),
    (["a b:training.objective=muzero"], "--variant 'a b:training.objective=muzero': expected NAME:KEY=VALUE"),
    (["a:seed=1", "a:seed=2"], "--variant: the name 'a' is given twice"),
    (["a:training.objective=world_model"], "--variant a: config key 'training.objective': 'world_model' is not one "
                                            "of muzero, consistency, reconstruction"),
    (["a:training.objectiv=muzero"], "--variant a: unknown config key 'training.objectiv'"),
])
def test_bad_variants_are_one_line_errors_before_anything_is_written(tmp_path, capsys, variants, message):
    out = tmp_path / "study"
    assert main(variant_argv(out, *variants)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mzlab: error: {message}") and err.count("\n") == 1, err
    assert not out.exists()


def test_parse_variant_raises_mzlab_error():
    with pytest.raises(MzlabError):
        parse_variant(":x=1")


def test_two_variants_two_seeds_give_variant_tables_and_a_side_by_side_report(tmp_path, capsys):
    study = tmp_path / "study"
    variants = ("muzero:training.objective=muzero",
                "consistency-k2:training.objective=consistency,replay.num_unroll_steps=2")
    assert main(variant_argv(study, *variants)) == 0
    assert capsys.readouterr().out.strip().endswith("8 ran, 0 already done, 0 failed, 0 skipped")
    stored = json.loads((study / "study.json").read_text())
    assert stored["variants"] == [
        {"name": "muzero", "overrides": ["training.objective=muzero"]},
        {"name": "consistency-k2", "overrides": ["training.objective=consistency", "replay.num_unroll_steps=2"]}]
    config = json.loads((study / "runs" / "variant-consistency-k2" / "seed-1" / "config.json").read_text())
    assert config["training"]["objective"] == "consistency" and config["replay"]["num_unroll_steps"] == 2

    table = collect_tables(study)["value-error"]
    assert set(table["variant"]) == {"muzero", "consistency-k2"}
    for variant, horizon in (("muzero", 3), ("consistency-k2", 2)):  # K of each variant's own config
        rows = table[table["variant"] == variant]
        assert sorted(rows["seed"].unique()) == [0, 1] and rows["horizon"].max() == horizon
    metrics = collect_tables(study, folder="runs", pattern="**/metrics.parquet")["metrics"]
    assert set(metrics["variant"]) == {"muzero", "consistency-k2"}
    assert metrics.loc[metrics["variant"] == "consistency-k2", "losses/consistency"].notna().all()

    assert main(variant_argv(study, variants[0])) == 2  # another set of variants is another study
    assert "the study was made with variants=" in capsys.readouterr().err

    assert main(["report", str(study)]) == 0
    page = (study / "report" / "index.html").read_text()
    assert 'src="figures/value-error.png"' in page and 'src="figures/training-metrics.png"' in page
    assert "variants <b>muzero, consistency-k2</b>" in page
    for variant in ("muzero", "consistency-k2"):  # the paper's layout once per variant, after the comparison
        assert f'src="figures/value-error-variant-{variant}.png"' in page
        assert (study / "report" / "figures" / f"value-error-variant-{variant}.svg").is_file()
    assert page.index('src="figures/value-error.png"') < page.index('src="figures/value-error-variant-muzero.png"')
    summary = (study / "report" / "tables" / "value-error-summary.csv").read_text().splitlines()
    assert summary[0].startswith("variant,") and any(line.startswith("consistency-k2,") for line in summary)
    assert any(line.startswith("muzero,") for line in summary)
