"""Support transform h / h^-1 and two-hot targets (mzlab/networks/support.py) as training relies on them."""

import math

import torch

from mzlab.networks.support import inverse_transform, scalar_to_support, support_to_scalar, transform


def test_transform_by_hand():
    x = torch.tensor([0.0, 3.0, -8.0], dtype=torch.float64)
    expected = [0.0, (math.sqrt(4) - 1) + 0.003, -((math.sqrt(9) - 1) + 0.008)]
    torch.testing.assert_close(transform(x), torch.tensor(expected, dtype=torch.float64))


def test_inverse_round_trip():
    x = torch.linspace(-500, 500, 2001, dtype=torch.float64)
    torch.testing.assert_close(inverse_transform(transform(x)), x, rtol=1e-9, atol=1e-7)


def test_two_hot_by_hand():
    # h(x) = 1.25 exactly for this x: weights 0.75 on support 1 and 0.25 on support 2 (S = 3, index offset 3)
    x = inverse_transform(torch.tensor([1.25], dtype=torch.float64))
    target = scalar_to_support(x, 3)[0]
    expected = torch.zeros(7, dtype=torch.float64)
    expected[4], expected[5] = 0.75, 0.25
    torch.testing.assert_close(target, expected)


def test_two_hot_decodes_back():
    x = torch.tensor([-37.5, -1.0, 0.0, 0.4, 12.0, 95.0], dtype=torch.float64)
    target = scalar_to_support(x, 10)
    torch.testing.assert_close(target.sum(-1), torch.ones(6, dtype=torch.float64))
    # logits = log(two-hot) decode to the same scalar (within the support's range)
    logits = torch.log(target.clamp_min(1e-30))
    torch.testing.assert_close(support_to_scalar(logits, 10), x, rtol=1e-6, atol=1e-6)


def test_two_hot_clips_outside_support():
    target = scalar_to_support(torch.tensor([1e6]), 2)
    torch.testing.assert_close(target, torch.tensor([[0.0, 0.0, 0.0, 0.0, 1.0]]))
