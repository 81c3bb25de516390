"""Breakout replay memory: bytes per stored transition of the ``breakout`` preset's buffer, filled to capacity.

Fills the preset's 100,000-transition buffer with games of stacked ``[12, 96, 96]`` uint8 observations (frames
stored once) and, for comparison in the same run, a smaller buffer that stores every observation whole (the
layout before; 100,000 of those would need about 11 GB). Prints one JSON line per layout.

    .venv/bin/python benchmarks/replay_memory.py [--transitions 100000] [--whole-transitions 10000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json

import numpy as np

from mzlab.config import preset
from mzlab.training.replay import ReplayBuffer

GAME_LENGTH = 1000


def stacked_game(rng: np.random.Generator, length: int, stack: int) -> np.ndarray:
    """``[length, 3 * stack, 96, 96]`` uint8 observations whose frames shift by one per move (padded start)."""
    frames = np.repeat(rng.integers(0, 256, size=(length, 3, 1, 96), dtype=np.uint8), 96, axis=2)
    frames = np.concatenate([np.repeat(frames[:1], stack - 1, axis=0), frames])
    return np.stack([frames[t:t + stack].reshape(3 * stack, 96, 96) for t in range(length)])


def fill(transitions: int, frame_stack: int, seed: int = 0) -> dict:
    config = preset("breakout")
    replay = dataclasses.replace(config.replay, capacity=transitions)
    stack = config.env.frame_stack
    buffer = ReplayBuffer(replay, observation_shape=(3 * stack, 96, 96), observation_dtype=np.uint8, num_actions=4,
                          discount=config.env.discount, frame_stack=frame_stack)
    rng = np.random.default_rng(seed)
    while buffer.num_transitions_added < int(1.5 * transitions):  # past capacity: eviction and compaction run
        length = GAME_LENGTH
        buffer.add_game(stacked_game(rng, length, stack), rng.integers(0, 4, length), rng.normal(size=length),
                        rng.normal(size=length), rng.dirichlet(np.ones(4), size=length))
    per_transition = buffer.nbytes / buffer.num_transitions
    return {"case": "atari_replay_memory", "layout": "frames_once" if frame_stack > 1 else "whole_observations",
            "transitions": buffer.num_transitions, "bytes_per_transition": round(per_transition, 1),
            "total_gb": round(buffer.nbytes / 1e9, 3),
            "gb_at_100000": round(per_transition * 100_000 / 1e9, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transitions", type=int, default=100_000)
    parser.add_argument("--whole-transitions", type=int, default=10_000, help="size of the whole-observation buffer")
    args = parser.parse_args()
    frames = fill(args.transitions, preset("breakout").env.frame_stack)
    print(json.dumps(frames), flush=True)
    whole = fill(args.whole_transitions, 1)
    whole["ratio_vs_frames_once"] = round(whole["bytes_per_transition"] / frames["bytes_per_transition"], 2)
    print(json.dumps(whole), flush=True)


if __name__ == "__main__":
    main()
