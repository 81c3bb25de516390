"""Lunar Lander action sequences that keep the lander flying (for tests that need long, non-absorbing episodes)."""

import numpy as np
from gymnasium.envs.box2d.lunar_lander import heuristic

from mzlab.envs.lunar_lander import DeterministicLunarLander


def hovering_actions(simulator, snapshot, count, rng, *, random_fraction=0.3):
    """Actions of gymnasium's heuristic pilot told it is 0.5 lower than it is (so it hovers), a fraction random.

    Flies ``simulator`` (stateful methods) from ``snapshot``; stops early if the episode ends."""
    pilot_env = DeterministicLunarLander()
    simulator.restore(snapshot)
    observation, actions = simulator.observe(), []
    for _ in range(count):
        shifted = observation.copy()
        shifted[1] -= 0.5
        action = int(rng.integers(0, 4)) if rng.random() < random_fraction else int(heuristic(pilot_env, shifted))
        actions.append(action)
        transition = simulator.step(action)
        observation = transition.observation
        if transition.terminated or transition.truncated:
            break
    return np.array(actions)
