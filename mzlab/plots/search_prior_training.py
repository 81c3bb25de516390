"""Fig. 6 over training: the search-prior measures at the largest simulation count, against the checkpoint step.

The paper draws Fig. 6 for one trained agent. Whether its effect holds can depend on how far training went
(the prior sharpens), on the leaf evaluation and on the depth of the simulated paths, so these figures follow
the same numbers over the checkpoints of a study: the raw measures with the prior's entropy, and the path error
compared at equal path depth.
"""

from __future__ import annotations

import pandas as pd

from mzlab.analysis.aggregate import mean_over_seeds
from mzlab.plots.style import band, figure_legend, plt, step_label

__all__ = ["plot_search_prior_over_training", "plot_depth_matched_gap_over_training", "depth_matched_gap"]

_PRIOR_COLORS = {"policy": "tab:blue", "uniform": "tab:orange"}
_TITLES = {"path_error": "value error of simulated paths", "tv_distance": "total variation",
           "kl_divergence": "KL(visits || prior)", "visits_on_prior_top": "share of visits on the prior's favourite",
           "prior_entropy": "entropy of the policy prior (nats)"}


def _largest_simulations(table: pd.DataFrame) -> pd.DataFrame:
    """Rows at the largest simulation count of each environment."""
    largest = table.groupby("env")["num_simulations"].transform("max")
    return table[table["num_simulations"] == largest]


def _with_leaf(table: pd.DataFrame) -> pd.DataFrame:
    return table if "leaf" in table.columns else table.assign(leaf="value")


def _step_axis(axis, steps) -> None:
    axis.set_xlabel("training step")
    axis.set_xticks(sorted(steps), [step_label(step) for step in sorted(steps)])
    axis.tick_params(axis="x", labelrotation=45, labelsize=7)


def plot_search_prior_over_training(table: pd.DataFrame):
    """Path error, TV and KL of the policy-prior and uniform-prior searches at the largest simulation count,
    the share of their visits on the prior's favourite action (against that action's prior probability), and
    the entropy of the network's prior, over the checkpoint steps; one row per environment."""
    table = _largest_simulations(_with_leaf(table))
    titles = [value for value in _TITLES if value in table.columns]
    envs = sorted(table["env"].unique())
    figure, axes = plt.subplots(len(envs), len(titles), figsize=(4.2 * len(titles), 3.4 * len(envs)),
                                squeeze=False, layout="constrained")
    for row, env in enumerate(envs):
        part = table[table["env"] == env]
        simulations = int(part["num_simulations"].max())
        network = part[part["prior"] == "policy"].drop_duplicates(["seed", "step", "state_index"])
        for column, value in enumerate(titles):
            axis = axes[row, column]
            if value == "prior_entropy":  # a property of the network at the state: the same for both searches
                stats = mean_over_seeds(network, ["step"], value)
                band(axis, stats["step"], stats["mean"], stats["standard_error"], color="tab:gray", marker="o",
                     label="policy prior entropy")
            else:
                if value == "visits_on_prior_top":
                    stats = mean_over_seeds(network, ["step"], "prior_top")
                    band(axis, stats["step"], stats["mean"], stats["standard_error"], color="tab:gray",
                         linestyle=":", marker="o", label="prior probability of its favourite")
                stats = mean_over_seeds(part, ["prior", "leaf", "step"], value)
                for (prior, leaf), group in stats.groupby(["prior", "leaf"]):
                    band(axis, group["step"], group["mean"], group["standard_error"], marker="o",
                         color=_PRIOR_COLORS.get(prior), linestyle="-" if leaf == "rollout" else "--",
                         label=f"{prior} prior, {leaf} leaves")
            if value == "path_error":  # the untrained model's error is ten times the rest
                axis.set_yscale("log")
            axis.set(title=f"{_TITLES[value]}\n{env}, {simulations} simulations")
            _step_axis(axis, part["step"].unique())
    figure_legend(figure, axes.flat, columns=5)
    return figure


def depth_matched_gap(depth_table: pd.DataFrame) -> pd.DataFrame:
    """Per env, seed, step and leaf at the largest simulation count: the mean over path depths of
    ``path_error(uniform) - path_error(policy)`` (depths where both priors have paths; positive = the policy
    prior's paths are more accurate at equal depth)."""
    part = _largest_simulations(_with_leaf(depth_table)).dropna(subset=["path_error"])
    by_depth = part.groupby(["env", "seed", "step", "leaf", "depth", "prior"])["path_error"].mean().unstack("prior")
    if not {"policy", "uniform"} <= set(by_depth.columns):
        return pd.DataFrame(columns=["env", "seed", "step", "leaf", "gap"])
    gap = (by_depth["uniform"] - by_depth["policy"]).dropna()
    return gap.groupby(["env", "seed", "step", "leaf"]).mean().rename("gap").reset_index()


def plot_depth_matched_gap_over_training(depth_table: pd.DataFrame):
    """The uniform-minus-policy path error at equal depth (mean over depths), at the largest simulation
    count, over the checkpoint steps: above zero the paper's Fig. 6 claim holds once depth is matched."""
    gaps = depth_matched_gap(depth_table)
    envs = sorted(gaps["env"].unique()) or [""]
    figure, axes = plt.subplots(1, len(envs), figsize=(5.0 * len(envs), 3.6), squeeze=False, layout="constrained")
    simulations = depth_table.groupby("env")["num_simulations"].max().to_dict()
    for axis, env in zip(axes.flat, envs, strict=True):
        part = gaps[gaps["env"] == env]
        stats = mean_over_seeds(part, ["leaf", "step"], "gap")
        for leaf, group in stats.groupby("leaf"):
            band(axis, group["step"], group["mean"], group["standard_error"], marker="o", color="tab:purple",
                 linestyle="-" if leaf == "rollout" else "--", label=f"{leaf} leaves")
        axis.axhline(0.0, color="black", linewidth=0.8)
        axis.set(title=f"path error, uniform minus policy prior, at equal depth\n{env}, "
                       f"{simulations.get(env, '?')} simulations", ylabel="mean over depths")
        _step_axis(axis, part["step"].unique())
    figure_legend(figure, axes.flat)
    return figure
