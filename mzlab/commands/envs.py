"""``mzlab envs [NAME]``: list the simulators with their action count, observation shape and discount."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mzlab.config import PRESETS, EnvConfig, preset
from mzlab.errors import MzlabError

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
        f"available as {GYM_PREFIX}<GymnasiumId>, e.g. {GYM_PREFIX}Acrobot-v1, or {GYM_PREFIX}<module>:<GymnasiumId> "
        "for an environment that importing <module> registers (docs/envs.md).",
    )
    parser.add_argument("name", nargs="?", help="describe only this simulator")
    parser.set_defaults(func=run)


def _config(name: str) -> EnvConfig:
    """The preset's environment settings (the generic preset's for ``gym:`` names), the defaults otherwise."""
    if name in PRESETS:
        return preset(name).env
    if name.startswith(GYM_PREFIX):
        from mzlab.envs.generic_preset import experiment_preset

        return experiment_preset(name).env
    return EnvConfig(name=name)


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
    rows: list[dict[str, object] | str] = []
    for name in names:
        try:
            rows.append(describe(make_simulator(_config(name))))
        except MzlabError as error:
            if args.name:
                raise
            rows.append(f"{name}: {error}")  # listing: an extra that is not installed is shown, not fatal
    width = max(20, *(len(name) + 1 for name in names))
    print(f"{'name':<{width}} {'actions':>7}  {'observation shape':<18} {'discount':>8}")
    for row in rows:
        if isinstance(row, str):
            name, _, error = row.partition(": ")
            print(f"{name:<{width}} unavailable: {error}")
            continue
        shape = "x".join(str(size) for size in row["observation_shape"])
        print(f"{row['name']:<{width}} {row['actions']:>7}  {shape:<18} {row['discount']:>8g}")
    if not args.name:
        print(f"(any discrete-action gymnasium environment: {GYM_PREFIX}<GymnasiumId> or "
              f"{GYM_PREFIX}<module>:<GymnasiumId>)")
    return 0
