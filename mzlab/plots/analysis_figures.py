"""The paper's figures drawn from the analysis result tables only (mean ± standard error over seeds).

Each ``plot_<experiment>(table)`` returns a matplotlib figure; each experiment's spec names its function
(``mzlab/analysis/experiments/``), and :mod:`mzlab.plots.experiment_figures` draws it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mzlab.analysis.aggregate import mean_over_seeds
from mzlab.plots.style import band, figure_legend, log_axis, plt, step_axis

__all__ = [
    "plot_learning_curves",
    "plot_value_error",
    "plot_sequence_rank",
    "plot_cross_step",
    "plot_search_prior",
    "plot_search_prior_depth",
    "plot_planning",
    "cross_step_horizons",
    "missing_seeds_note",
]


def _grid(rows: int, cols: int, *, width: float = 4.2, height: float = 3.2):
    figure, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False,
                                layout="constrained")
    return figure, axes


def _env_columns(table: pd.DataFrame, *, width: float = 4.2, height: float = 3.2):
    """The paper's layout: one column per environment, one row per checkpoint step of that environment.
    Returns ``(figure, [(axis, env, step), ...])``; unused panels are hidden."""
    envs = sorted(table["env"].unique())
    steps = {env: sorted(table.loc[table["env"] == env, "step"].unique()) for env in envs}
    figure, axes = _grid(max(len(v) for v in steps.values()), len(envs), width=width, height=height)
    panels = []
    for column, env in enumerate(envs):
        for row in range(axes.shape[0]):
            if row < len(steps[env]):
                panels.append((axes[row, column], env, int(steps[env][row])))
            else:
                axes[row, column].set_visible(False)
    return figure, axes, panels


def missing_seeds_note(table: pd.DataFrame, by: list[str]) -> str:
    """``""`` when every group of ``by`` has rows from every seed of ``table``, else a sentence naming the
    groups that miss seeds (their means average fewer seeds)."""
    if "seed" not in table.columns or not len(table):
        return ""
    total = table["seed"].nunique()
    counts = table.groupby(by, dropna=False)["seed"].nunique()
    short = counts[counts < total]
    if short.empty:
        return ""
    names = ", ".join(f"{'/'.join(map(str, k if isinstance(k, tuple) else (k,)))} ({n} of {total})"
                      for k, n in short.items())
    return f"present in fewer seeds: {'/'.join(by)} = {names}"


def _note(figure, table: pd.DataFrame, by: list[str]) -> None:
    note = missing_seeds_note(table, by)
    if note:
        figure.suptitle(note, fontsize=7, color="tab:red")


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
        step_axis(axis)
    figure_legend(figure, axes.flat)
    _note(figure, table, ["env", "step"])
    return figure


def plot_value_error(table: pd.DataFrame):
    """Fig. 3: Def. 2 error (top) and E|G - Ĝ| (bottom) over training steps, one line per horizon."""
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
            step_axis(axis)
    figure_legend(figure, axes.flat, columns=8)
    _note(figure, table, ["env", "step"])
    return figure


def plot_sequence_rank(table: pd.DataFrame):
    """Fig. 4: per rank (least to most likely) the behaviour policy's probability and the value error; one
    column per environment, one row per checkpoint."""
    figure, _, panels = _env_columns(table)
    for axis, env, step in panels:
        part = table[(table["env"] == env) & (table["step"] == step)]
        probability = mean_over_seeds(part, ["rank"], "probability")
        error = mean_over_seeds(part, ["rank"], "error")
        band(axis, probability["rank"], probability["mean"], probability["standard_error"], color="tab:blue",
             label="probability under the behaviour policy (left axis)")
        axis.set(title=f"{env}, step {step}", xlabel="action sequences, least to most likely", ylabel="probability")
        axis.yaxis.label.set_color("tab:blue")
        twin = axis.twinx()
        band(twin, error["rank"], error["mean"], error["standard_error"], color="tab:orange",
             label="value prediction error |G - Ĝ| (right axis)")
        twin.set_ylabel("value prediction error |G - Ĝ|", color="tab:orange")
        if axis is panels[0][0]:
            figure_legend(figure, [axis, twin], columns=2)
    _note(figure, table, ["env", "step"])
    return figure


def cross_step_horizons(horizons) -> list[int]:
    """The horizons the cross-step figure draws: the largest up to 10 (Fig. 5: the unroll steps K, 10 or 5)
    and the largest beyond it (Fig. 9, Appendix B.1: 50), whichever exist."""
    horizons = sorted(int(h) for h in set(horizons))
    short = [h for h in horizons if h <= 10]
    chosen = ([short[-1]] if short else []) + ([horizons[-1]] if horizons[-1] > 10 else [])
    return chosen or horizons[-1:]


def plot_cross_step(table: pd.DataFrame):
    """Fig. 5 (horizon K) and Fig. 9 (horizon 50) side by side: Def. 2 error of the model at step X (rows)
    evaluating the behaviour policy of step Y (columns), one matrix per horizon and environment."""
    envs = sorted(table["env"].unique())
    panels = [(env, h) for env in envs for h in cross_step_horizons(table[table["env"] == env]["horizon"])]
    figure, axes = _grid(1, len(panels), width=4.8, height=4.2)
    for axis, (env, horizon) in zip(axes[0], panels, strict=True):
        part = table[(table["env"] == env) & (table["horizon"] == horizon)]
        stats = mean_over_seeds(part, ["model_step", "policy_step"], "policy_error")
        matrix = stats.pivot(index="model_step", columns="policy_step", values="mean")
        image = axis.imshow(matrix.to_numpy(), cmap="viridis")
        for (i, j), value in np.ndenumerate(matrix.to_numpy()):
            axis.text(j, i, f"{value:.2g}", ha="center", va="center", color="white", fontsize=7)
        axis.set_xticks(range(matrix.shape[1]), [str(c) for c in matrix.columns], rotation=45, fontsize=7)
        axis.set_yticks(range(matrix.shape[0]), [str(r) for r in matrix.index], fontsize=7)
        name = "Fig. 5" if horizon <= 10 else "Fig. 9"
        axis.set(title=f"{name}: {env}, horizon {horizon}", xlabel="policy step Y", ylabel="model step X")
        figure.colorbar(image, ax=axis, label="|E G - E Ĝ| (Def. 2)")
    _note(figure, table, ["env", "model_step", "policy_step"])
    return figure


def _leaf_style(leaf) -> str:
    return "-" if leaf == "rollout" else "--"


PRIOR_COLORS = {"policy": "tab:blue", "uniform": "tab:orange"}


def plot_search_prior(table: pd.DataFrame):
    """Fig. 6: path error, TV and KL between prior and root visits over simulations; policy vs uniform prior
    (colour), rollout vs value leaves (solid vs dashed); one row per environment and step."""
    panels = sorted(table[["env", "step"]].drop_duplicates().itertuples(index=False, name=None))
    figure, axes = _grid(len(panels), 3)
    titles = {"path_error": "value error of simulated paths", "tv_distance": "total variation",
              "kl_divergence": "KL(visits || prior)"}
    leaf = table["leaf"] if "leaf" in table.columns else pd.Series("value", index=table.index)
    table = table.assign(leaf=leaf)
    for row, (env, step) in enumerate(panels):
        part = table[(table["env"] == env) & (table["step"] == step)]
        for column, value in enumerate(titles):
            axis = axes[row, column]
            stats = mean_over_seeds(part, ["prior", "leaf", "num_simulations"], value)
            for (prior, leaf_kind), group in stats.groupby(["prior", "leaf"]):
                band(axis, group["num_simulations"], group["mean"], group["standard_error"],
                     label=f"{prior} prior, {leaf_kind} leaves", color=PRIOR_COLORS.get(prior),
                     linestyle=_leaf_style(leaf_kind), marker="o")
            axis.set(title=titles[value], xlabel="simulations")
            if column == 0:
                axis.set_ylabel(f"{env}, step {step}")
            log_axis(axis, part["num_simulations"].unique())
    figure_legend(figure, axes.flat)
    _note(figure, table, ["env", "step"])
    return figure


def plot_search_prior_depth(table: pd.DataFrame):
    """Fig. 6 split by path depth, at the largest simulation count: the value error of simulated paths of
    each depth (left) and the share of paths at each depth (right), per prior and leaf evaluation."""
    panels = sorted(table[["env", "step"]].drop_duplicates().itertuples(index=False, name=None))
    figure, axes = _grid(len(panels), 2)
    for row, (env, step) in enumerate(panels):
        part = table[(table["env"] == env) & (table["step"] == step)]
        simulations = int(part["num_simulations"].max())
        part = part[part["num_simulations"] == simulations]
        for column, value in enumerate(("path_error", "path_fraction")):
            axis = axes[row, column]
            data = part if value == "path_fraction" else part.dropna(subset=["path_error"])
            stats = mean_over_seeds(data, ["prior", "leaf", "depth"], value)
            if value == "path_fraction":  # depths no path of the setting reached in any seed are not drawn
                stats = stats[stats["mean"] > 0]
            for (prior, leaf_kind), group in stats.groupby(["prior", "leaf"]):
                band(axis, group["depth"], group["mean"], group["standard_error"],
                     label=f"{prior} prior, {leaf_kind} leaves", color=PRIOR_COLORS.get(prior),
                     linestyle=_leaf_style(leaf_kind), marker="o")
            title = "value error |G_k - Ĝ_k| of paths of depth k" if value == "path_error" else \
                "share of paths at depth k"
            axis.set(title=f"{title}\n{env}, step {step}, {simulations} simulations", xlabel="path depth k")
    figure_legend(figure, axes.flat)
    _note(figure, table, ["env", "step"])
    return figure


def plot_planning(table: pd.DataFrame):
    """Fig. 7: return over simulations for {learned, true} x {policy, uniform} prior; prior alone dotted with
    its ± standard error band; one column per environment, one row per checkpoint."""
    figure, axes, panels = _env_columns(table)
    colors = {"learned": "tab:orange", "true": "tab:green"}
    for axis, env, step in panels:
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
            mean, se = float(stats["mean"].iloc[0]), float(stats["standard_error"].iloc[0])
            axis.axhline(mean, color="tab:blue", linestyle=":", label="policy prior alone")
            axis.axhspan(mean - se, mean + se, color="tab:blue", alpha=0.15, lw=0)
        axis.set(title=f"{env}, step {step}", xlabel="simulations", ylabel="return")
        log_axis(axis, searched["num_simulations"].unique())
    figure_legend(figure, axes.flat, columns=3)
    _note(figure, table, ["env", "step"])
    return figure

