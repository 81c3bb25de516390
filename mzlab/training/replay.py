"""Game replay buffer with prioritised sampling (priority ``|nu - z|^alpha``, max-normalised importance weights).

Every stored move lives in flat, growable numpy arrays, addressed by a *global position id* that only ever
grows; the live region is the games still in the buffer, oldest evicted first (capacity in ``games`` or in
``transitions``). MuZero's loss reads only the first observation of an unroll, so sampling gathers ``[B]``
observations plus small scalar targets, all vectorised; an objective that needs the observation of every
unroll step asks for the ``unroll_observations`` field (``[B, K+1, ...]``). Observations made of
``frame_stack`` stacked frames (Atari) are stored one frame per position plus the older frames of each game's
first observation (:mod:`mzlab.training.frames`) and re-stacked when read: 4x less memory, the same bytes.
With a capacity in transitions the arrays are allocated once at 10% above it (pages become resident as rows
are written) and compacted in place. The buffer saves itself as plain ``.npz`` arrays (loaded with
``allow_pickle=False``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from mzlab.config import ReplayConfig
from mzlab.errors import MzlabError
from mzlab.training.frames import frame_shape, split_stacked, stack_frames
from mzlab.training.replay_file import read_replay_file
from mzlab.training.targets import n_step_value_targets, unroll_indices

__all__ = ["Batch", "ReplayBuffer", "PRIORITY_EPSILON", "OPTIONAL_FIELDS"]

OPTIONAL_FIELDS = ("unroll_observations",)
"""Batch fields filled only on request (``sample(..., fields=...)``)."""

PRIORITY_EPSILON = 1e-6
"""Floor added to every priority so that no stored position has probability 0."""

CAPACITY_SLACK = 1.1
"""With ``capacity_unit = transitions`` the arrays hold at most this many times the capacity (plus one game)."""

_COMPACT_CHUNK = 4096
"""Rows moved at a time by the in-place compaction (bounds its temporary memory)."""


@dataclass(frozen=True)
class Batch:
    observations: np.ndarray
    """``[B, *observation_shape]`` observations ``o_t`` of the sampled positions."""
    actions: np.ndarray
    """``[B, K]`` int64 actions ``a_t .. a_{t+K-1}`` (random past the episode end)."""
    target_values: np.ndarray
    """``[B, K+1]`` value targets ``z_{t+k}`` (0 past the end)."""
    target_rewards: np.ndarray
    """``[B, K+1]`` reward targets ``u_{t+k}`` (index 0 unused and 0; 0 past the end)."""
    target_policies: np.ndarray
    """``[B, K+1, A]`` root visit distributions ``pi_{t+k}`` (uniform past the end)."""
    weights: np.ndarray
    """``[B]`` importance weights normalised by their maximum (all 1 without prioritisation)."""
    position_ids: np.ndarray
    """``[B, K+1]`` global ids of the positions ``t + k`` (clamped to the game's last move)."""
    inside: np.ndarray
    """``[B, K+1]`` bool, position ``t + k`` lies inside its game."""
    unroll_observations: np.ndarray | None = None
    """``[B, K+1, *observation_shape]`` observations ``o_{t+k}`` (zeros where not ``inside``: the final
    observation of a game is not stored); only when sampled with ``fields={"unroll_observations"}``."""


_FIELDS = ("observations", "actions", "rewards", "root_values", "policies", "value_targets", "scores",
           "game_start", "game_length")


class ReplayBuffer:
    """Finished games, sampled position-wise for MuZero's unrolled training targets."""

    def __init__(
        self,
        config: ReplayConfig,
        *,
        observation_shape: tuple[int, ...],
        observation_dtype: np.dtype | type,
        num_actions: int,
        discount: float,
        frame_stack: int = 1,
    ):
        """``frame_stack``: observations are that many frames stacked along axis 0, each move shifting in one new
        frame (a simulator's ``stacked_frames``); every frame is then stored once."""
        self.config = config
        self.num_actions = num_actions
        self.discount = discount
        self.observation_shape = tuple(observation_shape)
        self.frame_stack = int(frame_stack)
        self._frame_shape = frame_shape(self.observation_shape, self.frame_stack)
        self._prefixes: dict[int, np.ndarray] = {}  # game start id -> older frames of its first observation
        self._arrays = _empty_arrays(0, self._frame_shape, np.dtype(observation_dtype), num_actions)
        self._base = 0  # global id of physical row 0
        self._low = 0  # first live global id
        self._high = 0  # one past the last live global id
        self._games: deque[tuple[int, int]] = deque()  # (global start, length), oldest first
        self.num_games_added = 0
        self.num_transitions_added = 0

    # Adding and evicting ----------------------------------------------------------------------------------

    def add_game(
        self,
        observations: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        root_values: np.ndarray,
        policies: np.ndarray,
    ) -> None:
        """Store one finished game: ``observations[T, ...]``, ``actions[T]``, ``rewards[T]`` (``u_{t+1}``),
        ``root_values[T]`` and root visit distributions ``policies[T, A]``."""
        length = len(actions)
        if length == 0:
            return
        targets = n_step_value_targets(rewards, root_values, discount=self.discount, td_steps=self.config.td_steps)
        observations = np.asarray(observations)
        if self.frame_stack > 1:
            observations, self._prefixes[self._high] = split_stacked(observations, self.frame_stack)
        if self.config.new_priority == "max":
            live = self._arrays["scores"][self._low - self._base:self._high - self._base]
            scores = np.full(length, live.max() if len(live) else 1.0)
        else:
            scores = (np.abs(np.asarray(root_values) - targets) + PRIORITY_EPSILON) ** self.config.priority_alpha
        self._reserve(length)
        rows = slice(self._high - self._base, self._high - self._base + length)
        a = self._arrays
        a["observations"][rows] = observations
        a["actions"][rows] = actions
        a["rewards"][rows] = rewards
        a["root_values"][rows] = root_values
        a["policies"][rows] = policies
        a["value_targets"][rows] = targets
        a["scores"][rows] = scores
        a["game_start"][rows] = self._high
        a["game_length"][rows] = length
        self._games.append((self._high, length))
        self._high += length
        self.num_games_added += 1
        self.num_transitions_added += length
        self._evict()

    def _evict(self) -> None:
        by_games = self.config.capacity_unit == "games"
        while len(self._games) > 1 and (
            len(self._games) > self.config.capacity if by_games else self.num_transitions > self.config.capacity
        ):
            start, length = self._games.popleft()
            self._prefixes.pop(start, None)
            self._low = start + length

    def _reserve(self, length: int) -> None:
        used = self._high - self._low
        capacity = len(self._arrays["actions"])
        if self._high - self._base + length <= capacity:
            return
        needed = used + length
        if self.config.capacity_unit == "transitions":
            # the bounded size at once: zeroed pages cost memory only once written, and no growth copies
            grown = max(needed, int(CAPACITY_SLACK * self.config.capacity) + length)
            keep = needed <= capacity
        else:
            grown = max(2 * needed, 1024)
            keep = needed <= capacity // 2
        if keep:  # move the live rows to the front, in place
            shift = self._low - self._base
            for name in _FIELDS:
                array = self._arrays[name]
                for begin in range(0, used, _COMPACT_CHUNK):
                    end = min(begin + _COMPACT_CHUNK, used)
                    array[begin:end] = array[shift + begin:shift + end]
        else:
            fresh = _empty_arrays(grown, self._frame_shape, self._arrays["observations"].dtype, self.num_actions)
            live = slice(self._low - self._base, self._high - self._base)
            for name in _FIELDS:
                fresh[name][:used] = self._arrays[name][live]
            self._arrays = fresh
        self._base = self._low

    # Reading ----------------------------------------------------------------------------------------------

    @property
    def num_games(self) -> int:
        return len(self._games)

    @property
    def num_transitions(self) -> int:
        return self._high - self._low

    @property
    def nbytes(self) -> int:
        """Bytes held by the stored arrays (allocated rows included) and the frame prefixes."""
        return sum(array.nbytes for array in self._arrays.values()) + sum(p.nbytes for p in self._prefixes.values())

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(ids) - self._base

    def _observations(self, ids: np.ndarray) -> np.ndarray:
        """Observations ``[N, *observation_shape]`` of the live positions ``ids[N]`` (re-stacked frames)."""
        rows = self._rows(ids)
        frames = self._arrays["observations"]
        if self.frame_stack == 1:
            return frames[rows]
        starts = self._arrays["game_start"][rows]
        return stack_frames(frames, rows, np.asarray(ids) - starts, self._prefixes, starts, self.frame_stack)

    def priority_beta(self, training_step: int, training_steps: int) -> float:
        """Importance-weight exponent at ``training_step``: ``replay.priority_beta`` (``constant``) or rising
        linearly from it to 1 at ``training_steps`` (``linear``, EfficientZero's ``LinearSchedule``)."""
        beta = self.config.priority_beta
        if self.config.priority_beta_schedule == "linear":
            beta += min(training_step / max(training_steps, 1), 1.0) * (1.0 - beta)
        return beta

    def sample(self, batch_size: int, rng: np.random.Generator, *, beta: float | None = None,
               fields: Collection[str] = ()) -> Batch:
        """Sample ``batch_size`` positions (prioritised if configured) with their unrolled targets; ``beta``
        overrides ``replay.priority_beta`` (see :meth:`priority_beta`).

        ``fields``: optional extra fields of :class:`Batch` to fill (``{"unroll_observations"}``)."""
        if self.num_transitions == 0:
            raise MzlabError("replay buffer is empty; self-play must store a game before training")
        config = self.config
        live = slice(self._low - self._base, self._high - self._base)
        count = self.num_transitions
        if config.prioritized:
            scores = self._arrays["scores"][live]
            cumulative = np.cumsum(scores)
            picks = np.searchsorted(cumulative, rng.random(batch_size) * cumulative[-1], side="right")
            picks = np.minimum(picks, count - 1)
            beta = config.priority_beta if beta is None else beta
            weights = (count * scores[picks] / cumulative[-1]) ** (-beta)
            weights = weights / weights.max()
        else:
            picks = rng.integers(0, count, size=batch_size)
            weights = np.ones(batch_size)
        ids = picks + self._low
        return self.gather(ids, rng, weights=weights, fields=fields)

    def gather(self, ids: np.ndarray, rng: np.random.Generator, *, weights: np.ndarray | None = None,
               fields: Collection[str] = ()) -> Batch:
        """The unrolled targets of the positions with global ``ids[B]`` (weights default to 1)."""
        unknown = set(fields) - set(OPTIONAL_FIELDS)
        if unknown:
            raise MzlabError(f"replay batch field {sorted(unknown)[0]!r} is not one of {', '.join(OPTIONAL_FIELDS)}")
        a = self._arrays
        K = self.config.num_unroll_steps
        rows = self._rows(ids)
        starts = a["game_start"][rows]
        lengths = a["game_length"][rows]
        positions = ids - starts
        indices, inside = unroll_indices(positions, lengths, num_unroll_steps=K)
        unroll_rows = self._rows(starts[:, None] + indices)
        values = np.where(inside, a["value_targets"][unroll_rows], 0.0)
        policies = np.where(inside[..., None], a["policies"][unroll_rows], 1.0 / self.num_actions)
        # step k >= 1 uses action a_{t+k-1} and reward u_{t+k}, stored at index t+k-1
        previous_inside = np.concatenate([np.zeros((len(ids), 1), dtype=bool), inside[:, :-1]], axis=1)
        previous_rows = np.concatenate([unroll_rows[:, :1], unroll_rows[:, :-1]], axis=1)
        rewards = np.where(previous_inside, a["rewards"][previous_rows], 0.0)
        random_actions = rng.integers(0, self.num_actions, size=(len(ids), K))
        actions = np.where(previous_inside[:, 1:], a["actions"][previous_rows[:, 1:]], random_actions)
        return Batch(
            observations=self._observations(ids),
            actions=actions.astype(np.int64),
            target_values=values.astype(np.float32),
            target_rewards=rewards.astype(np.float32),
            target_policies=policies.astype(np.float32),
            weights=(np.ones(len(ids)) if weights is None else weights).astype(np.float32),
            position_ids=starts[:, None] + indices,
            inside=inside,
            unroll_observations=(self._unroll_observations(unroll_rows, inside)
                                 if "unroll_observations" in fields else None),
        )

    def _unroll_observations(self, unroll_rows: np.ndarray, inside: np.ndarray) -> np.ndarray:
        """``[B, K+1, ...]`` stored observations of the unrolled positions, zeros past the game's last move."""
        observations = self._observations(unroll_rows.reshape(-1) + self._base).reshape(
            *unroll_rows.shape, *self.observation_shape)
        observations[~inside] = 0
        return observations

    def update_priorities(self, position_ids: np.ndarray, priorities: np.ndarray, inside: np.ndarray) -> None:
        """Set the priority of each live position ``position_ids[inside]`` to ``priorities[inside]``."""
        ids = position_ids[inside]
        keep = ids >= self._low
        scores = (priorities[inside][keep] + PRIORITY_EPSILON) ** self.config.priority_alpha
        self._arrays["scores"][self._rows(ids[keep])] = scores

    def game_starts(self, ids: np.ndarray) -> np.ndarray:
        """Global id of the first move of the game of each live position ``ids[N]``."""
        return self._arrays["game_start"][self._rows(ids)]

    def game_lengths(self, ids: np.ndarray) -> np.ndarray:
        """Number of moves of the game of each live position ``ids[N]``."""
        return self._arrays["game_length"][self._rows(ids)]

    def observations_at(self, ids: np.ndarray) -> np.ndarray:
        """Stored observations ``[N, ...]`` of the live global position ``ids[N]``."""
        return self._observations(np.asarray(ids))

    def refresh(self, ids: np.ndarray, root_values: np.ndarray | None, policies: np.ndarray | None = None) -> None:
        """Reanalyse: replace ``nu`` (and ``pi``) at live, distinct ``ids[N]`` and update the value targets
        (``root_values=None``: only ``pi``).

        ``nu_p`` enters only the target of position ``p - n`` of the same game (``z_{p-n}`` bootstraps from it
        with weight ``gamma^n``), so each target moves by ``gamma^n (nu_new - nu_old)``: exact, and O(N).
        """
        keep = ids >= self._low
        ids = np.asarray(ids)[keep]
        rows = self._rows(ids)
        if root_values is None:  # policies only
            self._arrays["policies"][rows] = policies[keep]
            return
        new_values = np.asarray(root_values, dtype=np.float64)[keep]
        delta = new_values - self._arrays["root_values"][rows]
        self._arrays["root_values"][rows] = new_values
        if policies is not None:
            self._arrays["policies"][rows] = policies[keep]
        source = ids - self.config.td_steps
        same_game = source >= self._arrays["game_start"][rows]
        self._arrays["value_targets"][self._rows(source[same_game])] += (
            self.discount**self.config.td_steps * delta[same_game]
        )

    # Saving -----------------------------------------------------------------------------------------------

    def save(self, path: Path | BinaryIO) -> None:
        """Write the live buffer to ``path`` or a binary file object (``.npz``, plain arrays only)."""
        live = slice(self._low - self._base, self._high - self._base)
        arrays = {name: self._arrays[name][live] for name in _FIELDS}
        arrays["game_start"] = arrays["game_start"] - self._low
        games = np.array(list(self._games), dtype=np.int64).reshape(-1, 2)
        games[:, 0] -= self._low
        counters = np.array([self.num_games_added, self.num_transitions_added], dtype=np.int64)
        arrays["frame_stack"] = np.array([self.frame_stack], dtype=np.int64)
        if self.frame_stack > 1:  # observations hold the newest frames; each game's older first frames:
            arrays["prefix_frames"] = np.stack([self._prefixes[start] for start, _ in self._games]) if self._games \
                else np.zeros((0, self.frame_stack - 1, *self._frame_shape), self._arrays["observations"].dtype)
        if isinstance(path, str | Path):
            with open(path, "wb") as handle:
                np.savez(handle, games=games, counters=counters, **arrays)
        else:
            np.savez(path, games=games, counters=counters, **arrays)

    def load(self, source: Path | BinaryIO, *, name: str | None = None) -> None:
        """Replace the contents by a buffer written by :meth:`save` (a path or a binary file object; ``name``
        names it in errors). Files written before frames were stored once (full observations, no
        ``frame_stack`` array) load too: their observations are split into frames. A file that is not such a
        buffer (truncated, not a zip, arrays that do not fit together or this buffer's shapes) is a one-line
        :class:`MzlabError` (:func:`~mzlab.training.replay_file.read_replay_file`); the buffer is then
        unchanged."""
        arrays, games, prefixes, counters = read_replay_file(
            source, name=name, fields=_FIELDS, frame_stack=self.frame_stack,
            observation_shape=self.observation_shape, frame_shape=self._frame_shape, num_actions=self.num_actions)
        count = len(arrays["actions"])
        self._arrays = _empty_arrays(max(count, 1024), self._frame_shape, arrays["observations"].dtype,
                                     self.num_actions)
        for field in _FIELDS:
            self._arrays[field][:count] = arrays[field]
        self._base, self._low, self._high = 0, 0, count
        self._games = deque(games)
        self._prefixes = prefixes
        self.num_games_added, self.num_transitions_added = (int(c) for c in counters)


def _empty_arrays(capacity: int, frame_shape: tuple[int, ...], observation_dtype: np.dtype,
                  num_actions: int) -> dict[str, np.ndarray]:
    return {
        "observations": np.zeros((capacity, *frame_shape), dtype=observation_dtype),  # newest frames
        "actions": np.zeros(capacity, dtype=np.int64),
        "rewards": np.zeros(capacity, dtype=np.float32),
        "root_values": np.zeros(capacity, dtype=np.float32),
        "policies": np.zeros((capacity, num_actions), dtype=np.float32),
        "value_targets": np.zeros(capacity, dtype=np.float32),
        "scores": np.zeros(capacity, dtype=np.float64),  # priority ** alpha
        "game_start": np.zeros(capacity, dtype=np.int64),
        "game_length": np.zeros(capacity, dtype=np.int64),
    }
