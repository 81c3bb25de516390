"""Configurations for ``--env``: the paper's presets by name, and a generic preset for any gymnasium env.

``experiment_preset(env)`` accepts ``cartpole``, ``lunarlander``, ``breakout`` (the paper's tables) and
``gym:<GymnasiumId>`` / ``gym:<module>:<GymnasiumId>``, for which :func:`gym_preset` derives a fully
connected configuration from the action count, the observation size and the registered episode limit. The
rules (documented in ``docs/envs.md``) reproduce the paper's Cart Pole and Lunar Lander network sizes from
those two environments' spaces; everything else is the Cart Pole preset. ``--set`` overrides come on top.
"""

from __future__ import annotations

import dataclasses
import math

from mzlab.config import PRESETS, ExperimentConfig, preset
from mzlab.envs.registry import GYM_PREFIX
from mzlab.errors import MzlabError

__all__ = ["experiment_preset", "gym_preset", "support_size_for", "DEFAULT_EPISODE_STEPS"]

DEFAULT_EPISODE_STEPS = 1000
"""``env.max_episode_steps`` of the generic preset when gymnasium registers no time limit."""


def experiment_preset(env: str) -> ExperimentConfig:
    """The configuration ``--env env`` starts from (before ``--seed`` and ``--set``)."""
    if env.startswith(GYM_PREFIX):
        return gym_preset(env)
    if env not in PRESETS:
        raise MzlabError(
            f"unknown preset {env!r}; valid presets: {', '.join(PRESETS)}, {GYM_PREFIX}<GymnasiumId> or "
            f"{GYM_PREFIX}<module>:<GymnasiumId>"
        )
    return preset(env)


def support_size_for(discount: float, episode_steps: int) -> int:
    """Categorical support ``S`` covering ``h(v_max)``, ``v_max = (1 - g^T) / (1 - g)`` (T rewards of size 1),
    at least 10 (the paper's vector presets); ``h`` is MuZero's value transform."""
    v_max = (1.0 - discount**episode_steps) / (1.0 - discount) if discount < 1.0 else float(episode_steps)
    transformed = math.sqrt(v_max + 1.0) - 1.0 + 0.001 * v_max
    return max(10, math.ceil(transformed))


def gym_preset(env: str) -> ExperimentConfig:
    """The generic preset of ``gym:...``: Cart Pole's hyperparameters with sizes chosen from the env's spaces.

    - ``network.encoding_size = max(8, D + 2)`` for ``D`` observation numbers (Cart Pole 8, Lunar Lander 10);
    - ``network.hidden_layers = (16,)`` when ``D * A <= 8`` for ``A`` actions, else ``(64,)`` (Cart Pole 16,
      Lunar Lander 64);
    - ``env.max_episode_steps``: gymnasium's registered limit, else ``DEFAULT_EPISODE_STEPS``;
    - ``replay.td_steps = min(50, max_episode_steps)``;
    - ``network.support_size = support_size_for(discount, max_episode_steps)``.
    """
    import gymnasium as gym

    from mzlab.envs.gym_replay import make_gym_simulator, resolve_gym_id

    name = env[len(GYM_PREFIX) :]
    spec = gym.spec(resolve_gym_id(name))
    episode_steps = int(spec.max_episode_steps or DEFAULT_EPISODE_STEPS)
    base = preset("cartpole")
    simulator = make_gym_simulator(name, discount=base.env.discount, max_episode_steps=episode_steps)
    observation_size = math.prod(simulator.observation_shape)
    num_actions = simulator.num_actions
    return dataclasses.replace(
        base,
        env=dataclasses.replace(base.env, name=env, max_episode_steps=episode_steps),
        network=dataclasses.replace(
            base.network,
            encoding_size=max(8, observation_size + 2),
            hidden_layers=(16,) if observation_size * num_actions <= 8 else (64,),
            support_size=support_size_for(base.env.discount, episode_steps),
        ),
        replay=dataclasses.replace(base.replay, td_steps=min(50, episode_steps)),
    )
