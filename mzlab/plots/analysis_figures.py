"""The paper's figures drawn from the analysis result tables only (mean ± standard error over seeds).

Each ``plot_<experiment>(table)`` returns a matplotlib figure; :data:`FIGURES` maps experiment names to them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mzlab.analysis.aggregate import mean_over_seeds
from mzlab.plots.style import band, plt

__all__ = [
    "FIGURES",
    "plot_learning_curves",
    "plot_value_error",
    "plot_sequence_rank",
    "plot_cross_step",
    "plot_search_prior",
    "plot_planning",
]


def _grid(rows: int, cols: int, *, width: float = 4.2, height: float = 3.2):
    figure, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                                layout="constrained")
    return figure, axes


def plot_learning_curves(table: pd.DataFrame):
    """Figs. 2 and 8: return over training steps; MCTS vs policy prior, sampled and greedy."""
    envs = sorted(table["env"].unique())
    figure, axes = _grid(1, len(envs))
    stats = mean_over_seeds(table, ["env", "policy", "actions", "step"], "return")
    for axis, env in zip(axes[0], envs, strict=True):
        for (policy, actions), group in stats[stats["env"] == env].groupby(["policy", "actions"]):
            style = "-" if actions == "sample" else "--"
            label = f"{'behaviour policy (MCTS)' if policy == 'mcts' else 'policy prior'}, {actions}"
            band(axis, group["step"], group["mean"], group["standard_error"], label=label, linestyle=style, marker="o")
        axis.set(title=env, xlabel="training step", ylabel="return")
        axis.legend(fontsize=7)
    return figure


def plot_value_error(table: pd.DataFrame):
    """Figs. 3 and 9: Def. 2 error (top) and E|G - Ĝ| (bottom) over training steps, one line per horizon."""
    envs = sorted(table["env"].unique())
    figure, axes = _grid(2, len(envs))
    for column, env in enumerate(envs):
        part = table[table["env"] == env]
        horizons = sorted(part["horizon"].unique())
        colors = plt.cm.viridis(np.linspace(0, 1, max(len(horizons), 2)))
        for row, value in enumerate(("policy_error", "mean_sequence_error")):
            stats = mean_over_seeds(part, ["horizon", "step"], value)
            axis = axes[row, column]
            for color, horizon in zip(colors, horizons, strict=False):
                group = stats[stats["horizon"] == horizon]
                band(axis, group["step"], group["mean"], group["standard_error"], label=f"k={horizon}",
                     color=color, marker="o")
            ylabel = "|E G - E Ĝ| (Def. 2)" if value == "policy_error" else "E |G - Ĝ|"
            axis.set(title=env, xlabel="training step", ylabel=ylabel)
        axes[0, column].legend(fontsize=6, ncol=2)
    return figure


def plot_sequence_rank(table: pd.DataFrame):
    """Fig. 4: per rank (least to most likely) the behaviour policy's probability and the value error."""
    panels = sorted(table[["env", "step"]].drop_duplicates().itertuples(index=False, name=None))
    figure, axes = _grid(1, len(panels))
    for axis, (env, step) in zip(axes[0], panels, strict=True):
        part = table[(table["env"] == env) & (table["step"] == step)]
        probability = mean_over_seeds(part, ["rank"], "probability")
        error = mean_over_seeds(part, ["rank"], "error")
        band(axis, probability["rank"], probability["mean"], probability["standard_error"], color="tab:blue")
        axis.set(title=f"{env}, step {step}", xlabel="action sequences, least to most likely", ylabel="probability")
        axis.yaxis.label.set_color("tab:blue")
        twin = axis.twinx()
        band(twin, error["rank"], error["mean"], error["standard_error"], color="tab:orange")
        twin.set_ylabel("value prediction error |G - Ĝ|", color="tab:orange")
    return figure


def plot_cross_step(table: pd.DataFrame):
    """Figs. 5 and 9: Def. 2 error of model at step X (rows) evaluating the policy of step Y (columns)."""
    envs = sorted(table["env"].unique())
    figure, axes = _grid(1, len(envs), width=4.8, height=4.2)
    for axis, env in zip(axes[0], envs, strict=True):
        part = table[table["env"] == env]
        part = part[part["horizon"] == part["horizon"].max()]
        stats = mean_over_seeds(part, ["model_step", "policy_step"], "policy_error")
        matrix = stats.pivot(index="model_step", columns="policy_step", values="mean")
        image = axis.imshow(matrix.to_numpy(), cmap="viridis")
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            axis.text(j, i, f"{value:.2g}", ha="center", va="center", color="white", fontsize=7)
        axis.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], rotation=45, fontsize=7)
        axis.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index], fontsize=7)
        axis.set(title=f"{env}, horizon {int(part['horizon'].max())}", xlabel="policy step Y", ylabel="model step X")
        figure.colorbar(image, ax=axis, label="|E G - E Ĝ|")
    return figure


def plot_search_prior(table: pd.DataFrame):
    """Fig. 6: path error, TV and KL between prior and root visits over simulations; policy vs uniform prior."""
    panels = sorted(table[["env", "step"]].drop_duplicates().itertuples(index=False, name=None))
    figure, axes = _grid(len(panels), 3)
    titles = {"path_error": "value error of simulated paths", "tv_distance": "total variation",
              "kl_divergence": "KL(visits || prior)"}
    for row, (env, step) in enumerate(panels):
        part = table[(table["env"] == env) & (table["step"] == step)]
        for column, value in enumerate(titles):
            axis = axes[row, column]
            stats = mean_over_seeds(part, ["prior", "num_simulations"], value)
            for prior, group in stats.groupby("prior"):
                band(axis, group["num_simulations"], group["mean"], group["standard_error"], label=f"{prior} prior",
                     marker="o")
            axis.set(title=titles[value], xlabel="simulations")
            if column == 0:
                axis.set_ylabel(f"{env}, step {step}")
            axis.set_xscale("log")
            axis.legend(fontsize=7)
    return figure


def plot_planning(table: pd.DataFrame):
    """Fig. 7: return over simulations for {learned, true} x {policy, uniform} prior; prior alone dotted."""
    panels = sorted(table[["env", "step"]].drop_duplicates().itertuples(index=False, name=None))
    figure, axes = _grid(1, len(panels))
    colors = {"learned": "tab:orange", "true": "tab:green"}
    for axis, (env, step) in zip(axes[0], panels, strict=True):
        part = table[(table["env"] == env) & (table["step"] == step)]
        searched = part[part["model"] != "none"]
        stats = mean_over_seeds(searched, ["model", "prior", "leaf", "num_simulations"], "return")
        for (model, prior, leaf), group in stats.groupby(["model", "prior", "leaf"]):
            band(axis, group["num_simulations"], group["mean"], group["standard_error"], color=colors.get(model),
                 linestyle="-" if prior == "policy" else "--", marker="o" if leaf == "rollout" else "s",
                 label=f"{model} model, {prior} prior, {leaf} leaves")
        baseline = part[part["model"] == "none"]
        if len(baseline):
            stats = mean_over_seeds(baseline, ["model"], "return")
            axis.axhline(stats["mean"].iloc[0], color="tab:blue", linestyle=":", label="policy prior alone")
        axis.set(title=f"{env}, step {step}", xlabel="simulations", ylabel="return")
        axis.set_xscale("log")
        axis.legend(fontsize=6)
    return figure


FIGURES = {
    "learning-curves": plot_learning_curves,
    "value-error": plot_value_error,
    "sequence-rank": plot_sequence_rank,
    "cross-step": plot_cross_step,
    "search-prior": plot_search_prior,
    "planning": plot_planning,
}
