"""``mzlab envs [NAME]``: list the simulators with their action count, observation shape and discount."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mzlab.config import PRESETS, EnvConfig, preset

if TYPE_CHECKING:
    from mzlab.envs.simulator import Simulator

__all__ = ["add_parser", "run", "describe"]


GYM_PREFIX = "gym:"
"""``mzlab.envs.registry.GYM_PREFIX``, repeated so building the parser does not import the simulators (numpy)."""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "envs",
        help="list the simulators (name, actions, observation shape, discount)",
        description=f"List the simulators, or describe one. Any discrete-action gymnasium environment is "
        f"available as {GYM_PREFIX}<GymnasiumId>, e.g. {GYM_PREFIX}Acrobot-v1.",
    )
    parser.add_argument("name", nargs="?", help="describe only this simulator")
    parser.set_defaults(func=run)


def _config(name: str) -> EnvConfig:
    """The paper preset's environment settings for built-in names, the defaults otherwise."""
    return preset(name).env if name in PRESETS else EnvConfig(name=name)


def describe(simulator: Simulator) -> dict[str, object]:
    """One listing row: ``name``, ``actions``, ``observation_shape``, ``discount``."""
    return {
        "name": simulator.name,
        "actions": simulator.num_actions,
        "observation_shape": tuple(simulator.observation_shape),
        "discount": simulator.discount,
    }


def run(args: argparse.Namespace) -> int:
    from mzlab.envs.registry import make_simulator, simulator_names

    names = [args.name] if args.name else simulator_names()
    rows = [describe(make_simulator(_config(name))) for name in names]
    print(f"{'name':<20} {'actions':>7}  {'observation shape':<18} {'discount':>8}")
    for row in rows:
        shape = "x".join(str(size) for size in row["observation_shape"])
        print(f"{row['name']:<20} {row['actions']:>7}  {shape:<18} {row['discount']:>8g}")
    if not args.name:
        print(f"(any discrete-action gymnasium environment: {GYM_PREFIX}<GymnasiumId>)")
    return 0
