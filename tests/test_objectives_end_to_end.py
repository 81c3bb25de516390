"""Every registered objective trains, checkpoints its extra heads, resumes and is analysable (tiny budget).

One parametrised test over :func:`objective_names`, as stable-baselines3 tests every algorithm: a new objective
file is covered without touching this test.
"""

import pandas as pd
import pytest
import torch

from mzlab.cli import main
from mzlab.commands.train import build_config
from mzlab.runs import RunDirectory, split_objective_weights
from mzlab.training.loop import Trainer
from mzlab.training.objectives.registry import objective_names

TINY = [
    "network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
    "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
    "training.warmup_games=2", "training.training_steps=10", "training.checkpoint_interval=5",
    "training.consistency_projection_size=8", "training.consistency_predictor_hidden_size=4",
]


def train_argv(run_dir, objective, *extra):
    argv = ["train", "--env", "cartpole", "--seed", "1", "--run-dir", str(run_dir), "--no-progress",
            "--set", f"training.objective={objective}"]
    for override in TINY:
        argv += ["--set", override]
    return argv + list(extra)


@pytest.mark.parametrize("objective", objective_names())
def test_every_objective_trains_checkpoints_resumes_and_is_analysable(objective, tmp_path, capsys):
    run_dir = tmp_path / objective
    assert main(train_argv(run_dir, objective, "--max-steps", "5")) == 0
    assert main(train_argv(run_dir, objective)) == 0  # resumes from step 5
    assert '"resumed_from": 5' in capsys.readouterr().out
    run = RunDirectory.open(run_dir)
    assert run.checkpoint_steps() == [0, 5, 10]
    weights, metadata = run.load_checkpoint(10)
    network_weights, heads = split_objective_weights(weights)
    assert metadata["objective"] == {"name": objective, "tensors": len(heads)}

    # a resumed trainer holds exactly the saved heads, and every one of them was saved
    config = build_config("cartpole", 1, [f"training.objective={objective}", *TINY])
    trainer = Trainer(config, RunDirectory.create_or_resume(run_dir, config), progress=False)
    assert trainer.resume() == 10
    state = trainer.learner.objective.state_dict()
    assert sorted(state) == sorted(heads)
    for name, tensor in state.items():
        assert torch.equal(tensor, heads[name]), name
    # the heads' weights were trained: they moved between checkpoints
    heads_before = split_objective_weights(run.load_checkpoint(5)[0])[1]
    trained = [n for n, _ in trainer.learner.objective.named_parameters()]
    assert all(not torch.equal(heads_before[n], heads[n]) for n in trained if n.endswith("weight"))

    # the logged metrics hold the objective's own term; the analysis reads h, g, f alone
    metrics = run.read_metrics()
    if objective != "muzero":  # convention: an objective logs its own term as losses/<name>
        assert metrics[f"losses/{objective}"].notna().all()
    network = run.load_network(10)
    assert set(network.state_dict()) == set(network_weights)
    out = tmp_path / "analysis"
    assert main(["analyze", "value-error", "--run-dir", str(run_dir), "--out", str(out), "--quick"]) == 0
    table = pd.read_parquet(out / "value-error.parquet")
    assert len(table) > 0 and table["policy_error"].notna().all()
