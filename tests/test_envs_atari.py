"""Breakout through ALE: exact snapshots, seeded no-op starts, and the training options."""

import numpy as np
import pytest

from mzlab.envs.atari import Atari, AtariSnapshot


@pytest.fixture(scope="module")
def breakout():
    return Atari("breakout")


def _rollout(simulator, snapshot, actions):
    simulator.restore(snapshot)
    steps = [simulator.step(int(action)) for action in actions]
    return np.stack([step.observation for step in steps]), np.array([step.reward for step in steps])


def test_snapshot_restored_twice_gives_bit_identical_future(breakout):
    breakout.reset(4)
    rng = np.random.default_rng(0)
    for action in rng.integers(0, 4, 20):
        breakout.step(int(action))
    snapshot = breakout.snapshot()
    actions = np.where(rng.random(200) < 0.3, 1, rng.integers(0, 4, 200))  # fire often: the ball is in play
    first = _rollout(breakout, snapshot, actions)
    breakout.reset(8)  # move the emulator elsewhere in between
    second = _rollout(breakout, snapshot, actions)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert first[1].sum() > 0  # the rollout scored, so the comparison covers rewards too
    assert len({frame.tobytes() for frame in first[0][:, -3:]}) > 100  # and a moving picture


def test_observation_layout_and_frame_stack(breakout):
    observation = breakout.reset(0)
    assert observation.shape == (12, 96, 96) and observation.dtype == np.uint8
    assert observation.max() > 1  # raw 0..255 frames: the network, not the simulator, scales them
    # At reset the stack holds the first frame four times; after a step the newest frame is last.
    np.testing.assert_array_equal(observation[:3], observation[9:])
    after = breakout.step(1).observation
    np.testing.assert_array_equal(after[:9], observation[3:])
    snapshot = breakout.snapshot()
    assert isinstance(snapshot, AtariSnapshot) and snapshot.frames.shape == (4, 96, 96, 3)
    assert not snapshot.frames.flags.writeable


def _frames_after_firing(simulator, seed):
    simulator.reset(seed)
    for step in range(15):
        observation = simulator.step(1 if step == 0 else 0).observation
    return observation.tobytes()


def test_seeds_choose_different_noop_starts(breakout):
    # Breakout's screen is still until FIRE, but the no-op count shifts where the launched ball flies.
    futures = {_frames_after_firing(breakout, seed) for seed in range(8)}
    assert len(futures) > 1
    assert _frames_after_firing(breakout, 3) == _frames_after_firing(breakout, 3)


def test_episodic_life_ends_the_episode_at_the_first_lost_life():
    simulator = Atari("breakout", episodic_life=True, noop_max=0)
    simulator.reset(0)
    for step in range(2000):
        transition = simulator.step(1 if step % 10 == 0 else 0)  # fire, then let the ball drop
        if transition.terminated:
            break
    assert transition.terminated and simulator.snapshot().lives == 4
    absorbed = simulator.step(1)
    assert absorbed.reward == 0.0 and absorbed.terminated
    np.testing.assert_array_equal(absorbed.observation, transition.observation)


def test_truncation_after_max_episode_steps():
    simulator = Atari("breakout", max_episode_steps=5)
    simulator.reset(0)
    assert [simulator.step(0).truncated for _ in range(6)] == [False] * 4 + [True, True]


def test_matches_gymnasium_ale_frame_by_frame():
    """Against gymnasium's own ALE env (frameskip 1, no sticky actions): our step is 4 of its frames, rewards
    summed, the newest stacked frame the 96x96 resize of the max of its last two frames; lives agree."""
    import ale_py
    import gymnasium as gym
    from PIL import Image

    gym.register_envs(ale_py)
    reference = gym.make("ALE/Breakout-v5", frameskip=1, repeat_action_probability=0.0)
    simulator = Atari("breakout", noop_max=0)
    screen, _ = reference.reset(seed=0)
    simulator.reset(0)
    rng = np.random.default_rng(0)
    total = 0.0
    for step in range(400):
        action = 1 if rng.random() < 0.2 else int(rng.integers(4))
        transition = simulator.step(action)
        reward, frames = 0.0, []
        for _ in range(4):
            screen, frame_reward, terminated, _, info = reference.step(action)
            reward += frame_reward
            frames.append(screen)
            if terminated:
                break
        pooled = np.maximum(frames[-2], frames[-1]) if len(frames) > 1 else frames[-1]
        expected = np.asarray(Image.fromarray(pooled).resize((96, 96), Image.Resampling.BILINEAR))
        newest = transition.observation[-3:].transpose(1, 2, 0)
        np.testing.assert_array_equal(newest, expected, err_msg=f"step {step}")
        assert (transition.reward, transition.terminated) == (reward, terminated), step
        assert simulator.snapshot().lives == info["lives"]
        total += reward
        if terminated:
            break
    assert terminated and total > 0
