"""Mean and standard error over seeds against hand-computed numbers."""

import math

import pandas as pd
import pytest

from mzlab.analysis.aggregate import mean_over_seeds


def test_mean_over_seeds_averages_within_then_across_seeds():
    frame = pd.DataFrame(
        {
            "env": ["a"] * 6 + ["b"],
            "seed": [0, 0, 1, 1, 2, 2, 0],
            "horizon": [1] * 7,
            "value": [1.0, 3.0, 4.0, 4.0, 6.0, 8.0, 5.0],
        }
    )
    result = mean_over_seeds(frame, ["env", "horizon"], "value").set_index("env")
    # per-seed means 2, 4, 7 -> mean 13/3, sample std sqrt(((2-13/3)^2 + (4-13/3)^2 + (7-13/3)^2) / 2)
    std = math.sqrt(((2 - 13 / 3) ** 2 + (4 - 13 / 3) ** 2 + (7 - 13 / 3) ** 2) / 2)
    assert result.loc["a", "mean"] == pytest.approx(13 / 3)
    assert result.loc["a", "standard_error"] == pytest.approx(std / math.sqrt(3))
    assert result.loc["a", "num_seeds"] == 3
    assert result.loc["b", "standard_error"] == 0.0 and result.loc["b", "mean"] == 5.0
