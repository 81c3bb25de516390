"""Stacked-frame observations stored one frame per position (the replay buffer's Atari memory layout).

An observation of ``S`` stacked frames is ``[S * c, ...]`` (oldest frame first along axis 0); the observation
after a move drops its oldest frame and appends a new one. A game of ``T`` moves therefore holds ``T + S - 1``
distinct frames: the ``S - 1`` older frames of its first observation (the *prefix*; at an episode start they are
copies of the first frame) and the newest frame of every observation. :func:`split_stacked` turns a game's
observations into those pieces (and refuses observations that do not shift like that), :func:`stack_frames`
rebuilds the observations of any positions byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mzlab.errors import MzlabError

__all__ = ["frame_shape", "split_stacked", "stack_frames"]


def frame_shape(observation_shape: tuple[int, ...], stack: int) -> tuple[int, ...]:
    """Shape of one frame of observations ``observation_shape`` made of ``stack`` frames along axis 0."""
    if stack < 1 or observation_shape[0] % stack:
        raise ValueError(f"observations {observation_shape} cannot be {stack} frames stacked along axis 0")
    return (observation_shape[0] // stack, *observation_shape[1:])


def split_stacked(observations: np.ndarray, stack: int) -> tuple[np.ndarray, np.ndarray]:
    """``observations[T, S * c, ...]`` -> (newest frames ``[T, c, ...]``, prefix ``[S - 1, c, ...]``).

    Raises :class:`MzlabError` when an observation's older frames are not the previous observation's newer ones.
    """
    length = len(observations)
    frames = observations.reshape(length, stack, -1, *observations.shape[2:])
    if stack > 1 and not np.array_equal(frames[1:, :-1], frames[:-1, 1:]):
        raise MzlabError(f"replay: a game's observations are not {stack} frames stacked along axis 0 that shift "
                         "by one frame per move; the environment's stacked_frames does not match its observations")
    # copies, never views: a view would keep the whole game's stacked observations alive
    return frames[:, -1].copy(), frames[0, :-1].copy()


def stack_frames(frames: np.ndarray, rows: np.ndarray, positions: np.ndarray, prefixes: Mapping[int, np.ndarray],
                 game_keys: np.ndarray, stack: int) -> np.ndarray:
    """The observations ``[N, S * c, ...]`` of ``N`` stored positions.

    ``frames[R, c, ...]`` holds the newest frame of each stored position; ``rows[N]`` are the positions' rows in
    it, ``positions[N]`` their move index inside their game (whose moves occupy consecutive rows), and
    ``prefixes[game_keys[n]]`` the prefix of the game of position ``n``.
    """
    offsets = np.arange(1 - stack, 1)
    sources = positions[:, None] + offsets[None, :]  # [N, S] move index of each stacked frame, < 0 = prefix
    in_game = sources >= 0
    out = frames[np.where(in_game, rows[:, None] + offsets[None, :], rows[:, None])]
    for n, j in zip(*np.nonzero(~in_game), strict=True):
        out[n, j] = prefixes[int(game_keys[n])][stack - 1 + sources[n, j]]
    return out.reshape(len(rows), -1, *frames.shape[2:])
