"""Figure captions of the report: what is plotted, over how much data, and any cap on the budget.

What a figure shows is its table's ``caption`` in the experiment's spec (``mzlab/analysis/experiments/``). The
budget is read from the table itself (states, samples, episodes, simulations, horizons, checkpoints, seeds)
plus the analysis options the studies ran with (``study.json``), so a caption cannot disagree with the data.
"""

from __future__ import annotations

import pandas as pd

from mzlab.analysis.registry import table_spec

__all__ = ["caption"]


def _values(table: pd.DataFrame, column: str) -> list:
    return sorted(table[column].dropna().unique().tolist()) if column in table.columns else []


def _span(values: list) -> str:
    values = [int(v) for v in values]
    if len(values) > 6:
        return f"{values[0]}, {values[1]}, ..., {values[-1]} ({len(values)} values)"
    return ", ".join(str(v) for v in values)


def caption(name: str, table: pd.DataFrame, studies: list[dict]) -> str:
    """The caption of experiment ``name``'s figure drawn from ``table``; ``studies`` = their study.json."""
    spec = table_spec(name)
    parts = [spec.caption if spec is not None and spec.caption else f"{name}: mean ± standard error over seeds."]
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
