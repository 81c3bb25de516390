"""Fig. 6 with random-rollout leaves and split by path depth, against a search traced by hand on the ring MDP.

The "learned" model has rewards ``Rm[s, a] = m[s]`` (the same for both actions, so a one-step rollout's value
is known whatever action it draws) and the table policy as its prior; ``tie_break = first``. Two simulations
from state 0 (prior 0.5 / 0.5):

- simulation 1 (every score 0, first action): edge (0, a=0) into state 1, reward Rm[0] = 1;
  the rollout leaf value is Rm[1] = -3, the value leaf 0;
- rollout: Q(a=0) = 1 + 0.9 * (-3) = -1.7 is the minimum the min-max statistics saw (the root fed
  0.9 * -1.7 = -1.53), so it normalises to 0 and a=1 (prior term 1.25 * 0.5) wins: paths (0), (1), visits 1/1;
- value: Q(a=0) = 1 normalises to 1 (root fed 0.9), a=0 again, then at state 1 (prior 0.25 / 0.75) a=1:
  paths (0), (0, 1), visits 2/0.

True returns (ring rewards R): (0) 1, (1) 0, (0, 1) 1 + 0.9 * 2 = 2.8; model: (0) 1, (1) 1, (0, 1) 1 - 2.7.
"""

import math

import numpy as np
import pytest
from analysis_fakes import POLICY, RingSimulator, TableModel, start_states

from mzlab.analysis.search_prior import search_prior_tables
from mzlab.config import SearchConfig

MODEL_REWARDS = np.array([[1.0, 1.0], [-3.0, -3.0], [0.0, 0.0]])


def tables():
    model = TableModel(MODEL_REWARDS, 0.9, np.log(POLICY + 1e-300))
    snapshots, observations = start_states([0])
    return search_prior_tables(
        RingSimulator(horizon=5), model, snapshots, observations, search_config=SearchConfig(tie_break="first"),
        simulations=[2], discount=0.9, rng=np.random.default_rng(0), priors=("policy",),
        leaves=("rollout", "value"), rollout_horizon=1,
    )


def test_rollout_and_value_leaves_match_the_hand_traced_searches():
    frame, _ = tables()
    rows = frame.set_index("leaf")
    assert rows.loc["rollout", "path_error"] == pytest.approx(0.5)
    assert rows.loc["rollout", "tv_distance"] == pytest.approx(0.0)
    assert rows.loc["rollout", "kl_divergence"] == pytest.approx(0.0)
    assert rows.loc["rollout", "mean_depth"] == pytest.approx(1.0)
    assert rows.loc["value", "path_error"] == pytest.approx((0.0 + 4.5) / 2)
    assert rows.loc["value", "tv_distance"] == pytest.approx(0.5)
    assert rows.loc["value", "kl_divergence"] == pytest.approx(math.log(2))
    assert rows.loc["value", "mean_depth"] == pytest.approx(1.5)
    assert (frame["num_paths"] == 2).all()


def test_depth_table_splits_the_path_error_and_counts_paths_per_depth():
    _, depths = tables()
    rows = depths.set_index(["leaf", "depth"])
    assert sorted(depths["depth"].unique()) == [1, 2]  # up to the deepest path of any setting
    assert rows.loc[("rollout", 1), "path_error"] == pytest.approx(0.5)
    assert rows.loc[("rollout", 1), "path_fraction"] == 1.0
    assert np.isnan(rows.loc[("rollout", 2), "path_error"]) and rows.loc[("rollout", 2), "num_paths"] == 0
    assert rows.loc[("value", 1), "path_error"] == pytest.approx(0.0)
    assert rows.loc[("value", 2), "path_error"] == pytest.approx(4.5)
    assert rows.loc[("value", 1), "path_fraction"] == rows.loc[("value", 2), "path_fraction"] == 0.5
