"""``"module:function"`` references, loaded on use: registries name implementations without importing them."""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["load_entry_point"]


def load_entry_point(reference: str | Callable) -> Callable:
    """The object ``"package.module:name"`` names (imported now); a callable is returned as it is."""
    if not isinstance(reference, str):
        return reference
    module, separator, attribute = reference.partition(":")
    if not separator or not module or not attribute:
        raise ValueError(f"entry point {reference!r} is not of the form 'package.module:name'")
    return getattr(importlib.import_module(module), attribute)
