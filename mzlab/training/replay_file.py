"""Reading a replay buffer file: parse the ``.npz`` (no pickle), check that its arrays form a buffer, and
convert files from before frames were stored once.

:func:`read_replay_file` returns the arrays :class:`~mzlab.training.replay.ReplayBuffer` stores; anything that
is not such a file (truncated, not a zip, arrays that do not fit together or the run's shapes) is a one-line
:class:`MzlabError` naming the file and the problem.
"""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mzlab.errors import MzlabError
from mzlab.training.frames import split_stacked

__all__ = ["read_replay_file"]


def read_replay_file(source: Path | BinaryIO, *, name: str | None, fields: Sequence[str], frame_stack: int,
                     observation_shape: tuple[int, ...], frame_shape: tuple[int, ...], num_actions: int,
                     ) -> tuple[dict[str, np.ndarray], list[tuple[int, int]], dict[int, np.ndarray], np.ndarray]:
    """``(arrays by field, games as (start, length), each game's older first frames by start, counters)``."""
    where = f"replay buffer file {name or str(source)!r}"
    try:
        with np.load(source, allow_pickle=False) as data:
            arrays = {field: data[field] for field in fields}
            games = data["games"]
            counters = data["counters"]
            stored_stack = int(data["frame_stack"][0]) if "frame_stack" in data.files else None
            prefix_frames = data["prefix_frames"] if "prefix_frames" in data.files else None
    except (OSError, ValueError, KeyError, IndexError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise MzlabError(f"{where} is unreadable or corrupted: {type(error).__name__}: "
                         f"{' '.join(str(error).split())[:200]}") from None
    if stored_stack is not None and stored_stack != frame_stack:
        raise MzlabError(f"{where} stores observations of {stored_stack} stacked frame(s); this run's "
                         f"environment stacks {frame_stack}")
    old_layout = stored_stack is None and frame_stack > 1  # older file: full stacked observations
    problem = _inconsistency(arrays, games, counters, observation_shape if old_layout else frame_shape,
                             num_actions)
    if problem:
        raise MzlabError(f"{where} is corrupted: {problem}")
    games = [(int(start), int(length)) for start, length in games]
    prefixes: dict[int, np.ndarray] = {}
    observations = arrays["observations"]
    if old_layout:
        frames = np.empty((len(observations), *frame_shape), dtype=observations.dtype)
        for start, length in games:
            frames[start:start + length], prefixes[start] = split_stacked(observations[start:start + length],
                                                                          frame_stack)
        arrays["observations"] = frames
    elif frame_stack > 1:
        if prefix_frames is None or len(prefix_frames) != len(games):
            raise MzlabError(f"{where} is corrupted: frame prefixes missing or incomplete")
        prefixes = {start: prefix_frames[index] for index, (start, _) in enumerate(games)}
    return arrays, games, prefixes, counters


def _inconsistency(arrays: dict[str, np.ndarray], games: np.ndarray, counters: np.ndarray,
                   observation_shape: tuple[int, ...], num_actions: int) -> str:
    """What is wrong with loaded arrays ('' when they form a buffer whose stored observations have
    ``observation_shape``)."""
    count = len(arrays["actions"])
    if any(array.ndim == 0 or len(array) != count for array in arrays.values()):
        return "its arrays have different lengths"
    if arrays["observations"].shape[1:] != observation_shape:
        return f"observations of shape {arrays['observations'].shape[1:]}, expected {observation_shape}"
    if arrays["policies"].shape[1:] != (num_actions,):
        return f"policies over {arrays['policies'].shape[1:]} actions, expected {num_actions}"
    if any(not np.issubdtype(array.dtype, np.number) for array in (*arrays.values(), games, counters)):
        return "it holds non-numeric arrays"
    if games.ndim != 2 or games.shape[1:] != (2,) or counters.shape != (2,) or (counters < 0).any():
        return "its game table or counters are malformed"
    starts, lengths = games[:, 0], games[:, 1]
    if len(games) and ((lengths < 1).any() or starts[0] != 0 or (starts[1:] != (starts + lengths)[:-1]).any()
                       or int(lengths.sum()) != count):
        return "its game offsets do not tile the stored moves"
    if len(games) == 0 and count:
        return "it stores moves but no games"
    if (arrays["game_start"] != np.repeat(starts, lengths)).any() or \
            (arrays["game_length"] != np.repeat(lengths, lengths)).any():
        return "the per-move game offsets disagree with its game table"
    if count and ((arrays["actions"] < 0).any() or (arrays["actions"] >= num_actions).any()):
        return f"actions outside 0..{num_actions - 1}"
    return ""


