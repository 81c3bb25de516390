"""A user's own environment, registered on import: the module behind ``gym:tests.user_env:Corridor-v0``.

A corridor of ``LENGTH`` cells: action 0 steps left, 1 steps right; reaching the right end gives reward 1 and
ends the episode. The start cell is drawn at ``reset(seed=...)`` (the only randomness), so the environment is
exact under mzlab's seeded-reset-plus-replay snapshots.
"""

import gymnasium as gym
import numpy as np

LENGTH = 5


class Corridor(gym.Env):
    observation_space = gym.spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.position = int(self.np_random.integers(0, LENGTH - 1))
        self.steps = 0
        return self._observation(), {}

    def step(self, action):
        self.position = max(0, self.position + (1 if int(action) == 1 else -1))
        self.steps += 1
        terminated = self.position >= LENGTH - 1
        return self._observation(), float(terminated), terminated, False, {}

    def _observation(self):
        return np.array([self.position / (LENGTH - 1), min(self.steps, 20) / 20], dtype=np.float32)


gym.register("Corridor-v0", entry_point=Corridor, max_episode_steps=20)
