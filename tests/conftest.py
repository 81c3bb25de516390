"""Shared pytest settings: keep torch to the cores we have and seed nothing globally."""

import torch

torch.set_num_threads(2)
