"""Deterministic Lunar Lander: gymnasium's ``LunarLander`` with flat terrain and no engine dispersion.

Gymnasium's Lunar Lander draws three kinds of random numbers: the terrain heights and the initial push at
``reset``, and two "dispersion" numbers inside every ``step`` that jitter where the engines' impulses apply.
:class:`DeterministicLunarLander` switches off the terrain (``flat_terrain=True``: every chunk at the
helipad's height, so the ground is one flat line at the height of gymnasium's pad) and the dispersion
(``engine_dispersion=False``: both numbers are 0, the midpoint of their range). The terrain numbers are still
drawn, so the initial push is the one gymnasium gives for the same seed; the state is then fully determined
by ``(seed, actions so far)``. With both switches back on the environment is gymnasium's, step for step.

The switches act through the environment's random number generator: ``np_random`` returns a view of the
seeded generator (same bit stream) whose ``uniform`` flattens the terrain draw and zeroes the dispersion
draws. Everything else is gymnasium's own code.

:class:`LunarLander` is the simulator: snapshot/restore by seeded reset plus replay (see
:mod:`mzlab.envs.gym_replay`), optionally batched branching by forked processes (``branching="fork"``, see
:mod:`mzlab.envs.fork_branching`), rewards multiplied by ``reward_scale`` (default 1/3, as the implementation the
paper trained with), truncation after 1000 steps as ``LunarLander-v3``.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces
from gymnasium.envs.box2d import lunar_lander as gym_lunar_lander

from mzlab.envs.gym_replay import ReplaySimulator

__all__ = ["DeterministicLunarLander", "LunarLander"]

_HELIPAD_Y = gym_lunar_lander.VIEWPORT_H / gym_lunar_lander.SCALE / 4


class _SwitchedGenerator(np.random.Generator):
    """A view of an environment's seeded generator that applies its terrain and dispersion switches."""

    def __init__(self, bit_generator: np.random.BitGenerator, env: DeterministicLunarLander) -> None:
        super().__init__(bit_generator)
        self._env = env

    def uniform(self, low=0.0, high=1.0, size=None):  # noqa: ANN001, ANN201 - numpy's signature
        env = self._env
        if env._stepping and not env.engine_dispersion:
            return 0.5 * (low + high)
        draw = super().uniform(low, high, size)
        if not env._stepping and size is not None and env.flat_terrain:
            return np.full_like(draw, _HELIPAD_Y)
        return draw


class _Discrete(spaces.Discrete):
    """``Discrete`` whose membership test takes a fast path for Python ints (gymnasium's costs ~10 us a step)."""

    def contains(self, x: object) -> bool:
        if type(x) is int:
            return self.start <= x < self.start + self.n
        return super().contains(x)


class DeterministicLunarLander(gym_lunar_lander.LunarLander):
    """Gymnasium ``LunarLander`` (discrete) with constructor switches for terrain and engine dispersion.

    ``reward_scale`` multiplies every reward (1.0 here by default; the simulator passes 1/3). Other keyword
    arguments go to gymnasium's ``LunarLander`` (``render_mode``, ``gravity``...; wind must stay off for
    determinism).
    """

    def __init__(
        self,
        *,
        flat_terrain: bool = True,
        engine_dispersion: bool = False,
        reward_scale: float = 1.0,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(self.action_space, spaces.Discrete):
            self.action_space = _Discrete(int(self.action_space.n))
        self.flat_terrain = flat_terrain
        self.engine_dispersion = engine_dispersion
        self.reward_scale = float(reward_scale)
        self._stepping = False
        self._view: _SwitchedGenerator | None = None

    @property
    def np_random(self) -> np.random.Generator:
        source = super().np_random
        if self._view is None or self._view.bit_generator is not source.bit_generator:
            self._view = _SwitchedGenerator(source.bit_generator, self)
        return self._view

    @np_random.setter
    def np_random(self, value: np.random.Generator) -> None:
        self._np_random = value
        self._np_random_seed = -1

    def step(self, action):  # noqa: ANN001, ANN201 - gymnasium's signature
        self._stepping = True
        try:
            observation, reward, terminated, truncated, info = super().step(action)
        finally:
            self._stepping = False
        return observation, reward * self.reward_scale, terminated, truncated, info


class LunarLander(ReplaySimulator):
    """The deterministic Lunar Lander simulator; snapshots are :class:`~mzlab.envs.gym_replay.ReplaySnapshot`.

    ``branching="fork"`` branches snapshots through forked processes (:mod:`mzlab.envs.fork_branching`),
    ``"replay"`` by seeded reset plus replay; both give the same futures bit for bit.
    """

    def __init__(
        self,
        *,
        discount: float = 0.999,
        reward_scale: float = 1.0 / 3.0,
        max_episode_steps: int = 1000,
        flat_terrain: bool = True,
        engine_dispersion: bool = False,
        cache_size: int = 64,
        branching: str = "replay",
        max_processes: int = 1024,
    ) -> None:
        switches = {"flat_terrain": flat_terrain, "engine_dispersion": engine_dispersion}

        def make_env() -> DeterministicLunarLander:
            return DeterministicLunarLander(**switches)

        super().__init__(
            make_env,
            name="lunarlander",
            discount=discount,
            max_episode_steps=max_episode_steps,
            reward_scale=reward_scale,
            cache_size=cache_size,
            branching=branching,
            env_factory=("mzlab.envs.lunar_lander:DeterministicLunarLander", switches),
            max_processes=max_processes,
        )
