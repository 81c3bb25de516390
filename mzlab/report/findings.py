"""The paper's claims checked against a study's tables: one number per claim and environment, mean ± s.e.

Each claim is a short quote from the paper and a measure computed **per seed** from the result tables, so its
mean and standard error over seeds say how sure the sign is. A positive measure is what the claim predicts.
Verdicts: ``holds`` (mean > 2 s.e.), ``reversed`` (mean < -2 s.e.), ``unclear`` (within 2 s.e.); with one
seed there is no standard error and the verdict is the sign alone, marked ``(1 seed)``.

Pure functions on pandas frames; no plotting and no file writing here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Claim", "CLAIMS", "Finding", "findings", "verdict"]


@dataclass(frozen=True)
class Claim:
    figure: str
    quote: str
    """Words of the paper."""
    measure: str
    """What our number is (positive = as the paper says)."""
    table: str
    per_seed: Callable[[pd.DataFrame], pd.Series]
    """Table of one environment -> value per seed (index = seed); empty when the table cannot answer."""


@dataclass(frozen=True)
class Finding:
    claim: Claim
    env: str
    mean: float
    standard_error: float
    num_seeds: int
    variant: str | None = None
    """The study variant (``variant`` column) the number is for; None in a study without variants."""

    @property
    def verdict(self) -> str:
        return verdict(self.mean, self.standard_error, self.num_seeds)


def verdict(mean: float, standard_error: float, num_seeds: int) -> str:
    if not np.isfinite(mean):
        return "no data"
    if num_seeds < 2 or not np.isfinite(standard_error):
        return ("holds" if mean > 0 else "does not hold") + " (1 seed)"
    if mean > 2 * standard_error:
        return "holds"
    if mean < -2 * standard_error:
        return "reversed"
    return "unclear"


def _last_common(frame: pd.DataFrame, column: str = "step"):
    """The largest value of ``column`` that every seed of ``frame`` has (None if none)."""
    common = set.intersection(*(set(g[column]) for _, g in frame.groupby("seed")))
    return max(common) if common else None


def _seed_mean(frame: pd.DataFrame, value: str) -> pd.Series:
    return frame.groupby("seed")[value].mean()


def _mcts_over_prior(table):
    step = _last_common(table)
    part = table[(table["step"] == step) & (table["actions"] == "sample")]
    return _seed_mean(part[part["policy"] == "mcts"], "return") - _seed_mean(part[part["policy"] == "prior"], "return")


def _error_grows_with_horizon(table):
    longest, shortest = table["horizon"].max(), table["horizon"].min()
    per_step = table.groupby(["seed", "step", "horizon"])["policy_error"].mean().unstack("horizon")
    return (per_step[longest] - per_step[shortest]).groupby("seed").mean()


def _unlikely_sequences_err_more(table):
    part = table[table["step"] == _last_common(table)]
    half = part["rank"].max() / 2
    unlikely = _seed_mean(part[part["rank"] < half], "error")
    likely = _seed_mean(part[part["rank"] >= half], "error")
    return unlikely - likely


def _matrix(table, horizon):
    part = table[table["horizon"] == horizon]
    return part.groupby(["seed", "model_step", "policy_step"])["policy_error"].mean()


def _diagonal_smallest(table):
    horizon = max((h for h in table["horizon"].unique() if h <= 10), default=table["horizon"].min())
    values = []
    for seed, cells in _matrix(table, horizon).groupby("seed"):
        margins = []
        for model_step, row in cells.droplevel("seed").groupby("model_step"):
            row = row.droplevel("model_step")
            others = row.drop(model_step, errors="ignore")
            if model_step in row.index and len(others):
                margins.append(others.min() - row[model_step])
        values.append((seed, np.mean(margins) if margins else np.nan))
    return pd.Series(dict(values), dtype=float)


def _long_horizon_larger(table):
    horizons = sorted(table["horizon"].unique())
    short = max((h for h in horizons if h <= 10), default=None)
    if short is None or horizons[-1] <= 10:
        return pd.Series(dtype=float)
    long_cells, short_cells = _matrix(table, horizons[-1]), _matrix(table, short)
    return long_cells.groupby("seed").mean() - short_cells.groupby("seed").mean()


def _prior_gap(value: str, leaf: str):
    def measure(table):
        part = table[(table["step"] == _last_common(table)) & (table.get("leaf", "value") == leaf)]
        part = part[part["num_simulations"] == part["num_simulations"].max()]
        return _seed_mean(part[part["prior"] == "uniform"], value) - _seed_mean(part[part["prior"] == "policy"], value)

    return measure


def _depth_matched_gap(leaf: str):
    def measure(table):
        part = table[(table["step"] == _last_common(table)) & (table["leaf"] == leaf)]
        part = part[part["num_simulations"] == part["num_simulations"].max()].dropna(subset=["path_error"])
        by_depth = part.groupby(["seed", "depth", "prior"])["path_error"].mean().unstack("prior")
        if not {"policy", "uniform"} <= set(by_depth.columns):
            return pd.Series(dtype=float)
        return (by_depth["uniform"] - by_depth["policy"]).dropna().groupby("seed").mean()

    return measure


def _planning(table, model, prior):
    part = table[(table["step"] == _last_common(table)) & (table["model"] == model) & (table["prior"] == prior)]
    if model != "none":
        part = part[(part["leaf"] == "rollout") | (part["leaf"] == part["leaf"].min())]
        part = part[part["num_simulations"] == part["num_simulations"].max()]
    return _seed_mean(part, "return")


def _true_free_search_beats_learned(table):
    return _planning(table, "true", "uniform") - _planning(table, "learned", "uniform")


def _learned_beats_prior_alone(table):
    return _planning(table, "learned", "policy") - _planning(table, "none", "policy")


def _prior_matters_more_with_learned_model(table):
    learned = _planning(table, "learned", "policy") - _planning(table, "learned", "uniform")
    true = _planning(table, "true", "policy") - _planning(table, "true", "uniform")
    return learned - true


LARGEST = "at the largest simulation count, last checkpoint"
CLAIMS: list[Claim] = [
    Claim("Fig. 2", "planning enables MuZero to achieve a substantially better performance than directly using "
          "the policy prior", "return of MCTS minus the policy prior alone (both sampled), last checkpoint",
          "learning-curves", _mcts_over_prior),
    Claim("Fig. 3", "as the evaluation horizon increases, the errors consistently grow larger",
          "Def. 2 error at the longest minus the shortest horizon, mean over checkpoints", "value-error",
          _error_grows_with_horizon),
    Claim("Fig. 4", "as the likelihood of the behavior policy selecting the action sequence decreases, the value "
          "prediction error for that action sequence increases",
          "mean error of the less likely half of all sequences minus the more likely half, last checkpoint",
          "sequence-rank", _unlikely_sequences_err_more),
    Claim("Fig. 5", "models at all training steps are most accurate when evaluating policies at the same "
          "training steps", "per model step, smallest off-diagonal minus diagonal Def. 2 error (horizon K), "
          "mean over model steps", "cross-step", _diagonal_smallest),
    Claim("Fig. 9", "the value prediction errors here are significantly larger due to compounding errors",
          "mean Def. 2 error of the matrix at horizon 50 minus at horizon K", "cross-step", _long_horizon_larger),
]
for _leaf in ("rollout", "value"):
    CLAIMS += [
        Claim("Fig. 6", "the policy prior regularizes MCTS to visit actions that are more favored by it, as "
              "suggested by the lower total variation", f"TV(uniform) minus TV(policy prior), {_leaf} leaves, "
              + LARGEST, "search-prior", _prior_gap("tv_distance", _leaf)),
        Claim("Fig. 6", "[and lower] KL divergence", f"KL(uniform) minus KL(policy prior), {_leaf} leaves, "
              + LARGEST, "search-prior", _prior_gap("kl_divergence", _leaf)),
        Claim("Fig. 6", "which results in a smaller value prediction error", f"path error with the uniform minus "
              f"the policy prior, {_leaf} leaves, " + LARGEST, "search-prior", _prior_gap("path_error", _leaf)),
        Claim("Fig. 6", "(our check: the same at equal path depth)", f"as above, mean over depths of the per-depth "
              f"difference, {_leaf} leaves", "search-prior-depth", _depth_matched_gap(_leaf)),
    ]
CLAIMS += [
    Claim("Fig. 7", "it significantly underperforms compared to free search with the ground-truth model",
          "return of free search (uniform prior) with the true minus the learned model, " + LARGEST, "planning",
          _true_free_search_beats_learned),
    Claim("Fig. 7", "with enough MCTS simulations, planning with the learned model improves performance over "
          "using the policy prior alone", "return of learned-model MCTS (policy prior) minus the prior alone, "
          + LARGEST, "planning", _learned_beats_prior_alone),
    Claim("Fig. 7", "the learned model consistently shows a larger gap compared to the ground-truth model",
          "(policy minus uniform prior) with the learned model minus the same with the true model, " + LARGEST,
          "planning", _prior_matters_more_with_learned_model),
]


def findings(tables: dict[str, pd.DataFrame]) -> list[Finding]:
    """Every claim whose table is present, per environment and, in a study with variants (a ``variant``
    column), per variant: seeds of different variants are never pooled (claims a table cannot answer are left
    out)."""
    result = []
    for claim in CLAIMS:
        table = tables.get(claim.table)
        if table is None or not len(table) or "seed" not in table.columns:
            continue
        for env, variant, part in _groups(table):
            try:
                values = claim.per_seed(part).dropna()
            except (KeyError, ValueError, TypeError):  # a table without the columns a claim needs
                continue
            if values.empty:
                continue
            count = len(values)
            se = float(values.std(ddof=1) / np.sqrt(count)) if count > 1 else float("nan")
            result.append(Finding(claim, str(env), float(values.mean()), se, count, variant))
    return result


def _groups(table: pd.DataFrame):
    """``(env, variant, rows)`` for every environment and variant of ``table`` (variant None without one)."""
    envs = sorted(table["env"].unique()) if "env" in table.columns else ["?"]
    for env in envs:
        part = table[table["env"] == env] if "env" in table.columns else table
        if "variant" not in part.columns:
            yield env, None, part
            continue
        for variant in sorted(part["variant"].dropna().unique()):
            yield env, str(variant), part[part["variant"] == variant]
