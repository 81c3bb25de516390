"""Episodic life as EfficientZero plays it: after a lost life the next training episode is the same game after
one NOOP step, with a fresh stack of the new frame (``EpisodicLifeEnv.reset`` + its frame-stack reset).

Reference: the ended emulator state stepped with NOOP by a plain (not episodic) simulator.
"""

import numpy as np

from mzlab.envs.atari import Atari


def play_until_a_life_is_lost(simulator: Atari, seed: int):
    rng = np.random.default_rng(seed)
    simulator.reset(seed)
    for _ in range(3000):
        transition = simulator.step(int(rng.integers(simulator.num_actions)))
        if transition.terminated:
            return simulator.snapshot()
    raise AssertionError("no life lost in 3000 moves")


def test_continuation_is_the_same_game_after_one_noop():
    episodic = Atari(episodic_life=True)
    ended = play_until_a_life_is_lost(episodic, seed=4)
    assert ended.terminated and ended.lives == 4
    snapshot, observation = episodic.continue_episode(ended)
    assert not snapshot.terminated and snapshot.lives == 4 and snapshot.steps == ended.steps + 1

    plain = Atari(episodic_life=False)
    plain.reset(0)
    plain.restore(type(ended)(ended.ale_state, ended.frames, ended.steps, ended.lives, False, False))
    reference = plain.step(0).observation  # NOOP
    newest = reference[-3:]
    np.testing.assert_array_equal(observation, np.tile(newest, (4, 1, 1)))  # the stack restarts from that frame
    # and the game goes on identically from there, to the next lost life
    rng = np.random.default_rng(1)
    for _ in range(30):
        action = int(rng.integers(4))
        ours, theirs = episodic.step(action), plain.step(action)
        np.testing.assert_array_equal(ours.observation[-3:], theirs.observation[-3:])
        assert ours.reward == theirs.reward
        if ours.terminated:
            break


def test_no_continuation_without_episodic_life_or_after_game_over():
    plain = Atari(episodic_life=False)
    plain.reset(2)
    assert plain.continue_episode(plain.snapshot()) is None
    episodic = Atari(episodic_life=True)
    episodic.reset(3)
    assert episodic.continue_episode(episodic.snapshot()) is None  # not ended
    snapshot = play_until_a_life_is_lost(episodic, seed=5)
    for _ in range(4):  # lose the remaining lives by continuing and playing
        continued = episodic.continue_episode(snapshot)
        if continued is None:
            break
        episodic.restore(continued[0])
        snapshot = play_until_a_life_is_lost_from_here(episodic)
    assert episodic.continue_episode(snapshot) is None


def play_until_a_life_is_lost_from_here(simulator: Atari):
    rng = np.random.default_rng(0)
    for _ in range(3000):
        if simulator.step(int(rng.integers(simulator.num_actions))).terminated:
            return simulator.snapshot()
    raise AssertionError("no life lost in 3000 moves")
