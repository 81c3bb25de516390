"""The presets reproduce the paper's Tables 1 and 2 (values typed in from the paper's tables, as in docs/paper.md)."""

import pytest

from mzlab.config import preset
from mzlab.errors import MzlabError

PAPER_TABLE = {
    # name: (discount, steps, lr, decay rate, decay steps, batch, encoding, hidden, K, n, support, vlw, buffer)
    "cartpole": (0.997, 100_000, 0.02, 0.1, 50_000, 128, 8, (16,), 10, 50, 10, 1.0, 500),
    "lunarlander": (0.999, 1_000_000, 0.005, 1.0, None, 64, 10, (64,), 10, 30, 10, 1.0, 500),
}


@pytest.mark.parametrize("name", sorted(PAPER_TABLE))
def test_vector_presets_match_table_1(name):
    cfg = preset(name)
    discount, steps, lr, rate, decay_steps, batch, encoding, hidden, k, n, support, vlw, buffer = PAPER_TABLE[name]
    assert cfg.env.discount == discount
    assert cfg.training.training_steps == steps
    assert cfg.training.learning_rate == lr
    assert cfg.training.lr_decay_rate == rate
    if decay_steps is not None:
        assert cfg.training.lr_decay_steps == decay_steps
    assert cfg.training.batch_size == batch
    assert cfg.network.encoding_size == encoding
    assert cfg.network.hidden_layers == hidden
    assert (cfg.replay.num_unroll_steps, cfg.replay.td_steps) == (k, n)
    assert cfg.network.support_size == support
    assert cfg.training.value_loss_weight == vlw
    assert (cfg.replay.capacity, cfg.replay.capacity_unit) == (buffer, "games")
    assert (cfg.search.dirichlet_alpha, cfg.search.dirichlet_fraction) == (0.25, 0.25)
    assert cfg.replay.priority_alpha == 0.5
    assert cfg.search.num_simulations == 50
    assert cfg.training.weight_decay == 1e-4


def test_temperature_schedules():
    cartpole = preset("cartpole").training
    assert cartpole.temperature_steps == (50_000, 75_000)
    assert cartpole.temperatures == (1.0, 0.5, 0.25)
    assert preset("lunarlander").training.temperatures == (0.35,)
    assert preset("breakout").training.temperatures == (1.0,)


def test_lunar_lander_reward_scale_and_breakout_table_2():
    assert preset("lunarlander").env.reward_scale == pytest.approx(1 / 3)
    breakout = preset("breakout")
    assert (breakout.replay.num_unroll_steps, breakout.replay.td_steps) == (5, 5)
    assert breakout.network.support_size == 300
    assert breakout.training.value_loss_weight == 0.25
    assert (breakout.replay.capacity, breakout.replay.capacity_unit) == (100_000, "transitions")
    assert breakout.training.batch_size == 256


def test_unknown_preset_lists_valid_names():
    with pytest.raises(MzlabError, match="breakout, cartpole, lunarlander"):
        preset("pong")


def test_vector_presets_act_and_learn_as_muzero_general():
    """muzero-general games/cartpole.py and games/lunarlander.py: num_workers = 1, ratio = 1.5 (Cart Pole),
    max_moves = 500 / 700; trainer.py's hook on each dynamics output and 1/min(K, steps left) loss scale."""
    cartpole, lunarlander = preset("cartpole"), preset("lunarlander")
    assert (cartpole.training.num_actors, cartpole.training.train_ratio) == (1, 1.5)
    assert cartpole.env.max_episode_steps == 500
    assert (lunarlander.training.num_actors, lunarlander.env.max_episode_steps) == (1, 700)
    for config in (cartpole, lunarlander):
        assert config.training.gradient_scale_mode == "latent_hook"
        assert config.training.unroll_loss_scale == "steps_left"
        assert config.network.state_norm and config.training.max_grad_norm == 0.0


def test_breakout_preset_is_efficientzeros_agent():
    """EfficientZero config/atari/__init__.py + core/config.py + core/train.py + train.sh (docs/config.md)."""
    breakout = preset("breakout")
    assert breakout.env.discount == pytest.approx(0.997**4)  # discount **= frame_skip
    assert breakout.env.max_episode_steps == 3000  # max_moves = 12000 frames // frame_skip
    assert breakout.env.episodic_life and breakout.env.clip_rewards
    assert not breakout.network.state_norm
    assert breakout.search.dirichlet_alpha == 0.3
    replay = breakout.replay
    assert (replay.priority_alpha, replay.priority_beta, replay.priority_beta_schedule) == (0.6, 0.4, "linear")
    assert replay.new_priority == "max"
    assert (replay.reanalyse_mode, replay.reanalyse_fraction, replay.target_network_interval) == (
        "policy_search", 0.99, 200)
    training = breakout.training
    assert (training.optimizer, training.learning_rate, training.momentum, training.weight_decay) == (
        "sgd", 0.2, 0.9, 1e-4)
    assert (training.lr_warmup_steps, training.lr_decay_style, training.lr_decay_rate, training.lr_decay_steps) == (
        5000, "staircase", 0.1, 100_000)
    assert training.max_grad_norm == 5.0
    assert (training.gradient_scale_mode, training.unroll_loss_scale) == ("latent_hook", "whole")
    assert training.train_ratio == 5.0 and training.num_actors == 4
