"""Simulator names and construction from an :class:`~mzlab.config.EnvConfig`.

Built-in names: ``cartpole``, ``lunarlander``, ``breakout``. Any discrete-action gymnasium environment is
available as ``gym:<GymnasiumId>`` (for example ``gym:Acrobot-v1``) or ``gym:<module>:<GymnasiumId>`` (the
module is imported first, so it can register the id) through seeded reset plus replay.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from mzlab.config import EnvConfig
from mzlab.envs.extras import require_extra
from mzlab.envs.simulator import Simulator
from mzlab.errors import MzlabError

__all__ = ["make_simulator", "simulator_names", "scoring_env_config", "branching_mode", "GYM_PREFIX"]

GYM_PREFIX = "gym:"
"""Prefix of names that wrap a gymnasium environment id."""


def _cartpole(config: EnvConfig) -> Simulator:
    from mzlab.envs.cartpole import CartPole

    return CartPole(discount=config.discount, max_episode_steps=config.max_episode_steps)


def branching_mode(config: EnvConfig) -> str:
    """``fork`` or ``replay`` for a replay environment: ``auto`` forks for ``lunarlander`` where possible."""
    if config.branching != "auto":
        return config.branching
    from mzlab.envs.fork_branching import fork_available

    return "fork" if config.name == "lunarlander" and fork_available() else "replay"


def _lunarlander(config: EnvConfig) -> Simulator:
    require_extra("box2d", "env 'lunarlander'")
    from mzlab.envs.lunar_lander import LunarLander

    return LunarLander(
        discount=config.discount,
        reward_scale=config.reward_scale,
        max_episode_steps=config.max_episode_steps,
        branching=branching_mode(config),
        max_processes=config.branch_processes,
    )


def _breakout(config: EnvConfig) -> Simulator:
    require_extra("atari", "env 'breakout'")
    from mzlab.envs.atari import Atari

    return Atari(
        "breakout",
        discount=config.discount,
        frame_skip=config.frame_skip,
        frame_stack=config.frame_stack,
        frame_size=config.frame_size,
        noop_max=config.noop_max,
        episodic_life=config.episodic_life,
        clip_rewards=config.clip_rewards,
        max_episode_steps=config.max_episode_steps,
    )


_BUILDERS: dict[str, Callable[[EnvConfig], Simulator]] = {
    "cartpole": _cartpole,
    "lunarlander": _lunarlander,
    "breakout": _breakout,
}


def simulator_names() -> list[str]:
    """The built-in simulator names, in listing order (``gym:<id>`` names come on top of these)."""
    return list(_BUILDERS)


def make_simulator(config: EnvConfig) -> Simulator:
    """The simulator ``config.name`` configured by ``config``; unknown names raise :class:`MzlabError`.

    Note: ``config.reward_scale`` multiplies rewards as given, so ``EnvConfig(name="lunarlander")`` with the
    dataclass default 1.0 gives unscaled rewards; the ``lunarlander`` preset sets 1/3.
    """
    name = config.name
    if name.startswith(GYM_PREFIX):
        from mzlab.envs.gym_replay import make_gym_simulator

        return make_gym_simulator(
            name[len(GYM_PREFIX) :],
            discount=config.discount,
            max_episode_steps=config.max_episode_steps,
            reward_scale=config.reward_scale,
            branching=branching_mode(config),
            max_processes=config.branch_processes,
        )
    if name not in _BUILDERS:
        valid = ", ".join([*_BUILDERS, f"{GYM_PREFIX}<GymnasiumId>", f"{GYM_PREFIX}<module>:<GymnasiumId>"])
        raise MzlabError(f"env.name: unknown environment {name!r}; valid names: {valid}")
    return _BUILDERS[name](config)


def scoring_env_config(config: EnvConfig) -> EnvConfig:
    """The environment in which returns are *reported*: the game's own score, whatever the training options.

    Reward clipping and episodic life are training devices (Atari); evaluation and the episode-return analyses
    (learning curves, planning) play full games with unclipped rewards, as the Atari literature reports
    scores. For Cart Pole and Lunar Lander this is ``config`` itself.
    """
    return dataclasses.replace(config, clip_rewards=False, episodic_life=False)
