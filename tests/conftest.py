"""Shared pytest settings: one torch thread (tiny networks; more threads only add contention)."""

import torch

torch.set_num_threads(1)
