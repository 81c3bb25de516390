"""Atari replay stores every frame once: sampling returns the very bytes of the stacked observations.

Reference: the same games in a buffer that stores every observation whole (``frame_stack=1``, how stacked
observations were stored before), including the padded stacks at episode starts; plus the save/load formats
(old whole-observation files load into the frame buffer) and EfficientZero's priority options.
"""

import io

import numpy as np
import pytest

from mzlab.config import ReplayConfig
from mzlab.envs.atari import Atari
from mzlab.errors import MzlabError
from mzlab.training.replay import ReplayBuffer

STACK = 4


def record_breakout(seed: int, moves: int) -> np.ndarray:
    """Observations of one real Breakout game with random actions (its first stacks are padded)."""
    simulator = Atari(frame_stack=STACK, max_episode_steps=moves)
    rng = np.random.default_rng(seed)
    observations = [simulator.reset(seed)]
    for _ in range(moves - 1):
        observations.append(simulator.step(int(rng.integers(simulator.num_actions))).observation)
    return np.stack(observations)


def synthetic_game(rng, length: int, shape=(2, 3, 3), padded=True) -> np.ndarray:
    """Stacked observations of random frames; ``padded=False`` starts mid-stream (distinct older frames)."""
    frames = rng.integers(0, 256, size=(length + STACK - 1, *shape), dtype=np.uint8)
    if padded:
        frames[:STACK - 1] = frames[STACK - 1]
    return np.stack([frames[t:t + STACK].reshape(-1, *shape[1:]) for t in range(length)])


def buffers(config, shape, dtype=np.uint8):
    whole = ReplayBuffer(config, observation_shape=shape, observation_dtype=dtype, num_actions=4, discount=0.997)
    frames = ReplayBuffer(config, observation_shape=shape, observation_dtype=dtype, num_actions=4, discount=0.997,
                          frame_stack=STACK)
    return whole, frames


def add(buffer_pair, observations, rng):
    length = len(observations)
    extras = (rng.integers(0, 4, length), rng.normal(size=length), rng.normal(size=length),
              rng.dirichlet(np.ones(4), size=length))
    for buffer in buffer_pair:
        buffer.add_game(observations, *extras)


def live_ids(buffer):
    return np.arange(buffer._low, buffer._high)


def assert_same_observations(whole, frames):
    ids = live_ids(whole)
    np.testing.assert_array_equal(live_ids(frames), ids)
    expected = whole.observations_at(ids)
    actual = frames.observations_at(ids)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.tobytes() == expected.tobytes()
    rng = np.random.default_rng(1)
    assert frames.gather(ids, rng).observations.tobytes() == whole.gather(ids, rng).observations.tobytes()


def test_recorded_breakout_games_sample_byte_identical_stacks():
    games = [record_breakout(seed, moves) for seed, moves in ((3, 40), (8, 25))]
    np.testing.assert_array_equal(games[0][0, :3], games[0][0, 9:])  # the first stack repeats one frame
    assert not np.array_equal(games[0][-1, :3], games[0][-1, 9:])
    whole, frames = buffers(ReplayConfig(capacity=1000, capacity_unit="transitions"), games[0].shape[1:])
    rng = np.random.default_rng(0)
    for game in games:
        add((whole, frames), game, rng)
    assert_same_observations(whole, frames)
    stored = frames._arrays["observations"]
    assert stored.shape[1:] == (3, 96, 96) and stored.dtype == np.uint8


def test_eviction_and_in_place_compaction_keep_the_stacks():
    rng = np.random.default_rng(2)
    config = ReplayConfig(capacity=120, capacity_unit="transitions", num_unroll_steps=3, td_steps=2)
    whole, frames = buffers(config, (2 * STACK, 3, 3))
    for index in range(30):
        add((whole, frames), synthetic_game(rng, int(rng.integers(5, 40)), padded=index % 3 != 0), rng)
        assert_same_observations(whole, frames)
    assert len(frames._prefixes) == frames.num_games
    # bounded growth: never more than 10% above the capacity plus one game
    assert len(frames._arrays["actions"]) <= int(1.1 * 120) + 40


def test_memory_per_transition_is_one_frame():
    rng = np.random.default_rng(3)
    capacity = 600
    config = ReplayConfig(capacity=capacity, capacity_unit="transitions")
    whole, frames = buffers(config, (3 * STACK, 96, 96))
    frame = rng.integers(0, 256, size=(3, 96, 96), dtype=np.uint8)
    game = np.repeat(np.tile(frame, (STACK, 1, 1))[None], 100, axis=0)
    for _ in range(12):
        add((whole, frames), game, rng)
    per_transition = frames.nbytes / frames.num_transitions
    assert per_transition < 1.1 * 1.2 * (3 * 96 * 96 + 100)  # one frame + scalars, <= 10% slack (+ one game)
    assert frames.nbytes < 0.3 * whole.nbytes


def test_observations_that_do_not_shift_are_refused():
    whole, frames = buffers(ReplayConfig(), (2 * STACK, 3, 3))
    rng = np.random.default_rng(4)
    observations = rng.integers(0, 256, size=(6, 2 * STACK, 3, 3), dtype=np.uint8)
    with pytest.raises(MzlabError, match="not 4 frames stacked"):
        frames.add_game(observations, np.zeros(6, np.int64), np.zeros(6), np.zeros(6), np.full((6, 4), 0.25))


def save_bytes(buffer) -> bytes:
    data = io.BytesIO()
    buffer.save(data)
    return data.getvalue()


def test_save_load_new_and_old_files(tmp_path):
    rng = np.random.default_rng(5)
    config = ReplayConfig(capacity=60, capacity_unit="transitions")
    whole, frames = buffers(config, (2 * STACK, 3, 3))
    for index in range(6):
        add((whole, frames), synthetic_game(rng, 20, padded=index != 2), rng)
    new_file = tmp_path / "new.npz"
    new_file.write_bytes(save_bytes(frames))
    old_file = tmp_path / "old.npz"  # a file from before frames were stored once: whole observations only
    with np.load(io.BytesIO(save_bytes(whole))) as data:
        np.savez(old_file, **{name: data[name] for name in data.files if name != "frame_stack"})
    for path in (new_file, old_file):
        loaded = ReplayBuffer(config, observation_shape=(2 * STACK, 3, 3), observation_dtype=np.uint8,
                              num_actions=4, discount=0.997, frame_stack=STACK)
        loaded.load(path)
        assert loaded.observations_at(live_ids(loaded)).tobytes() == whole.observations_at(live_ids(whole)).tobytes()
        assert loaded.num_games == whole.num_games
    whole_again = ReplayBuffer(config, observation_shape=(2 * STACK, 3, 3), observation_dtype=np.uint8,
                               num_actions=4, discount=0.997)
    with pytest.raises(MzlabError, match="stores observations of 4 stacked frame"):
        whole_again.load(new_file)


def test_new_positions_at_max_priority_and_linear_beta():
    config = ReplayConfig(new_priority="max", priority_alpha=0.6, priority_beta=0.4, priority_beta_schedule="linear")
    buffer = ReplayBuffer(config, observation_shape=(2,), observation_dtype=np.float32, num_actions=2, discount=0.9)
    obs = np.zeros((5, 2), np.float32)
    buffer.add_game(obs, np.zeros(5, np.int64), np.ones(5), np.zeros(5), np.full((5, 2), 0.5))
    assert np.all(buffer._arrays["scores"][:5] == 1.0)  # empty buffer: priority 1 (EfficientZero)
    batch = buffer.gather(np.arange(5), np.random.default_rng(0))
    buffer.update_priorities(batch.position_ids, np.full((5, batch.position_ids.shape[1]), 3.0), batch.inside)
    buffer.update_priorities(batch.position_ids[:1], np.full((1, batch.position_ids.shape[1]), 7.0),
                             batch.inside[:1])
    buffer.add_game(obs, np.zeros(5, np.int64), np.ones(5), np.zeros(5), np.full((5, 2), 0.5))
    np.testing.assert_allclose(buffer._arrays["scores"][5:10], (7.0 + 1e-6) ** 0.6)
    assert buffer.priority_beta(0, 1000) == pytest.approx(0.4)
    assert buffer.priority_beta(250, 1000) == pytest.approx(0.55)
    assert buffer.priority_beta(5000, 1000) == pytest.approx(1.0)


def test_stored_frames_do_not_keep_the_stacked_game_alive():
    """The buffer must own its frames: nothing it holds may be a view of the observations it was given."""
    rng = np.random.default_rng(6)
    observations = synthetic_game(rng, 12)
    _, frames = buffers(ReplayConfig(), observations.shape[1:])
    frames.add_game(observations, np.zeros(12, np.int64), np.zeros(12), np.zeros(12), np.full((12, 4), 0.25))
    held = list(frames._arrays.values()) + list(frames._prefixes.values())
    assert not any(np.shares_memory(array, observations) for array in held)
