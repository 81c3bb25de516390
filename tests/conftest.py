"""Shared pytest settings: one torch thread (tiny networks; parallel threads only add contention) and seed nothing globally."""

import torch

torch.set_num_threads(1)
