"""How observations enter a network: the one conversion that acting, learning and analysis share."""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["observations_to_tensor"]


def observations_to_tensor(observations: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """``observations[B, ...]`` as a tensor on ``device``: uint8 frames stay uint8 (the network scales them by
    1/255, and replay stores them 4x smaller), everything else becomes float32."""
    array = np.asarray(observations)
    dtype = torch.uint8 if array.dtype == np.uint8 else torch.float32
    return torch.as_tensor(array, dtype=dtype, device=device)
