"""Figure captions of the report: what is plotted, over how much data, and any cap on the budget.

The budget is read from the table itself (states, samples, episodes, simulations, horizons, checkpoints, seeds)
plus the analysis options the studies ran with (``study.json``), so a caption cannot disagree with the data.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["WHAT", "caption"]

WHAT = {
    "learning-curves": "Return of MuZero's behaviour policy (MCTS) and of the policy prior alone, actions sampled "
                       "(solid) or greedy (dashed), over training steps (paper Figs. 2 and 8).",
    "value-error": "Value prediction error of the learned model evaluating its own behaviour policy, Def. 2 "
                   "|E G_k - E Ĝ_k| (top) and E|G_k - Ĝ_k| (bottom), over training steps, one line per horizon "
                   "k (Fig. 3).",
    "sequence-rank": "Every action sequence of length L from each on-policy state, ranked from least to most likely "
                     "under the behaviour policy: its probability (blue, left axis) and its value prediction error "
                     "|G_L - Ĝ_L| (orange, right axis) (Fig. 4).",
    "cross-step": "Def. 2 error of the learned model of checkpoint X (rows) evaluating the behaviour policy of "
                  "checkpoint Y (columns), states from X's on-policy distribution: Fig. 5 at horizon K and Fig. 9 "
                  "(Appendix B.1) at the long horizon.",
    "search-prior": "Learned-model MCTS guided by the policy prior (blue) or a uniform prior (orange), with "
                    "random-rollout (solid) or value-network (dashed) leaves, over the number of simulations: the "
                    "value error of the simulated paths, and the total variation and KL(visits || prior) between "
                    "the root visit distribution and the policy prior (Fig. 6).",
    "search-prior-depth": "Fig. 6's path error split by path depth k at the largest simulation count (left; a mean "
                          "over the states that have paths of depth k) and the share of paths at each depth "
                          "(right), per prior and leaf evaluation.",
    "planning": "Return of MCTS acting in the real environment with the learned (orange) or ground-truth (green) "
                "model, policy (solid) or uniform (dashed) prior, over the number of simulations; the policy prior "
                "alone dotted, with its band (Fig. 7).",
}


def _values(table: pd.DataFrame, column: str) -> list:
    return sorted(table[column].dropna().unique().tolist()) if column in table.columns else []


def _span(values: list) -> str:
    values = [int(v) for v in values]
    if len(values) > 6:
        return f"{values[0]}, {values[1]}, ..., {values[-1]} ({len(values)} values)"
    return ", ".join(str(v) for v in values)


def caption(name: str, table: pd.DataFrame, studies: list[dict]) -> str:
    """The caption of experiment ``name``'s figure drawn from ``table``; ``studies`` = their study.json."""
    parts = [WHAT.get(name, f"{name}: mean ± standard error over seeds.")]
    seeds = table.groupby("env")["seed"].nunique().to_dict() if {"env", "seed"} <= set(table.columns) else {}
    if seeds:
        parts.append("Mean ± one standard error over seeds (" + ", ".join(f"{env}: {n}" for env, n in seeds.items())
                     + "), after averaging within each seed.")
    budget = []
    step_column = "model_step" if "model_step" in table.columns else "step"
    if step_column in table.columns:
        budget.append(f"checkpoints {_span(_values(table, step_column))}")
    if "state_index" in table.columns:
        per_unit = table.groupby(["seed", step_column])["state_index"].nunique()
        budget.append(f"{int(per_unit.max())} on-policy states per checkpoint")
    if "num_samples" in table.columns:
        budget.append(f"{int(table['num_samples'].max())} Monte Carlo sequences per state")
    if "sequence" in table.columns and len(table):
        budget.append(f"sequence length {len(str(table['sequence'].iloc[0]).replace('.', ''))}")
    if "horizon" in table.columns:
        budget.append(f"horizons {_span(_values(table, 'horizon'))}")
    if "num_simulations" in table.columns:
        budget.append(f"simulations {_span([v for v in _values(table, 'num_simulations') if v > 0])}")
    if "episode" in table.columns:
        budget.append(f"{table['episode'].nunique()} episodes per setting and checkpoint")
    if "length" in table.columns and len(table):
        budget.append(f"longest episode {int(table['length'].max())} steps")
    if budget:
        parts.append("Budget: " + "; ".join(budget) + ".")
    options = sorted({" ".join(s.get("analysis_options") or []) for s in studies} - {""})
    quick = any(s.get("quick") for s in studies)
    for text in options:
        if "--max-episode-steps" in text:
            cap = text.split("--max-episode-steps")[1].split()[0]
            parts.append(f"Analysis episodes capped at {cap} steps (--max-episode-steps).")
    if options:
        parts.append("Analysis options: " + " | ".join(options) + ".")
    if quick:
        parts.append("QUICK smoke budget: these numbers mean nothing.")
    return " ".join(parts)
