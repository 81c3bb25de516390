"""What self-play acts with, and how a move runs beside the learner (``training.self_play_mode=overlap``).

:class:`ActingCopy` is self-play's own copy of the network. It takes the learner's weights only at counted
points (``training.acting_weights_refresh``): ``move`` before every self-play move, ``game`` only before a
move in which a new game starts (each new game starts with the latest weights, as muzero-general's single
self-play worker, which copies the latest weights at the start of every game).

:class:`PendingGames` collects the games a move finishes while it runs in the second thread; the trainer adds
them to the replay buffer when the move is joined, so the learner never sees the buffer change mid-block and
the run depends on counts only, never on thread timing.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from mzlab.search.learned_model import LearnedModel

__all__ = ["ActingCopy", "PendingGames", "REFRESH_POLICIES"]

REFRESH_POLICIES = ("move", "game")


class ActingCopy:
    """A separate eval-mode copy of ``network`` and the learned model over it."""

    def __init__(self, network: torch.nn.Module, *, discount: float, device: torch.device):
        self.network = copy.deepcopy(network).eval()
        for parameter in self.network.parameters():
            parameter.requires_grad_(False)
        self.model = LearnedModel(self.network, discount=discount, device=device)
        self.refreshes = 0

    def refresh(self, source: torch.nn.Module) -> None:
        """Copy ``source``'s parameters and buffers into the acting network (in place)."""
        with torch.no_grad():
            for mine, theirs in zip(self.network.state_dict().values(), source.state_dict().values(), strict=True):
                mine.copy_(theirs)
        self.refreshes += 1


class PendingGames:
    """Stands in for the replay buffer during a background move: records ``add_game`` calls in order."""

    def __init__(self):
        self.games: list[tuple[np.ndarray, ...]] = []

    def add_game(self, *arrays: np.ndarray) -> None:
        self.games.append(arrays)

    def flush_into(self, buffer) -> None:
        for arrays in self.games:
            buffer.add_game(*arrays)
        self.games.clear()
