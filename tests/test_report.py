"""``mzlab report``: mean ± standard error computed as by hand, every part of the page present."""

from __future__ import annotations

import html
import re

import numpy as np
import pandas as pd
import pytest
from report_fixtures import make_study

from mzlab.cli import main
from mzlab.errors import MzlabError
from mzlab.report import build_report, collect_tables, format_mean_se, spec_for, summarise


def test_summaries_average_within_each_seed_then_take_mean_and_standard_error_over_seeds(tmp_path):
    study = make_study(tmp_path)
    tables = collect_tables(study)
    assert sorted(tables) == ["planning", "value-error"]
    summary = summarise(tables["value-error"], spec_for("value-error", tables["value-error"])).set_index("horizon")
    # horizon 1: per-seed means 2 and 5; horizon 2: per-seed means 2 and 4.
    assert summary.loc[1, "policy_error_mean"] == pytest.approx(3.5)
    assert summary.loc[1, "policy_error_se"] == pytest.approx(np.std([2.0, 5.0], ddof=1) / np.sqrt(2))
    assert summary.loc[1, "policy_error_se"] == pytest.approx(1.5)
    assert summary.loc[2, "mean_sequence_error_mean"] == pytest.approx(6.0)
    assert summary.loc[2, "mean_sequence_error_se"] == pytest.approx(2.0)
    assert (summary["num_seeds"] == 2).all()
    planning = summarise(tables["planning"], spec_for("planning", tables["planning"]))
    row = planning[(planning["model"] == "true") & (planning["num_simulations"] == 4)].iloc[0]
    # seed 0: episodes 41, 42 -> 41.5; seed 1: 42, 43 -> 42.5
    assert row["return_mean"] == pytest.approx(42.0) and row["return_se"] == pytest.approx(0.5)
    assert format_mean_se(3.5, 1.5) == "3.5 ± 1.5" and format_mean_se(2.0, float("nan")) == "2"


def test_one_seed_has_no_standard_error():
    table = pd.DataFrame({"seed": 0, "step": [1, 1], "horizon": [1, 1], "policy_error": [1.0, 2.0],
                          "mean_sequence_error": [1.0, 1.0]})
    summary = summarise(table, spec_for("value-error", table))
    assert summary["policy_error_mean"].tolist() == [1.5] and summary["policy_error_se"].isna().all()


def test_report_page_holds_figures_tables_configs_seeds_versions_and_commands(tmp_path, capsys):
    study = make_study(tmp_path)
    assert main(["report", str(study)]) == 0
    index = study / "report" / "index.html"
    assert capsys.readouterr().out.strip() == str(index)
    page = index.read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert sorted(images) == ["figures/planning.png", "figures/training-metrics.png", "figures/value-error.png"]
    for image in images:
        png = study / "report" / image
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert png.with_suffix(".svg").read_text().lstrip().startswith("<?xml")
    assert "<td class=\"num\">3.5 ± 1.5</td>" in page  # value-error horizon 1
    assert "42 ± 0.5" in page  # planning, true model, 4 simulations
    assert "training.training_steps=200" in page
    assert "mzlab sweep --env cartpole --seeds 0-1 --out study" in page
    assert html.escape(f"mzlab train --env cartpole --seed 1 --run-dir {study}/runs/seed-1") in page
    assert "<b>[0, 1]</b>" in page
    for package in ("mzlab", "torch", "numpy", "gymnasium", "python"):
        assert f"<td>{package}</td>" in page
    assert '"name": "cartpole"' in html.unescape(page)
    assert 'href="../logs/seed-0.train.log"' in page
    assert "<script" not in page
    summary_csv = pd.read_csv(study / "report" / "tables" / "value-error-summary.csv")
    assert summary_csv["policy_error_mean"].tolist() == pytest.approx([3.5, 3.0])


def test_embedded_figures_make_a_single_file_page(tmp_path):
    page = build_report(make_study(tmp_path), embed_figures=True).read_text()
    assert len(re.findall(r'<img src="data:image/png;base64,', page)) == 3


def test_report_of_a_missing_or_foreign_directory_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"mzlab: error: {tmp_path / 'nope'}: no such study directory\n"
    with pytest.raises(MzlabError, match="not a study directory"):
        build_report(tmp_path)


def test_long_tables_show_the_last_checkpoint_or_evenly_spaced_rows():
    from mzlab.report.page import summary_table_html
    from mzlab.report.tables import SummarySpec

    metrics = pd.DataFrame({"seed": np.repeat([0, 1], 50), "step": np.tile(np.arange(50) * 100, 2),
                            "loss": np.arange(100, dtype=float)})
    spec = SummarySpec(("step",), ("loss",), "step")
    table, note = summary_table_html(summarise(metrics, spec), spec)
    steps = [int(s) for s in re.findall(r'<tr><td class="num">(\d+)</td>', table)]
    assert steps[0] == 0 and steps[-1] == 4900 and len(steps) == 12 and note.startswith("12 evenly spaced of 50")
    errors = pd.DataFrame({"seed": 0, "step": np.repeat([0, 500], 40), "horizon": np.tile(np.arange(1, 41), 2),
                           "policy_error": 1.0, "mean_sequence_error": 2.0})
    spec = spec_for("value-error", errors)
    table, note = summary_table_html(summarise(errors, spec), spec)
    assert note.startswith("rows of the last checkpoint (step = 500); first 30 of 40 rows")
    assert set(re.findall(r'<tr><td class="num">(\d+)</td>', table)) == {"500"}
