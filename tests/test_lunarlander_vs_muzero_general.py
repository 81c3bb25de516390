"""benchmarks/lunarlander_vs_muzero_general.py on a hand-made mzlab run, curve table and muzero-general CSV: the
placed points and what each agent reached by the common wall time equal the hand-computed values."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fakes import load_benchmark


def load_script():
    return load_benchmark("lunarlander_vs_muzero_general")


# mzlab's logged wall clock: step -> seconds (a resumed run logs step 1000 twice; the later row wins)
METRICS = [(100, 10.0), (200, 20.0), (1000, 90.0), (1000, 100.0), (2000, 250.0)]
# greedy MCTS episode returns per checkpoint; step 3000 lies past the last logged step
EPISODES = {0: [-100.0, -80.0], 1000: [10.0, 30.0], 2000: [50.0, 70.0], 3000: [90.0, 110.0]}
# muzero-general rows: counter, wall_seconds, test_game, total_reward, training_step, self_played_steps
MZG = [(0, 0.0, 0, 0.0, 0, 0), (1, 50.0, 1, -50.0, 100, 300), (2, 60.0, 1, -50.0, 120, 350),
       (3, 120.0, 2, -10.0, 500, 700), (4, 200.0, 3, 40.0, 900, 1000), (5, 400.0, 4, -20.0, 2000, 2000)]


def make_inputs(tmp_path: Path) -> dict:
    run = tmp_path / "run"
    run.mkdir()
    with open(run / "metrics.jsonl", "w") as handle:
        for step, seconds in METRICS:
            handle.write(json.dumps({"step": step, "losses/total": 1.0, "time/wall_seconds": seconds}) + "\n")
    table = pd.DataFrame([{"env": "lunarlander", "seed": 0, "step": step, "policy": "mcts", "actions": "greedy",
                           "episode": i, "return": value}
                          for step, values in EPISODES.items() for i, value in enumerate(values)]
                         + [{"env": "lunarlander", "seed": 0, "step": step, "policy": policy, "actions": actions,
                             "episode": 0, "return": 999.0}
                            for step in EPISODES for policy, actions in
                            (("prior", "greedy"), ("mcts", "sample"))])
    table.to_parquet(tmp_path / "learning-curves.parquet")
    columns = ["counter", "wall_seconds", "test_game", "total_reward", "training_step", "self_played_steps"]
    pd.DataFrame(MZG, columns=columns).to_csv(tmp_path / "curve.csv", index=False)
    return {"run": run, "table": tmp_path / "learning-curves.parquet", "csv": tmp_path / "curve.csv"}


def test_mzlab_points_are_greedy_means_placed_on_its_training_clock(tmp_path):
    tool = load_script()
    paths = make_inputs(tmp_path)
    clock = tool.mzlab_clock([json.loads(line) for line in (paths["run"] / "metrics.jsonl").read_text().splitlines()])
    assert clock[0].tolist() == [0, 100, 200, 1000, 2000] and clock[1].tolist() == [0, 10, 20, 100, 250]
    curve = tool.mzlab_curve(tool.read_mzlab_table(paths["table"]), clock)
    assert curve["step"].tolist() == [0, 1000, 2000, 3000]
    assert curve["mean"].tolist() == [-90.0, 20.0, 60.0, 100.0]
    assert curve["episodes"].tolist() == [2, 2, 2, 2]
    assert curve["standard_error"].tolist() == pytest.approx([10.0] * 4)  # std(ddof=1) 14.14 / sqrt(2)
    assert curve["wall_seconds"].tolist()[:3] == [0.0, 100.0, 250.0] and np.isnan(curve["wall_seconds"].iloc[3])
    # a checkpoint between logged steps is placed linearly
    between = tool.mzlab_curve(pd.DataFrame({"step": [1500], "return": [1.0]}), clock)
    assert between["wall_seconds"].tolist() == [175.0]


def test_evaluate_jsonl_gives_the_same_curve_as_the_table(tmp_path):
    tool = load_script()
    lines = [json.dumps({"step": step, "policy": "mcts", "actions": "greedy", "returns": values, "mean_return": 0})
             for step, values in EPISODES.items()]
    (tmp_path / "evaluations.jsonl").write_text("\n".join(lines) + "\n")
    clock = (np.array([0.0, 2000.0]), np.array([0.0, 200.0]))
    from_jsonl = tool.mzlab_curve(tool.read_mzlab_table(tmp_path / "evaluations.jsonl"), clock)
    from_table = tool.mzlab_curve(tool.read_mzlab_table(make_inputs(tmp_path)["table"]), clock)
    pd.testing.assert_frame_equal(from_jsonl, from_table)


def test_summary_is_what_each_agent_reached_by_the_common_wall_time(tmp_path):
    tool = load_script()
    paths = make_inputs(tmp_path)
    out = tmp_path / "figures" / "comparison"
    assert tool.main(["--mzlab-run", str(paths["run"]), "--mzlab-curve", str(paths["table"]),
                      "--muzero-general", str(paths["csv"]), "--out", str(out), "--window", "2"]) == 0
    summary = json.loads(out.with_suffix(".json").read_text())
    assert summary["seconds"] == 250.0  # the shorter run: mzlab's last logged 250 s vs muzero-general's 400 s
    assert summary["mzlab"] == {"learner_steps": 2000, "checkpoints": 3, "best_mean_return": 60.0,
                                "best_at_step": 2000, "last_mean_return": 60.0, "last_step": 2000}
    # games by 250 s: -50 (50 s), -10 (120 s), 40 (200 s); means of the last 2: -50, -30, 15
    assert summary["muzero_general"] == {"learner_steps": 900, "self_played_steps": 1000, "test_games": 3,
                                         "best_game_return": 40.0, "best_mean_of_2_games": 15.0,
                                         "last_mean_of_2_games": 15.0}
    assert out.with_suffix(".png").stat().st_size > 0 and "<svg" in out.with_suffix(".svg").read_text()


def test_an_earlier_common_time_cuts_both_curves(tmp_path):
    tool = load_script()
    paths = make_inputs(tmp_path)
    clock = tool.mzlab_clock([json.loads(line) for line in (paths["run"] / "metrics.jsonl").read_text().splitlines()])
    curve = tool.mzlab_curve(tool.read_mzlab_table(paths["table"]), clock)
    rows = pd.read_csv(paths["csv"])
    games = tool.muzero_general_games(rows, window=2)
    assert games["test_game"].tolist() == [1, 2, 3, 4] and games["counter"].tolist() == [1, 3, 4, 5]
    summary = tool.summarize(curve, clock, rows, games, window=2, seconds=110.0)
    assert summary["mzlab"]["learner_steps"] == 1000 and summary["mzlab"]["best_mean_return"] == 20.0
    assert summary["muzero_general"]["learner_steps"] == 120
    assert summary["muzero_general"]["test_games"] == 1
    assert summary["muzero_general"]["best_mean_of_2_games"] == -50.0
