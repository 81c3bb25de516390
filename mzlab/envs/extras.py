"""Optional dependency families ("extras") and the one-line error naming the extra a simulator needs.

The core install is what Cart Pole needs. Environments of other families import their engine only when
built; a missing engine is a :class:`MzlabError` naming ``pip install 'mzlab[<extra>]'``.
"""

from __future__ import annotations

import importlib

from mzlab.errors import MzlabError

__all__ = ["EXTRA_MODULES", "require_extra", "extra_for_entry_point"]

EXTRA_MODULES = {"box2d": "Box2D", "atari": "ale_py"}
"""Extra name -> the module whose import proves it is installed."""


def require_extra(extra: str, what: str) -> None:
    """Raise a one-line :class:`MzlabError` when ``extra``'s module cannot be imported; ``what`` names the env."""
    module = EXTRA_MODULES[extra]
    try:
        importlib.import_module(module)
    except ImportError:
        raise MzlabError(
            f"{what} needs the {extra!r} extra ({module} is not installed): pip install 'mzlab[{extra}]'"
        ) from None


def extra_for_entry_point(entry_point: object) -> str | None:
    """The extra a gymnasium registration needs, judged from its entry point (``None``: the core suffices)."""
    text = entry_point if isinstance(entry_point, str) else getattr(entry_point, "__module__", "") or ""
    if "box2d" in text:
        return "box2d"
    if "ale_py" in text:
        return "atari"
    return None
