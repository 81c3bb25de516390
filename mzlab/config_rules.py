"""What values a configuration may hold: choices, numeric bounds and cross-field rules.

``validate_config`` (re-exported as :func:`mzlab.config_io.validate`) checks a whole
:class:`~mzlab.config.ExperimentConfig`; each refusal is one :class:`MzlabError` naming the dotted key and what
is allowed. Choices of registry-backed keys (networks, objectives) are read from their registries.
"""

from __future__ import annotations

import typing
from typing import Any

from mzlab.config import ExperimentConfig
from mzlab.config_io import _flatten, config_from_dict, config_to_dict
from mzlab.errors import MzlabError

__all__ = ["validate_config"]


_CHOICES = {
    "env.branching": ("auto", "fork", "replay"),
    "search.prior": ("policy", "uniform"),
    "search.leaf": ("value", "rollout"),
    "search.q_convention": ("implementation", "pseudocode"),
    "search.tie_break": ("random", "first"),
    "search.algorithm": ("puct", "gumbel"),
    "search.kernel": ("auto", "python"),
    "replay.reanalyse_mode": ("network_value", "search", "policy_search"),
    "replay.capacity_unit": ("games", "transitions"),
    "training.optimizer": ("adam", "sgd"),
    "training.lr_decay_style": ("continuous", "staircase"),
    "training.gradient_scale_mode": ("dynamics_input", "pseudocode", "latent_hook"),
    "training.unroll_loss_scale": ("fixed", "steps_left", "whole"),
    "replay.priority_beta_schedule": ("constant", "linear"),
    "replay.new_priority": ("value_error", "max"),
    "training.reconstruction_mode": ("joint", "probe"),
    "training.device": ("cpu", "cuda", "auto"),
    "training.compile": ("auto", "on", "off"),
    "training.self_play_mode": ("lockstep", "overlap"),
    "training.acting_weights_refresh": ("move", "game"),
}

# dotted key -> (check, what is allowed)
_RULES: dict[str, tuple[typing.Callable[[Any], bool], str]] = {
    "env.name": (lambda v: bool(v.strip()), "a non-empty simulator name"),
    "env.discount": (lambda v: 0.0 < v <= 1.0, "a number in (0, 1]"),
    "env.reward_scale": (lambda v: v > 0.0, "a positive number"),
    "env.max_episode_steps": (lambda v: 1 <= v <= 10**7, "an integer in [1, 10**7]"),
    "env.frame_skip": (lambda v: 1 <= v <= 100, "an integer in [1, 100]"),
    "env.frame_stack": (lambda v: 1 <= v <= 64, "an integer in [1, 64]"),
    "env.frame_size": (lambda v: 1 <= v <= 1024, "an integer in [1, 1024]"),
    "env.noop_max": (lambda v: v >= 0, "an integer >= 0"),
    "env.branch_processes": (lambda v: v >= 1, "an integer >= 1"),
    "network.encoding_size": (lambda v: 1 <= v <= 2**16, "an integer in [1, 65536]"),
    "network.hidden_layers": (lambda v: len(v) <= 64 and all(1 <= size <= 2**16 for size in v),
                              "at most 64 integers in [1, 65536]"),
    "network.representation_layers": (lambda v: len(v) <= 64 and all(1 <= size <= 2**16 for size in v),
                                      "at most 64 integers in [1, 65536]"),
    "network.support_size": (lambda v: 1 <= v <= 10**5, "an integer in [1, 100000]"),
    "network.num_blocks": (lambda v: 0 <= v <= 256, "an integer in [0, 256]"),
    "network.num_channels": (lambda v: 2 <= v <= 4096, "an integer in [2, 4096]"),
    "search.num_simulations": (lambda v: 1 <= v <= 10**5, "an integer in [1, 100000]"),
    "search.c1": (lambda v: v > 0.0, "a positive number"),
    "search.c2": (lambda v: v > 0.0, "a positive number"),
    "search.dirichlet_alpha": (lambda v: v > 0.0, "a positive number"),
    "search.dirichlet_fraction": (lambda v: 0.0 <= v <= 1.0, "a probability in [0, 1]"),
    "search.rollout_horizon": (lambda v: 1 <= v <= 10**7, "an integer in [1, 10**7]"),
    "search.max_num_considered_actions": (lambda v: 1 <= v <= 10**4, "an integer in [1, 10000]"),
    "search.gumbel_scale": (lambda v: 0.0 <= v < float("inf"), "a finite number >= 0"),
    "search.gumbel_c_visit": (lambda v: 0.0 <= v < float("inf"), "a finite number >= 0"),
    "search.gumbel_c_scale": (lambda v: 0.0 < v < float("inf"), "a finite positive number"),
    "replay.capacity": (lambda v: 1 <= v <= 10**9, "an integer in [1, 10**9]"),
    "replay.priority_alpha": (lambda v: v >= 0.0, "a number >= 0"),
    "replay.priority_beta": (lambda v: 0.0 <= v <= 1.0, "a number in [0, 1]"),
    "replay.num_unroll_steps": (lambda v: 1 <= v <= 1000, "an integer in [1, 1000]"),
    "replay.td_steps": (lambda v: 1 <= v <= 10**7, "an integer in [1, 10**7]"),
    "replay.reanalyse_fraction": (lambda v: 0.0 <= v <= 1.0, "a probability in [0, 1]"),
    "replay.target_network_interval": (lambda v: 0 <= v <= 10**9, "an integer in [0, 10**9] (0 = the latest network)"),
    "training.training_steps": (lambda v: 1 <= v <= 10**9, "an integer in [1, 10**9]"),
    "training.batch_size": (lambda v: 1 <= v <= 2**16, "an integer in [1, 65536] (a batch must fit in memory)"),
    "training.learning_rate": (lambda v: v > 0.0, "a positive number"),
    "training.lr_decay_rate": (lambda v: 0.0 < v <= 1.0, "a number in (0, 1] (1 disables decay)"),
    "training.lr_decay_steps": (lambda v: v >= 1, "an integer >= 1"),
    "training.weight_decay": (lambda v: v >= 0.0, "a number >= 0"),
    "training.lr_warmup_steps": (lambda v: v >= 0, "an integer >= 0"),
    "training.max_grad_norm": (lambda v: v >= 0.0, "a number >= 0 (0 disables clipping)"),
    "training.momentum": (lambda v: 0.0 <= v < 1.0, "a number in [0, 1)"),
    "training.value_loss_weight": (lambda v: v >= 0.0, "a number >= 0"),
    "training.consistency_weight": (lambda v: v >= 0.0, "a number >= 0"),
    "training.consistency_projection_size": (lambda v: v >= 1, "an integer >= 1"),
    "training.consistency_predictor_hidden_size": (lambda v: v >= 1, "an integer >= 1"),
    "training.reconstruction_weight": (lambda v: v >= 0.0, "a number >= 0"),
    "training.reconstruction_decoder_layers": (lambda v: all(size >= 1 for size in v), "a list of integers >= 1"),
    "training.checkpoint_interval": (lambda v: v >= 1, "an integer >= 1"),
    "training.num_actors": (lambda v: 1 <= v <= 2**16, "an integer in [1, 65536]"),
    "training.train_ratio": (lambda v: v > 0.0, "a positive number"),
    "training.warmup_games": (lambda v: 1 <= v <= 10**6, "an integer in [1, 10**6] (learning needs a stored game)"),
    "training.temperature_steps": (
        lambda v: all(s >= 0 for s in v) and all(a < b for a, b in zip(v, v[1:], strict=False)),
        "a strictly increasing list of integers >= 0",
    ),
    "training.temperatures": (lambda v: len(v) >= 1 and all(t >= 0.0 for t in v), "a non-empty list of numbers >= 0"),
    "seed": (lambda v: 0 <= v < 2**63, "an integer in [0, 2**63)"),
}


def _registered_choices() -> dict[str, tuple[str, ...]]:
    """Values of the keys whose choices live in a registry (networks, objectives), read when validating.

    The registries hold names only (``mzlab/networks/registry.py``, ``mzlab/training/objectives/registry.py``
    import nothing heavy); the implementations load when a network or objective is built.
    """
    from mzlab.networks.registry import network_names
    from mzlab.training.objectives.registry import objective_names

    return {"network.kind": network_names(), "training.objective": objective_names()}


def validate_config(config: ExperimentConfig) -> ExperimentConfig:
    """Return ``config`` unchanged if every value is possible; otherwise MzlabError naming the key and what is
    allowed. Types are checked too (a config built in code bypasses the parsers)."""
    data = config_to_dict(config)
    config_from_dict(data)  # type check every field
    flat = _flatten(data)
    for key, allowed in {**_CHOICES, **_registered_choices()}.items():
        if key in flat and flat[key] not in allowed:
            raise MzlabError(f"config key {key!r}: {flat[key]!r} is not one of {', '.join(allowed)}")
    for key, (check, allowed) in _RULES.items():
        if key in flat and not check(flat[key]):
            raise MzlabError(f"config key {key!r}: {flat[key]!r} is not allowed; expected {allowed}")
    steps, temperatures = flat["training.temperature_steps"], flat["training.temperatures"]
    if len(temperatures) != len(steps) + 1:
        raise MzlabError(
            f"config key 'training.temperatures': {len(temperatures)} values given, but 'training.temperature_steps'"
            f" has {len(steps)} entries; expected exactly {len(steps) + 1} temperatures (one more than the steps)"
        )
    return config
