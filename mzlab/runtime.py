"""Process-wide torch settings applied the same way by the command line and the Python API."""

from __future__ import annotations

__all__ = ["configure_torch_threads"]


def configure_torch_threads(device: object = "cpu", threads: int = 1) -> None:
    """On CPU, use ``threads`` torch threads (default 1: mzlab's many small batched networks run fastest
    single-threaded and leave the other cores to other processes; measured 8x faster than torch's default
    on a 2-core machine). Training (:class:`mzlab.training.loop.Trainer`), evaluation and analysis call this;
    nothing is changed for a CUDA device."""
    import torch

    if str(getattr(device, "type", device)) == "cpu":
        torch.set_num_threads(int(threads))
