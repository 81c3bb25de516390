"""Nested trainer state (an optimizer's ``state_dict``, RNG states, counters) as safetensors tensors + JSON.

``encode_state`` walks dicts, lists, tuples, tensors, numpy arrays and JSON scalars; tensors and arrays move to a
flat ``{name: tensor}`` dict (saved with safetensors) and the rest becomes a JSON structure that records every
container's type and every dict key's type (an optimizer's integer parameter ids survive). ``decode_state``
inverts it exactly. Nothing is pickled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from mzlab.errors import MzlabError

__all__ = ["encode_state", "decode_state"]


def encode_state(value: Any, *, where: str = "state") -> tuple[Any, dict[str, torch.Tensor]]:
    """``(structure, tensors)``: a JSON-serialisable structure and the tensors it names. ``where`` names the
    value in error messages."""
    tensors: dict[str, torch.Tensor] = {}
    return _encode(value, tensors, where), tensors


def decode_state(structure: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """The value that :func:`encode_state` turned into ``(structure, tensors)``."""
    if not isinstance(structure, dict):
        return structure
    ((tag, payload),) = structure.items()
    if tag == "__tensor__":
        return tensors[payload]
    if tag == "__ndarray__":
        return tensors[payload].cpu().numpy()
    if tag == "__float__":
        return float(payload)
    if tag == "__dict__":
        return {decode_state(k, tensors): decode_state(v, tensors) for k, v in payload}
    items = [decode_state(item, tensors) for item in payload]
    return items if tag == "__list__" else tuple(items)


def _encode(value: Any, tensors: dict[str, torch.Tensor], where: str) -> Any:
    """JSON structure of a nested state; tensors and arrays move to ``tensors`` under sequential names."""
    if isinstance(value, torch.Tensor) or isinstance(value, np.ndarray):
        name = f"t{len(tensors)}"
        is_array = isinstance(value, np.ndarray)
        if is_array and value.dtype == object:
            raise MzlabError(f"{where} is a numpy object array; trainer state holds only numeric arrays")
        tensors[name] = torch.from_numpy(np.ascontiguousarray(value)) if is_array else value
        return {"__ndarray__" if is_array else "__tensor__": name}
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, Mapping):
        return {
            "__dict__": [[_encode(k, tensors, where), _encode(v, tensors, f"{where}.{k}")] for k, v in value.items()]
        }
    if isinstance(value, list | tuple):
        tag = "__list__" if isinstance(value, list) else "__tuple__"
        return {tag: [_encode(item, tensors, f"{where}[{i}]") for i, item in enumerate(value)]}
    raise MzlabError(f"{where} is a {type(value).__name__}; trainer state holds only tensors, arrays and JSON values")
