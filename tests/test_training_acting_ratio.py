"""muzero-general's acting/learning interleave and move cap, counted.

``ratio``: the trainer waits while ``training_step / max(1, played_steps) > ratio`` and self-play waits while it
is ``< ratio`` (muzero-general ``trainer.py`` / ``self_play.py``), so learner steps track ``ratio * env steps``.
``max_moves``: a game stops once ``len(action_history) > max_moves`` with one dummy action first, i.e. after
exactly ``max_moves`` moves.
"""

import dataclasses

import numpy as np
from fakes import BanditModel, TabularSimulator

from mzlab.config import SearchConfig, preset
from mzlab.config_io import apply_overrides
from mzlab.runs import RunDirectory
from mzlab.training.loop import Trainer
from mzlab.training.replay import ReplayBuffer
from mzlab.training.self_play import SelfPlay


def test_cartpole_preset_learns_one_and_a_half_steps_per_env_step(tmp_path):
    config = apply_overrides(preset("cartpole"), [
        "search.num_simulations=2", "training.batch_size=8", "training.warmup_games=1",
        "training.training_steps=90", "training.checkpoint_interval=90", "training.device=cpu"])
    trainer = Trainer(config, RunDirectory.create_or_resume(tmp_path / "run", config), progress=False)
    counted = []
    trainer.run(on_step=lambda t: counted.append((t.learner.step, t.env_steps)))
    assert trainer.self_play.num_actors == 1
    warmup_env_steps = counted[0][1]
    for step, env_steps in counted:
        if env_steps > warmup_env_steps:  # past the warm-up game the learner keeps 1.5 steps per env step
            assert step - 1 < 1.5 * env_steps <= step + 1.5


def test_lunarlander_preset_caps_games_at_700_moves():
    config = preset("lunarlander")
    config = dataclasses.replace(config, search=SearchConfig(num_simulations=1))
    never_ending = TabularSimulator(np.array([[0, 0]]), np.ones((1, 2)), np.array([False]), discount=0.99,
                                    max_episode_steps=10_000)
    buffer = ReplayBuffer(config.replay, observation_shape=(1,), observation_dtype=np.float32, num_actions=2,
                          discount=0.99)
    self_play = SelfPlay(never_ending, config, np.random.default_rng(0))
    model = BanditModel([0.0, 0.0], [0.0, 0.0])
    finished = []
    while not finished:
        finished = self_play.play_move(model, training_step=0, buffer=buffer)
    assert [game.length for game in finished] == [700]
    assert buffer.num_transitions == 700
