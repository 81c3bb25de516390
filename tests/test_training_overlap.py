"""Self-play beside the learner (``training.self_play_mode=overlap``) and the acting-weights refresh policies:
the same seed gives identical checkpoints, a separate acting copy refreshed every move reproduces lock-step,
``game`` refreshes only at game starts, and kill -9 mid-run resumes from the last complete checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from mzlab.cli import main
from mzlab.commands.train import build_config
from mzlab.runs import RunDirectory
from mzlab.training.acting import ActingCopy
from mzlab.training.loop import Trainer

TINY = [
    "network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
    "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
    "training.warmup_games=2", "training.checkpoint_interval=5", "training.compile=off", "training.device=cpu",
]
OVERLAP = ["training.self_play_mode=overlap"]


def train(run_dir, overrides, steps=12):
    argv = ["train", "--env", "cartpole", "--seed", "5", "--run-dir", str(run_dir), "--no-progress",
            "--set", f"training.training_steps={steps}"]
    for override in TINY + overrides:
        argv += ["--set", override]
    assert main(argv) == 0


def all_weights(run_dir):
    run = RunDirectory.open(run_dir)
    return {step: run.load_checkpoint(step)[0] for step in run.checkpoint_steps()}


def assert_same_checkpoints(first, second):
    assert first.keys() == second.keys()
    for step in first:
        for name, tensor in first[step].items():
            assert torch.equal(tensor, second[step][name]), (step, name)


def reproducible_metrics(run_dir):
    frame = RunDirectory.open(run_dir).read_metrics()
    return frame[[c for c in frame.columns if not c.startswith("time/")]]


def test_overlapped_runs_with_the_same_seed_are_identical(tmp_path, capsys):
    train(tmp_path / "a", OVERLAP, steps=23)
    train(tmp_path / "b", OVERLAP, steps=23)
    train(tmp_path / "lockstep", [], steps=23)
    capsys.readouterr()
    first, second = all_weights(tmp_path / "a"), all_weights(tmp_path / "b")
    assert sorted(first) == [0, 5, 10, 15, 20, 23]
    assert_same_checkpoints(first, second)
    assert reproducible_metrics(tmp_path / "a").equals(reproducible_metrics(tmp_path / "b"))
    # the stale acting weights change the games, so overlap is a different (documented) run than lock-step
    lockstep = all_weights(tmp_path / "lockstep")
    assert not all(torch.equal(first[23][name], lockstep[23][name]) for name in first[23])


def test_a_separate_acting_copy_refreshed_every_move_reproduces_lockstep(tmp_path):
    config = build_config("cartpole", 5, TINY + ["training.training_steps=12"])
    plain = Trainer(config, RunDirectory.create_or_resume(tmp_path / "plain", config), progress=False)
    plain.run()
    copied = Trainer(config, RunDirectory.create_or_resume(tmp_path / "copied", config), progress=False)
    copied.acting = ActingCopy(copied.network, discount=config.env.discount, device=copied.device)
    copied.run()
    assert copied.acting.refreshes > 1
    assert_same_checkpoints(all_weights(tmp_path / "plain"), all_weights(tmp_path / "copied"))


def test_game_refresh_takes_new_weights_only_when_a_game_starts(tmp_path):
    overrides = TINY + OVERLAP + ["training.acting_weights_refresh=game", "training.num_actors=1",
                                  "training.training_steps=60", "env.max_episode_steps=6"]
    config = build_config("cartpole", 5, overrides)
    trainer = Trainer(config, RunDirectory.create_or_resume(tmp_path / "run", config), progress=False)
    moves_into_game = []
    refresh = trainer.acting.refresh

    def recording_refresh(source):
        playing = trainer.self_play
        moves_into_game.append(0 if playing is None else len(playing._trajectories[0].actions))
        refresh(source)

    trainer.acting.refresh = recording_refresh
    trainer.run()
    games = trainer.games
    assert games >= 3 and moves_into_game.count(0) == len(moves_into_game)  # always at a game's first move
    assert len(moves_into_game) in (games, games + 1)  # once per game (+1 for the game in flight at the end)


def _checkpoint_json_count(run_dir: Path) -> int:
    return len(list((run_dir / "checkpoints").glob("step_*.json")))


def test_kill_9_during_overlapped_training_resumes_from_the_last_complete_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    argv = [sys.executable, "-m", "mzlab.cli", "train", "--env", "cartpole", "--seed", "2", "--run-dir",
            str(run_dir), "--no-progress", "--set", "training.training_steps=100000"]
    for override in TINY + OVERLAP:
        argv += ["--set", override]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while _checkpoint_json_count(run_dir) < 4:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "no checkpoints within the deadline"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    last = RunDirectory.open(run_dir).latest_checkpoint_step()
    assert last is not None and last >= 15
    config = build_config("cartpole", 2, TINY + OVERLAP + ["training.training_steps=100000"])
    trainer = Trainer(config, RunDirectory.create_or_resume(run_dir, config), progress=False)
    assert trainer.resume() == last
    summary = trainer.run(max_steps=last + 7)
    assert summary["resumed_from"] == last and summary["steps"] == last + 7
    run = RunDirectory.open(run_dir)
    assert run.latest_checkpoint_step() == last + 7
    frame = run.read_metrics()
    assert np.all(np.diff(frame["step"].to_numpy()) > 0)  # rows after the resumed checkpoint were dropped once
    tensors, metadata = run.load_checkpoint(last + 7)
    assert metadata["env_steps"] > 0 and all(torch.isfinite(t).all() for t in tensors.values())
    json.dumps(metadata)
