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
