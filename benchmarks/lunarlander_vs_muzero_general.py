"""Lunar Lander learning curves of mzlab and of muzero-general, against wall-clock time and learner steps.

    python benchmarks/lunarlander_vs_muzero_general.py --mzlab-run RUN --mzlab-curve TABLE \\
        --muzero-general MZG_OUT/curve.csv --out docs/figures/lunarlander-vs-muzero-general [--window 10]
        [--seconds T]

- ``RUN``: an mzlab run directory; its ``metrics.jsonl`` gives the training wall clock at each logged learner
  step (``time/wall_seconds``: the training loop's time, set-up and evaluation excluded), which places each
  checkpoint of the curve in time (linear between logged steps).
- ``TABLE``: the mzlab curve, one row per evaluation episode: ``mzlab analyze learning-curves``'s table
  (``learning-curves.parquet`` or a CSV of it; rows ``policy = mcts, actions = greedy`` are used), or a
  ``.jsonl`` of ``mzlab evaluate`` outputs (one JSON object per line; ``step`` and ``returns``). Each point is
  the mean greedy MCTS return over that checkpoint's episodes, with its standard error.
- ``curve.csv``: written by ``benchmarks/muzero_general_lunarlander.py``. Each of its test worker's games is
  one point (its latest game's return, placed at the first logged row that shows it), and the line is the mean
  of the last ``--window`` games.

Both returns are the game's score divided by 3 (muzero-general's game scales rewards so, and mzlab's
``lunarlander`` preset copies it). Writes ``OUT.png``, ``OUT.svg`` and ``OUT.json`` and prints the summary
as one JSON line: per agent, what it reached by the common wall-clock time ``T`` (``--seconds``, default: the
shorter of the two runs).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from mzlab.plots.style import band, figure_legend, plt, save_figure
from mzlab.run_metrics import read_rows

__all__ = ["mzlab_clock", "read_mzlab_table", "mzlab_curve", "muzero_general_games", "summarize", "plot"]


def mzlab_clock(rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, wall_seconds)`` of the logged learner steps, starting at ``(0, 0)``; the last row of a step
    wins (a resumed run)."""
    clock = {0: 0.0}
    for row in rows:
        if "step" in row and "time/wall_seconds" in row:
            clock[int(row["step"])] = float(row["time/wall_seconds"])
    steps = np.array(sorted(clock), dtype=float)
    return steps, np.array([clock[int(step)] for step in steps])


def read_mzlab_table(path: str | Path) -> pd.DataFrame:
    """Episode rows ``step, return`` (and ``policy, actions`` where known) from a learning-curves table
    (``.parquet`` / ``.csv``) or a ``.jsonl`` of ``mzlab evaluate`` outputs."""
    path = Path(path)
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path)
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            result = json.loads(line)
            rows += [{"step": result["step"], "policy": result.get("policy", "mcts"),
                      "actions": result.get("actions", "greedy"), "return": value} for value in result["returns"]]
    return pd.DataFrame(rows)


def mzlab_curve(table: pd.DataFrame, clock: tuple[np.ndarray, np.ndarray]) -> pd.DataFrame:
    """Per checkpoint: ``step, mean, standard_error, episodes, wall_seconds`` of the greedy MCTS returns
    (checkpoints past the last logged step get no wall time: NaN)."""
    if "policy" in table:
        table = table[table["policy"] == "mcts"]
    if "actions" in table:
        table = table[table["actions"] == "greedy"]
    grouped = table.groupby("step")["return"]
    curve = pd.DataFrame({"mean": grouped.mean(), "episodes": grouped.size(),
                          "standard_error": grouped.std(ddof=1) / np.sqrt(grouped.size())}).reset_index()
    curve["standard_error"] = curve["standard_error"].fillna(0.0)
    steps, wall = clock
    curve["wall_seconds"] = np.interp(curve["step"], steps, wall, right=np.nan)
    return curve


def muzero_general_games(rows: pd.DataFrame, window: int) -> pd.DataFrame:
    """One row per finished test game (the first logged row showing it), with the mean of the last ``window``
    games as ``rolling_mean``."""
    rows = rows.sort_values("counter")
    new = rows["test_game"] > rows["test_game"].shift(1, fill_value=0)
    games = rows[new & (rows["test_game"] > 0)].copy()
    games["rolling_mean"] = games["total_reward"].rolling(window, min_periods=1).mean()
    return games.reset_index(drop=True)


def _last_at_or_before(frame: pd.DataFrame, seconds: float) -> dict | None:
    part = frame[frame["wall_seconds"] <= seconds]
    return None if part.empty else part.iloc[-1].to_dict()


def summarize(curve: pd.DataFrame, clock, rows: pd.DataFrame, games: pd.DataFrame, *, window: int,
              seconds: float | None = None) -> dict:
    """What each agent reached by ``seconds`` (default: the shorter run's wall time)."""
    steps, wall = clock
    if seconds is None:
        seconds = float(min(wall[-1], rows["wall_seconds"].max()))
    timed = curve[curve["wall_seconds"] <= seconds]
    last = _last_at_or_before(timed, seconds)
    reached = int(steps[wall <= seconds].max())
    mzg_last = _last_at_or_before(rows, seconds)
    mzg_games = games[games["wall_seconds"] <= seconds]

    def number(value):
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 3)

    return {
        "case": "lunarlander_vs_muzero_general", "seconds": round(seconds, 1),
        "mzlab": {"learner_steps": reached, "checkpoints": len(timed),
                  "best_mean_return": number(timed["mean"].max()) if len(timed) else None,
                  "best_at_step": int(timed.loc[timed["mean"].idxmax(), "step"]) if len(timed) else None,
                  "last_mean_return": number(last["mean"]) if last else None,
                  "last_step": int(last["step"]) if last else None},
        "muzero_general": {"learner_steps": int(mzg_last["training_step"]) if mzg_last else 0,
                           "self_played_steps": int(mzg_last["self_played_steps"]) if mzg_last else 0,
                           "test_games": len(mzg_games),
                           "best_game_return": number(mzg_games["total_reward"].max()) if len(mzg_games) else None,
                           f"best_mean_of_{window}_games": number(mzg_games["rolling_mean"].max())
                           if len(mzg_games) else None,
                           f"last_mean_of_{window}_games": number(mzg_games["rolling_mean"].iloc[-1])
                           if len(mzg_games) else None},
    }


def plot(curve: pd.DataFrame, games: pd.DataFrame, *, window: int, seconds: float):
    """Two panels: return against wall-clock hours and against learner steps."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), squeeze=True, layout="constrained")
    timed = curve.dropna(subset=["wall_seconds"])
    for axis, x_mz, x_mg, label in ((axes[0], timed["wall_seconds"] / 3600, games["wall_seconds"] / 3600,
                                     "wall-clock hours of training"),
                                    (axes[1], curve["step"], games["training_step"], "learner steps")):
        frame = timed if axis is axes[0] else curve
        band(axis, x_mz, frame["mean"], frame["standard_error"], label="mzlab (mean greedy MCTS return)",
             color="tab:blue", marker="o")
        axis.scatter(x_mg, games["total_reward"], s=6, alpha=0.35, color="tab:orange",
                     label="muzero-general (one test-worker game)")
        axis.plot(x_mg, games["rolling_mean"], color="tab:orange", label=f"muzero-general (mean of last {window})")
        axis.set(xlabel=label, ylabel="return (score / 3)")
    axes[0].axvline(seconds / 3600, color="grey", linestyle=":", lw=1)
    axes[1].xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:g}k" if value else "0"))
    figure.suptitle("Lunar Lander: mzlab `lunarlander` preset vs muzero-general, same machine", fontsize=10)
    figure_legend(figure, axes, columns=3)
    return figure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mzlab-run", required=True, help="mzlab run directory (its metrics.jsonl)")
    parser.add_argument("--mzlab-curve", required=True, help="learning-curves .parquet/.csv or mzlab evaluate .jsonl")
    parser.add_argument("--muzero-general", required=True, help="curve.csv of muzero_general_lunarlander.py")
    parser.add_argument("--out", required=True, help="output stem: writes OUT.png, OUT.svg, OUT.json")
    parser.add_argument("--window", type=int, default=10, help="muzero-general games per mean (default 10)")
    parser.add_argument("--seconds", type=float, default=None, help="common wall time T (default: shorter run)")
    args = parser.parse_args(argv)
    clock = mzlab_clock(read_rows(Path(args.mzlab_run) / "metrics.jsonl"))
    curve = mzlab_curve(read_mzlab_table(args.mzlab_curve), clock)
    rows = pd.read_csv(args.muzero_general)
    games = muzero_general_games(rows, args.window)
    summary = summarize(curve, clock, rows, games, window=args.window, seconds=args.seconds)
    save_figure(plot(curve, games, window=args.window, seconds=summary["seconds"]), args.out)
    Path(args.out).with_suffix(".json").write_text(json.dumps(summary) + "\n")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
