"""The objective registry: every module of this package except ``base`` and ``registry`` is one objective.

Adding an objective is adding one file ``mzlab/training/objectives/<name>.py`` that defines ``OBJECTIVE`` (an
:class:`~mzlab.training.objectives.base.Objective` subclass): the file name is ``training.objective``'s value.
Listing the names reads only the package folder (nothing is imported), so config validation can name them.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from mzlab.errors import MzlabError

__all__ = ["objective_names", "objective_class", "build_objective"]

_NOT_OBJECTIVES = ("base", "registry")
_FIRST = ("muzero",)


def objective_names() -> tuple[str, ...]:
    """The valid values of ``training.objective``: ``muzero`` first, then the others alphabetically."""
    found = sorted(info.name for info in pkgutil.iter_modules([str(Path(__file__).parent)])
                   if not info.name.startswith("_") and info.name not in _NOT_OBJECTIVES)
    return tuple(name for name in _FIRST if name in found) + tuple(name for name in found if name not in _FIRST)


def objective_class(name: str) -> type:
    """The ``OBJECTIVE`` class of module ``name``; MzlabError naming the valid objectives otherwise."""
    names = objective_names()
    if name not in names:
        raise MzlabError(f"config key 'training.objective': {name!r} is not one of {', '.join(names)}")
    module = importlib.import_module(f"{__package__}.{name}")
    return module.OBJECTIVE


def build_objective(config, network):
    """The objective of ``config.training.objective`` with its heads built for ``network`` (on CPU)."""
    return objective_class(config.training.objective)(config, network)
