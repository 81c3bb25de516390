"""The findings table (the paper's claims against per-seed numbers) and the multi-study paper layout."""

import re

import pandas as pd
import pytest
from report_fixtures import make_study

from mzlab.errors import MzlabError
from mzlab.plots.analysis_figures import plot_planning
from mzlab.report import build_report
from mzlab.report.findings import findings, verdict


def learning_curves(env="cartpole"):
    # last step 100: MCTS - prior per seed: seed 0: 11 - 5 = 6; seed 1: 21 - 8 = 13 -> mean 9.5, s.e. 3.5
    returns = {(0, "mcts"): [10, 12], (0, "prior"): [5, 5], (1, "mcts"): [20, 22], (1, "prior"): [8, 8]}
    rows = [{"env": env, "seed": seed, "step": step, "policy": policy, "actions": "sample", "episode": e,
             "return": float(r) if step == 100 else 0.0}
            for (seed, policy), values in returns.items() for step in (0, 100) for e, r in enumerate(values)]
    return pd.DataFrame(rows)


def cross_step():
    # horizon 10 rows (model step): seed 0: [1, 3] / [4, 2] -> margins 2, 2; seed 1: [1, 2] / [5, 2] -> 1, 3
    # horizon 50: every cell + 10 -> long minus short = 10 for both seeds
    cells = {0: [[1, 3], [4, 2]], 1: [[1, 2], [5, 2]]}
    rows = [{"env": "cartpole", "seed": seed, "model_step": 10 * x, "policy_step": 10 * y, "horizon": horizon,
             "state_index": 0, "policy_error": float(matrix[x][y] + (10 if horizon == 50 else 0))}
            for seed, matrix in cells.items() for x in (0, 1) for y in (0, 1) for horizon in (10, 50)]
    return pd.DataFrame(rows)


def test_claims_are_computed_per_seed_then_averaged():
    result = {(f.claim.figure, f.env): f for f in findings({"learning-curves": learning_curves(),
                                                          "cross-step": cross_step()})}
    fig2 = result[("Fig. 2", "cartpole")]
    assert fig2.mean == pytest.approx(9.5) and fig2.standard_error == pytest.approx(3.5)
    assert fig2.num_seeds == 2 and fig2.verdict == "holds"
    fig5 = result[("Fig. 5", "cartpole")]
    assert fig5.mean == pytest.approx(2.0) and fig5.standard_error == pytest.approx(0.0)
    assert result[("Fig. 9", "cartpole")].mean == pytest.approx(10.0)


def test_variants_are_never_pooled():
    # two variants with the same seeds: variant a's MCTS - prior is 6 and 13 (mean 9.5, s.e. 3.5, as above);
    # variant b's table is variant a's with the MCTS returns lowered by 20: -14 and -7 (mean -10.5, s.e. 3.5).
    # Pooled by seed the means would be (6 - 14) / 2 = -4 and (13 - 7) / 2 = 3: a claim for neither variant.
    a = learning_curves().assign(variant="a")
    b = learning_curves().assign(variant="b")
    b.loc[(b["policy"] == "mcts") & (b["step"] == 100), "return"] -= 20
    result = {(f.claim.figure, f.variant): f for f in findings({"learning-curves": pd.concat([a, b])})}
    assert set(result) == {("Fig. 2", "a"), ("Fig. 2", "b")}
    assert result[("Fig. 2", "a")].mean == pytest.approx(9.5)
    assert result[("Fig. 2", "b")].mean == pytest.approx(-10.5)
    assert result[("Fig. 2", "b")].standard_error == pytest.approx(3.5)
    assert result[("Fig. 2", "b")].verdict == "reversed"
    assert {f.variant for f in findings({"learning-curves": learning_curves()})} == {None}


def test_verdicts():
    assert verdict(1.0, 0.4, 3) == "holds"
    assert verdict(1.0, 0.6, 3) == "unclear"
    assert verdict(-1.0, 0.4, 3) == "reversed"
    assert verdict(-1.0, float("nan"), 1) == "does not hold (1 seed)"
    assert verdict(float("nan"), 0.0, 0) == "no data"


def test_planning_figure_puts_environments_in_columns():
    rows = [{"env": env, "seed": seed, "step": step, "model": model, "prior": "policy", "leaf": "rollout",
             "num_simulations": sims, "episode": 0, "return": 1.0}
            for env, step in (("cartpole", 100), ("lunarlander", 1000)) for seed in (0, 1)
            for model, sims in (("learned", 5), ("learned", 50), ("none", 0))]
    figure = plot_planning(pd.DataFrame(rows))
    visible = [axis for axis in figure.axes if axis.get_visible()]
    assert [axis.get_title() for axis in visible] == ["cartpole, step 100", "lunarlander, step 1000"]
    assert visible[0].get_position().x0 < visible[1].get_position().x0  # side by side
    assert [t.get_text() for t in visible[0].get_xticklabels()] == ["5", "50"]  # real values on the log axis
    assert len(figure.legends) == 1


def test_report_over_two_studies_has_findings_captions_and_svg_text(tmp_path):
    first = make_study(tmp_path / "a")
    second = make_study(tmp_path / "b")
    for study, env in ((first, "cartpole"), (second, "lunarlander")):
        out = study / "analysis" / "seed-0" / "learning-curves"
        out.mkdir(parents=True)
        learning_curves(env).to_parquet(out / "learning-curves.parquet", index=False)
    with pytest.raises(MzlabError, match="--out"):
        build_report([first, second])
    page = build_report([first, second], out=tmp_path / "both").read_text()
    findings_html = page[page.index('id="findings"'):page.index("</section>", page.index('id="findings"'))]
    assert "planning enables MuZero to achieve a substantially better performance" in findings_html
    assert findings_html.count("9.5 ± 3.5") == 2  # one row per environment
    assert "<td>lunarlander</td>" in findings_html
    assert "Budget: checkpoints 0, 100; 2 episodes per setting and checkpoint" in page
    svg = (tmp_path / "both" / "figures" / "learning-curves.svg").read_text()
    assert re.search(r"<text[^>]*>[^<]*training step", svg)  # text kept as text, not glyph paths
