"""The reanalyse target network (``replay.target_network_interval``) survives a resume: its weights and the
weights its next refresh installs are saved in the checkpoint's state file, so a run trained in two pieces ends
with the same weights and state files as one trained without a break; a checkpoint from before the target was
saved still resumes, saying so in one line, with the target restarted from the resumed weights."""

import pytest
import torch
from test_training_loop import TINY

from mzlab.commands.train import build_config
from mzlab.runs import RunDirectory
from mzlab.training.loop import TARGET_STATE_KEY, Trainer
from mzlab.training.start import train_run

INTERVAL = 3
CHECKPOINT = 7  # not a multiple of INTERVAL: the target holds the step-3 weights, its next refresh the step-6 ones
TOTAL = 12
SETTINGS = [*TINY, "replay.reanalyse_fraction=0.5", f"replay.target_network_interval={INTERVAL}",
            f"training.checkpoint_interval={CHECKPOINT}", f"training.training_steps={TOTAL}"]
CONFIG = build_config("cartpole", 3, SETTINGS)


def snapshot(network):
    return {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}


def assert_same(first, second):
    assert first.keys() == second.keys()
    for name in first:
        torch.testing.assert_close(first[name], second[name], rtol=0, atol=0)


def assert_differ(first, second):
    assert any(not torch.equal(first[name], second[name]) for name in first)


def train_recording(run_dir, *, max_steps=None):
    """Train, recording the network after every learner step and the target network after the step-7 one."""
    trainer = Trainer(CONFIG, RunDirectory.create_or_resume(run_dir, CONFIG), progress=False)
    trainer.resume()
    after, target_at_checkpoint = {0: snapshot(trainer.network)}, {}

    def record(t):
        after[t.learner.step] = snapshot(t.network)
        if t.learner.step == CHECKPOINT:
            target_at_checkpoint.update(t.target.state())

    trainer.run(max_steps=max_steps, on_step=record)
    trainer.run_dir.close()
    return trainer, after, target_at_checkpoint


def checkpoint_files(run_dir, step):
    stem = f"step_{step:08d}"
    return {name: (run_dir / "checkpoints" / name).read_bytes()
            for name in (f"{stem}.safetensors", f"{stem}.state.safetensors")}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("uninterrupted") / "run"
    trainer, after, target = train_recording(run_dir)
    return {"path": run_dir, "trainer": trainer, "after": after, "target": target}


def test_the_target_lags_as_efficientzero_in_an_uninterrupted_run(uninterrupted):
    # refreshes before steps 0, 3, 6 (1-based learner steps 1, 4, 7): after step 7 the target holds the weights
    # after step 3 and the next refresh (before step 10) installs those after step 6
    after, target = uninterrupted["after"], uninterrupted["target"]
    assert_same(target["network"], after[3])
    assert_same(target["recent"], after[6])
    assert_differ(after[3], after[0])  # so a target restarted from the initial weights would differ
    saved = RunDirectory.open(uninterrupted["path"]).load_trainer_state(CHECKPOINT)[TARGET_STATE_KEY]
    assert_same(saved["network"], after[3])
    assert_same(saved["recent"], after[6])


def test_two_pieces_give_the_uninterrupted_run(uninterrupted, tmp_path):
    run_dir = tmp_path / "run"
    assert train_run(CONFIG, run_dir, max_steps=CHECKPOINT, progress=False)["checkpoints"] == [0, CHECKPOINT]
    resumed = Trainer(CONFIG, RunDirectory.create_or_resume(run_dir, CONFIG), progress=False)
    assert resumed.resume() == CHECKPOINT
    assert_same(snapshot(resumed.target.network), uninterrupted["after"][3])
    assert_same(resumed.target.state()["recent"], uninterrupted["after"][6])
    resumed.run_dir.close()
    summary = train_run(None, run_dir, progress=False)
    assert summary["resumed_from"] == CHECKPOINT and summary["checkpoints"] == [0, CHECKPOINT, TOTAL]
    # self-play plays no move after the warm-up here (train_ratio 1, env_steps > TOTAL), so nothing is lost with
    # the games in flight at the break and the two runs must agree bit for bit
    uninterrupted_run = RunDirectory.open(uninterrupted["path"])
    assert uninterrupted_run.checkpoint_metadata(CHECKPOINT)["env_steps"] == \
        uninterrupted_run.checkpoint_metadata(TOTAL)["env_steps"] > TOTAL
    for step in (0, CHECKPOINT, TOTAL):
        assert checkpoint_files(run_dir, step) == checkpoint_files(uninterrupted["path"], step), step
    first = uninterrupted_run.read_metrics()
    second = RunDirectory.open(run_dir).read_metrics()
    reproducible = [c for c in first.columns if not c.startswith("time/")]
    assert list(first["step"]) == [CHECKPOINT, TOTAL] and first[reproducible].equals(second[reproducible])


def test_a_checkpoint_without_the_target_still_resumes(uninterrupted, tmp_path, monkeypatch, capsys):
    run_dir = tmp_path / "run"
    saved_state = Trainer._trainer_state

    def as_before(trainer):  # what mzlab wrote before the target network was saved
        state = saved_state(trainer)
        del state[TARGET_STATE_KEY]
        return state

    monkeypatch.setattr(Trainer, "_trainer_state", as_before)
    train_run(CONFIG, run_dir, max_steps=CHECKPOINT, progress=False)
    monkeypatch.undo()
    assert TARGET_STATE_KEY not in RunDirectory.open(run_dir).load_trainer_state(CHECKPOINT)
    capsys.readouterr()

    resumed = Trainer(CONFIG, RunDirectory.create_or_resume(run_dir, CONFIG), progress=False)
    assert resumed.resume() == CHECKPOINT
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "no saved reanalyse target network" in lines[0] and f"checkpoint {CHECKPOINT}" in \
        lines[0] and str(run_dir) in lines[0]
    # the fallback: target and next refresh both take the resumed (step-7) weights
    step_7 = uninterrupted["after"][CHECKPOINT]
    assert_same(snapshot(resumed.network), step_7)
    assert_same(snapshot(resumed.target.network), step_7)
    assert_same(resumed.target.state()["recent"], step_7)
    summary = resumed.run()
    assert summary["steps"] == TOTAL and summary["checkpoints"] == [0, CHECKPOINT, TOTAL]
    # the new checkpoint saves the target again: after the refresh before step 9 it holds the step-7 weights
    saved = RunDirectory.open(run_dir).load_trainer_state(TOTAL)[TARGET_STATE_KEY]
    assert_same(saved["network"], step_7)
