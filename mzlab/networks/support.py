"""Scalar <-> categorical support: MuZero's invertible transform h, its inverse, and two-hot targets.

``h(x) = sign(x) (sqrt(|x| + 1) - 1) + eps x`` with ``eps = 0.001`` (Pohlen et al. 2018, MuZero appendix F).
Values and rewards are predicted as distributions over the integer support ``[-S, S]`` of ``h(x)``.
"""

from __future__ import annotations

import torch

__all__ = ["EPSILON", "transform", "inverse_transform", "scalar_to_support", "support_to_scalar"]

EPSILON = 0.001


def transform(x: torch.Tensor) -> torch.Tensor:
    """``h(x)``, elementwise."""
    return torch.sign(x) * (torch.sqrt(torch.abs(x) + 1.0) - 1.0) + EPSILON * x


def inverse_transform(y: torch.Tensor) -> torch.Tensor:
    """``h^-1(y)``, elementwise; exact inverse of :func:`transform`.

    Computed in float64: in float32 ``sqrt(1 + 4 eps (|y| + 1 + eps)) - 1`` cancels to ~1e-4 absolute error.
    """
    wide = y.double()
    root = (torch.sqrt(1.0 + 4.0 * EPSILON * (torch.abs(wide) + 1.0 + EPSILON)) - 1.0) / (2.0 * EPSILON)
    return (torch.sign(wide) * (root * root - 1.0)).to(y.dtype)


def scalar_to_support(x: torch.Tensor, support_size: int) -> torch.Tensor:
    """Two-hot target ``[..., 2S+1]`` of ``h(x)`` clipped to ``[-S, S]``, for scalars ``x[...]``."""
    y = transform(x).clamp(-support_size, support_size)
    floor = torch.floor(y)
    upper_weight = y - floor
    index = (floor + support_size).long()
    target = torch.zeros(*x.shape, 2 * support_size + 1, dtype=x.dtype, device=x.device)
    target.scatter_(-1, index.unsqueeze(-1), (1.0 - upper_weight).unsqueeze(-1))
    upper_index = (index + 1).clamp(max=2 * support_size)
    upper_weight = torch.where(index < 2 * support_size, upper_weight, 0.0)
    target.scatter_add_(-1, upper_index.unsqueeze(-1), upper_weight.unsqueeze(-1))
    return target


def support_to_scalar(logits: torch.Tensor, support_size: int) -> torch.Tensor:
    """Scalars ``[...]`` decoded from categorical ``logits[..., 2S+1]``: ``h^-1(E[support])``."""
    probabilities = torch.softmax(logits, dim=-1)
    support = torch.arange(-support_size, support_size + 1, dtype=probabilities.dtype, device=logits.device)
    return inverse_transform((probabilities * support).sum(-1))
