"""Simulators with exact snapshot/restore: the contract, the built-in environments and their registry."""

from mzlab.envs.registry import GYM_PREFIX, make_simulator, simulator_names
from mzlab.envs.simulator import BatchTransition, Simulator, Transition

__all__ = ["Simulator", "Transition", "BatchTransition", "make_simulator", "simulator_names", "GYM_PREFIX"]
