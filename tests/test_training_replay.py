"""Prioritised replay: sampling frequencies, importance weights, eviction and the npz round trip."""

import numpy as np
import pytest

from mzlab.config import ReplayConfig
from mzlab.errors import MzlabError
from mzlab.training.replay import PRIORITY_EPSILON, ReplayBuffer

CHI_SQUARE_999_DF9 = 27.877  # 99.9% quantile of chi-square with 9 degrees of freedom


def make_buffer(**overrides):
    config = ReplayConfig(**{"num_unroll_steps": 2, "td_steps": 3, **overrides})
    return ReplayBuffer(config, observation_shape=(2,), observation_dtype=np.float32, num_actions=3, discount=0.9)


def add_game(buffer, length, offset=0.0):
    buffer.add_game(
        np.full((length, 2), offset, dtype=np.float32) + np.arange(length, dtype=np.float32)[:, None],
        np.zeros(length, dtype=np.int64),
        np.ones(length),
        np.zeros(length),
        np.full((length, 3), 1 / 3),
    )


def test_initial_priorities_are_root_value_errors():
    buffer = make_buffer(priority_alpha=1.0)
    add_game(buffer, 5)
    # root values 0, rewards 1, gamma 0.9, n = 3: z = 1 + .9 + .81 inside, shorter near the end
    z = np.array([2.71, 2.71, 2.71, 1.9, 1.0])
    batch = buffer.gather(np.arange(5), np.random.default_rng(0))
    np.testing.assert_allclose(batch.target_values[:, 0], z, rtol=1e-6)
    counts = np.bincount(buffer.sample(20_000, np.random.default_rng(0)).position_ids[:, 0], minlength=5)
    np.testing.assert_allclose(counts / 20_000, z / z.sum(), atol=0.015)  # priority |nu - z| = z


def test_sampling_frequencies_match_priorities():
    buffer = make_buffer(priority_alpha=0.5)
    add_game(buffer, 6)
    add_game(buffer, 4)
    priorities = np.array([1.0, 4.0, 9.0, 16.0, 0.25, 2.0, 3.0, 5.0, 7.0, 0.5])
    ids = np.arange(10)[:, None]
    buffer.update_priorities(ids, priorities[:, None] - PRIORITY_EPSILON, np.ones((10, 1), dtype=bool))
    rng = np.random.default_rng(1)
    draws = 40_000
    counts = np.zeros(10)
    for _ in range(draws // 400):
        batch = buffer.sample(400, rng)
        counts += np.bincount(batch.position_ids[:, 0], minlength=10)
    probabilities = priorities**0.5 / (priorities**0.5).sum()
    expected = draws * probabilities
    chi_square = ((counts - expected) ** 2 / expected).sum()
    assert chi_square < CHI_SQUARE_999_DF9, (counts, expected)


def test_importance_weights_are_max_normalised():
    buffer = make_buffer(priority_alpha=1.0, priority_beta=1.0)
    add_game(buffer, 4)
    priorities = np.array([1.0, 2.0, 4.0, 8.0])
    buffer.update_priorities(np.arange(4)[:, None], priorities[:, None] - PRIORITY_EPSILON,
                             np.ones((4, 1), dtype=bool))
    batch = buffer.sample(2000, np.random.default_rng(0))
    picked = priorities[batch.position_ids[:, 0]]
    # w = (N P)^-1 / max w: proportional to 1 / priority, the least likely sampled position gets weight 1
    np.testing.assert_allclose(batch.weights, picked.min() / picked, rtol=1e-5)
    assert batch.weights.max() == pytest.approx(1.0)


def test_capacity_in_games_evicts_oldest():
    buffer = make_buffer(capacity=2, capacity_unit="games", prioritized=False)
    for game in range(5):
        add_game(buffer, 3 + game, offset=100.0 * game)
    assert buffer.num_games == 2 and buffer.num_transitions == 6 + 7
    observations = buffer.sample(500, np.random.default_rng(0)).observations[:, 0]
    assert set(np.unique(observations // 100).tolist()) == {3.0, 4.0}


def test_capacity_in_transitions():
    buffer = make_buffer(capacity=10, capacity_unit="transitions")
    for _ in range(6):
        add_game(buffer, 4)
    assert buffer.num_transitions == 8 and buffer.num_games_added == 6


def test_save_load_round_trip(tmp_path):
    buffer = make_buffer(capacity=3)
    for game in range(5):
        add_game(buffer, 2 + game, offset=10.0 * game)
    path = tmp_path / "replay.npz"
    buffer.save(path)
    loaded = make_buffer(capacity=3)
    loaded.load(path)
    a = buffer.sample(64, np.random.default_rng(3))
    b = loaded.sample(64, np.random.default_rng(3))
    for name in ("observations", "actions", "target_values", "target_policies", "weights"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert loaded.num_games_added == 5
    add_game(loaded, 3)
    assert loaded.num_games == 3


def test_corrupted_file_is_refused(tmp_path):
    path = tmp_path / "replay.npz"
    path.write_bytes(b"not a zip")
    with pytest.raises(MzlabError, match="replay.npz"):
        make_buffer().load(path)
