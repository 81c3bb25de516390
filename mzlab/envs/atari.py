"""Atari Breakout through the Arcade Learning Environment, with exact snapshots from ``cloneState``.

Pre-processing (the paper's Atari setting, DQN-style):

- no sticky actions (``repeat_action_probability = 0``): the emulator is deterministic;
- the minimal action set (Breakout: NOOP, FIRE, RIGHT, LEFT);
- frame skip ``frame_skip`` (4): an action is repeated for 4 frames, rewards summed, and the frame is the
  pixel-wise maximum of the last two (removes Atari flicker);
- frames resized to ``frame_size`` x ``frame_size`` (96 x 96) RGB with bilinear filtering (Pillow);
- ``frame_stack`` (4) most recent frames stacked; at reset the first frame fills the stack;
- seeded no-op starts: ``reset(seed)`` plays ``default_rng(seed).integers(1, noop_max + 1)`` raw NOOP frames
  (1..30) before the first observation, so different seeds start in different states;
- options: ``episodic_life`` (losing a life ends the episode: ``terminated``) and ``clip_rewards`` (rewards
  become their sign); truncation after ``max_episode_steps`` agent steps. With ``episodic_life`` the next
  training episode continues the same game (:meth:`Atari.continue_episode`, EfficientZero's
  ``EpisodicLifeEnv``): one NOOP step, then a fresh stack of the new frame; the step count runs on, so the
  move limit bounds the whole game.

Observation: uint8 ``[frame_stack * 3, frame_size, frame_size]`` = ``[12, 96, 96]`` in 0..255, oldest frame
first, RGB channels inside each frame (channel ``3 * k + c`` is colour ``c`` of frame ``k``).

Snapshot: :class:`AtariSnapshot` = ALE ``cloneState`` plus the frame stack (uint8 ``[4, 96, 96, 3]``,
read-only), the agent step count, lives and the ended flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import ale_py
import numpy as np
from ale_py import roms
from PIL import Image

from mzlab.envs.simulator import Simulator, Transition

__all__ = ["Atari", "AtariSnapshot"]


@dataclass(frozen=True)
class AtariSnapshot:
    """Everything the future of an Atari episode depends on; immutable."""

    ale_state: ale_py.ALEState
    frames: np.ndarray
    """uint8 ``[frame_stack, size, size, 3]``, read-only, oldest first."""
    steps: int
    lives: int
    terminated: bool
    truncated: bool


class Atari(Simulator):
    """One ALE game as a simulator (default Breakout); see the module docstring for the pre-processing."""

    def __init__(
        self,
        game: str = "breakout",
        *,
        discount: float = 0.997,
        frame_skip: int = 4,
        frame_stack: int = 4,
        frame_size: int = 96,
        noop_max: int = 30,
        episodic_life: bool = False,
        clip_rewards: bool = False,
        max_episode_steps: int = 27_000,
    ) -> None:
        if frame_skip < 2:
            raise ValueError("frame_skip must be >= 2 (the last two frames are max-pooled)")
        self.name = game
        self.discount = float(discount)
        self.frame_skip = int(frame_skip)
        self.frame_stack = int(frame_stack)
        self.frame_size = int(frame_size)
        self.noop_max = int(noop_max)
        self.episodic_life = bool(episodic_life)
        self.clip_rewards = bool(clip_rewards)
        self.max_episode_steps = int(max_episode_steps)
        ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)
        self._ale = ale_py.ALEInterface()
        self._ale.setInt("random_seed", 0)
        self._ale.setFloat("repeat_action_probability", 0.0)
        self._ale.setInt("frame_skip", 1)
        self._ale.loadROM(roms.get_rom_path(game))
        self._actions = list(self._ale.getMinimalActionSet())
        self.num_actions = len(self._actions)
        self.observation_shape = (3 * self.frame_stack, self.frame_size, self.frame_size)
        self.observation_dtype = np.dtype(np.uint8)
        self.stacked_frames = self.frame_stack
        height, width = self._ale.getScreenDims()
        self._screens = np.zeros((2, height, width, 3), dtype=np.uint8)
        self._snapshot: AtariSnapshot | None = None

    # Stateful single environment ----------------------------------------------------------------------------

    def reset(self, seed: int) -> np.ndarray:
        ale = self._ale
        ale.reset_game()
        noops = int(np.random.default_rng(int(seed)).integers(1, self.noop_max + 1)) if self.noop_max > 0 else 0
        for _ in range(noops):
            ale.act(self._actions[0])
            if ale.game_over():
                ale.reset_game()
        ale.getScreenRGB(self._screens[0])
        frame = self._resize(self._screens[0])
        frames = np.repeat(frame[None], self.frame_stack, axis=0)
        frames.flags.writeable = False
        self._snapshot = AtariSnapshot(ale.cloneState(include_rng=True), frames, 0, ale.lives(), False, False)
        self._snapshot_is_loaded = self._snapshot
        return self.observe()

    def step(self, action: int) -> Transition:
        current = self._current()
        if current.terminated or current.truncated:
            return Transition(self.observe(), 0.0, current.terminated, current.truncated)
        ale = self._ale
        if self._snapshot_is_loaded is not current:
            ale.restoreState(current.ale_state)
        reward, frame = self._act(self._actions[int(action)])
        frames = np.concatenate([current.frames[1:], frame[None]])
        frames.flags.writeable = False
        lives = ale.lives()
        terminated = ale.game_over() or (self.episodic_life and lives < current.lives)
        truncated = current.steps + 1 >= self.max_episode_steps
        self._snapshot = AtariSnapshot(
            ale.cloneState(include_rng=True), frames, current.steps + 1, lives, bool(terminated), bool(truncated)
        )
        self._snapshot_is_loaded = self._snapshot
        if self.clip_rewards:
            reward = float(np.sign(reward))
        return Transition(self.observe(), float(reward), bool(terminated), bool(truncated))

    def continue_episode(self, snapshot: object) -> tuple[AtariSnapshot, np.ndarray] | None:
        """With ``episodic_life``, the episode after ``snapshot`` ended by a lost life: the same game after one
        NOOP step (its reward dropped, as EfficientZero's ``EpisodicLifeEnv.reset``), the frame stack filled
        with the new frame, the step count kept. ``None`` when the game is over or the move limit is reached."""
        if not isinstance(snapshot, AtariSnapshot):
            raise TypeError(f"expected an AtariSnapshot, got {type(snapshot).__name__}")
        if not (self.episodic_life and snapshot.terminated and not snapshot.truncated):
            return None
        ale = self._ale
        ale.restoreState(snapshot.ale_state)
        if ale.game_over() or snapshot.steps + 1 >= self.max_episode_steps:
            self._snapshot_is_loaded = None
            return None
        _, frame = self._act(self._actions[0])
        frames = np.repeat(frame[None], self.frame_stack, axis=0)
        frames.flags.writeable = False
        self._snapshot = AtariSnapshot(ale.cloneState(include_rng=True), frames, snapshot.steps + 1, ale.lives(),
                                       bool(ale.game_over()), False)
        self._snapshot_is_loaded = self._snapshot
        return self._snapshot, self.observe()

    def _act(self, ale_action) -> tuple[float, np.ndarray]:
        """Repeat ``ale_action`` for ``frame_skip`` frames: (summed reward, max-pool of the last two screens)."""
        ale = self._ale
        reward = 0.0
        captured = 0
        for frame_index in range(self.frame_skip):
            reward += ale.act(ale_action)
            if frame_index >= self.frame_skip - 2:
                ale.getScreenRGB(self._screens[captured])
                captured += 1
            if ale.game_over():
                break
        if captured == 0:
            ale.getScreenRGB(self._screens[0])
        if captured < 2:
            self._screens[1] = self._screens[0]
        return reward, self._resize(np.maximum(self._screens[0], self._screens[1]))

    def snapshot(self) -> AtariSnapshot:
        return self._current()

    def restore(self, snapshot: object) -> None:
        if not isinstance(snapshot, AtariSnapshot):
            raise TypeError(f"expected an AtariSnapshot, got {type(snapshot).__name__}")
        self._snapshot = snapshot

    def observe(self) -> np.ndarray:
        """uint8 ``[frame_stack * 3, size, size]`` (the network scales it by 1/255; replay stores it 4x smaller
        than float32)."""
        frames = self._current().frames
        return np.ascontiguousarray(frames.transpose(0, 3, 1, 2).reshape(self.observation_shape))

    # Helpers -------------------------------------------------------------------------------------------------

    _snapshot_is_loaded: AtariSnapshot | None = None
    """The snapshot whose ALE state the emulator currently holds (restoring it again is skipped)."""

    def _current(self) -> AtariSnapshot:
        if self._snapshot is None:
            raise RuntimeError(f"{self.name}: call reset(seed) or restore(snapshot) first")
        return self._snapshot

    def _resize(self, screen: np.ndarray) -> np.ndarray:
        """uint8 ``[210, 160, 3]`` screen -> uint8 ``[size, size, 3]``."""
        image = Image.fromarray(screen).resize((self.frame_size, self.frame_size), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.uint8)
