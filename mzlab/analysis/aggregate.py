"""Mean and standard error over seeds, the aggregation of every figure (paper Section 3.1).

Rows are first averaged within a seed (over states, episodes or sequences), then the per-seed means are
averaged over seeds; the standard error is ``std(ddof=1) / sqrt(num_seeds)`` (0 with a single seed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["mean_over_seeds"]


def mean_over_seeds(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Columns ``[*by, mean, standard_error, num_seeds]`` of ``value`` grouped by ``by``."""
    by = list(by)
    per_seed = frame.groupby([*by, "seed"], dropna=False, sort=True)[value].mean().reset_index()
    grouped = per_seed.groupby(by, dropna=False, sort=True)[value]
    result = grouped.agg(["mean", "std", "count"]).reset_index()
    count = result["count"].to_numpy()
    std = result["std"].fillna(0.0).to_numpy()
    result["standard_error"] = np.where(count > 1, std / np.sqrt(np.maximum(count, 1)), 0.0)
    result = result.rename(columns={"count": "num_seeds"}).drop(columns="std")
    return result[[*by, "mean", "standard_error", "num_seeds"]]
