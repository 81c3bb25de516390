"""Breakout smoke run: a few learner steps of the residual network on CPU complete and write a checkpoint."""

import json

from mzlab.cli import main
from mzlab.runs import RunDirectory

TINY_BREAKOUT = [
    "network.num_blocks=1", "network.num_channels=4", "network.support_size=10", "search.num_simulations=2",
    "training.batch_size=4", "training.training_steps=2", "training.checkpoint_interval=2", "training.num_actors=2",
    "training.warmup_games=1", "env.max_episode_steps=10",
]


def test_breakout_smoke_run_writes_a_checkpoint(tmp_path, capsys):
    argv = ["train", "--env", "breakout", "--seed", "0", "--run-dir", str(tmp_path / "run"), "--no-progress"]
    for override in TINY_BREAKOUT:
        argv += ["--set", override]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 2 and summary["checkpoints"] == [0, 2]
    run = RunDirectory.open(tmp_path / "run")
    network = run.load_network(2)
    assert network.num_actions == 4 and tuple(network.observation_shape) == (12, 96, 96)  # 4 RGB frames
    row = run.read_metrics().iloc[-1]
    assert row["step"] == 2 and row["losses/total"] > 0
