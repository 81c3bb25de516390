"""Fig. 6 over training: the depth-matched gap by hand, the figure's lines against hand means, and the extra
figures reaching `mzlab analyze`'s drawer and the report."""

import numpy as np
import pandas as pd

from mzlab.plots.experiment_figures import draw_table
from mzlab.plots.search_prior_training import (
    depth_matched_gap,
    plot_depth_matched_gap_over_training,
    plot_search_prior_over_training,
)
from mzlab.report.build import build_report


def _depth_table():
    rows = []
    # seed 0, step 10, rollout, 50 sims: depth 1 uniform 0.3 / policy 0.1; depth 2 uniform 0.5 / policy 0.4;
    # depth 3 only the policy prior reaches (left out). Gap = mean(0.2, 0.1) = 0.15.
    for depth, uniform, policy in ((1, 0.3, 0.1), (2, 0.5, 0.4), (3, np.nan, 0.9)):
        rows += [dict(env="cartpole", seed=0, step=10, leaf="rollout", num_simulations=50, depth=depth,
                      prior="uniform", state_index=0, path_error=uniform, path_fraction=0.5),
                 dict(env="cartpole", seed=0, step=10, leaf="rollout", num_simulations=50, depth=depth,
                      prior="policy", state_index=0, path_error=policy, path_fraction=0.5)]
    # a smaller simulation count is ignored (only the largest enters)
    rows += [dict(env="cartpole", seed=0, step=10, leaf="rollout", num_simulations=5, depth=1, prior=p,
                  state_index=0, path_error=e, path_fraction=1.0) for p, e in (("uniform", 9.0), ("policy", 0.0))]
    # seed 1: one depth, gap -0.1
    rows += [dict(env="cartpole", seed=1, step=10, leaf="rollout", num_simulations=50, depth=1, prior=p,
                  state_index=0, path_error=e, path_fraction=1.0) for p, e in (("uniform", 0.2), ("policy", 0.3))]
    return pd.DataFrame(rows)


def test_depth_matched_gap_by_hand():
    gaps = depth_matched_gap(_depth_table()).set_index("seed")["gap"]
    assert abs(gaps[0] - 0.15) < 1e-12
    assert abs(gaps[1] + 0.1) < 1e-12
    figure = plot_depth_matched_gap_over_training(_depth_table())
    line = figure.axes[0].get_lines()[0]
    assert abs(line.get_ydata()[0] - 0.025) < 1e-12  # mean over seeds of 0.15 and -0.1


def _search_table():
    rows = []
    for seed in (0, 1):
        for step in (0, 100):
            for prior, tv in (("policy", 0.1), ("uniform", 0.3)):
                for sims in (5, 50):
                    rows.append(dict(env="cartpole", seed=seed, step=step, prior=prior, leaf="rollout",
                                     num_simulations=sims, state_index=0,
                                     tv_distance=tv + 0.01 * seed + (1.0 if sims == 5 else 0.0),
                                     kl_divergence=0.5, path_error=1.0 + step / 100, mean_depth=2.0,
                                     prior_entropy=0.6 - step / 1000 + 0.02 * seed, prior_top=0.7 + 0.1 * seed,
                                     visits_on_prior_top=0.9 if prior == "policy" else 0.5, num_paths=50))
    return pd.DataFrame(rows)


def test_over_training_figure_draws_the_largest_simulation_count_per_step():
    figure = plot_search_prior_over_training(_search_table())
    tv_axis, visits_axis, entropy_axis = figure.axes[1], figure.axes[3], figure.axes[4]
    lines = {line.get_label(): line for line in tv_axis.get_lines()}
    policy = lines["policy prior, rollout leaves"]
    # 50 simulations only: seeds give 0.10 and 0.11 -> 0.105 at both steps
    np.testing.assert_allclose(policy.get_ydata(), [0.105, 0.105])
    np.testing.assert_allclose(lines["uniform prior, rollout leaves"].get_ydata(), [0.305, 0.305])
    np.testing.assert_allclose(policy.get_xdata(), [0, 100])
    # entropy: (0.6 + 0.62) / 2 at step 0, (0.5 + 0.52) / 2 at step 100
    np.testing.assert_allclose(entropy_axis.get_lines()[0].get_ydata(), [0.61, 0.51])
    visits = {line.get_label(): line.get_ydata() for line in visits_axis.get_lines()}
    np.testing.assert_allclose(visits["prior probability of its favourite"], [0.75, 0.75])
    np.testing.assert_allclose(visits["policy prior, rollout leaves"], [0.9, 0.9])
    np.testing.assert_allclose(visits["uniform prior, rollout leaves"], [0.5, 0.5])


def test_extra_figures_are_drawn_by_analyze_and_shown_in_the_report(tmp_path):
    paths = draw_table("search-prior", _search_table(), tmp_path / "out" / "search-prior")
    names = sorted(p.name for p in paths)
    assert names == ["search-prior-over-training.png", "search-prior-over-training.svg",
                     "search-prior.png", "search-prior.svg"]
    study = tmp_path / "study"
    out = study / "analysis" / "seed-0" / "search-prior"
    out.mkdir(parents=True)
    _search_table().to_parquet(out / "search-prior.parquet", index=False)
    page = build_report(study).read_text()
    assert "search-prior-over-training.png" in page
    assert "Fig. 6 over training" in page
    assert (study / "report" / "figures" / "search-prior-over-training.svg").is_file()
