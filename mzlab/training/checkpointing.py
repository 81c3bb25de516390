"""What a trainer keeps beside its checkpoints and how it picks one to resume from.

Each checkpoint's replay buffer is ``RUN/replay/step_XXXXXXXX.npz`` (written before the checkpoint, its size
and sha256 in the checkpoint's ``extra``); the buffers of the :data:`REPLAY_FILES_KEPT` newest checkpoints are
kept, an older one is deleted only once a newer checkpoint is complete. :func:`resume_newest` tries the
checkpoints newest first and, when it has to fall back, says so in one line on stderr and moves the later ones
to ``checkpoints/superseded/`` (never deletes them). What a checkpoint restores is the trainer's business
(:mod:`.loop`).
"""

from __future__ import annotations

import io
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from mzlab.atomic_files import write_bytes_atomic
from mzlab.checked_files import file_digest, read_verified_bytes
from mzlab.errors import MzlabError
from mzlab.runs import RunDirectory
from mzlab.training.replay import ReplayBuffer

__all__ = ["REPLAY_FILES_KEPT", "replay_path", "save_replay", "prune_replays", "read_replay", "resume_newest",
           "set_aside"]

REPLAY_FILES_KEPT = 2
"""Replay buffers kept: the newest checkpoints' (one to resume from, one to fall back to)."""

Loaded = TypeVar("Loaded")


def replay_path(run: RunDirectory, step: int) -> Path:
    """Where the replay buffer saved with checkpoint ``step`` lives."""
    return run.path / "replay" / f"step_{step:08d}.npz"


def save_replay(run: RunDirectory, step: int, buffer: ReplayBuffer) -> dict:
    """Write ``buffer`` for checkpoint ``step`` (atomically); returns the checkpoint ``extra`` entries naming the
    file and its size and sha256."""
    path = replay_path(run, step)
    path.parent.mkdir(exist_ok=True)
    data = io.BytesIO()
    buffer.save(data)
    payload = data.getvalue()
    write_bytes_atomic(path, payload)
    return {"replay_file": str(path.relative_to(run.path)), "replay": file_digest(payload)}


def prune_replays(run: RunDirectory) -> None:
    """Delete the buffers of all but the newest :data:`REPLAY_FILES_KEPT` complete checkpoints (call after a
    checkpoint is complete)."""
    kept = {replay_path(run, step).name for step in run.checkpoint_steps()[-REPLAY_FILES_KEPT:]}
    for old in (run.path / "replay").glob("step_*.npz"):
        if old.name not in kept:
            old.unlink(missing_ok=True)


def read_replay(run: RunDirectory, step: int, metadata: dict) -> bytes:
    """The bytes of checkpoint ``step``'s buffer, checked against the size and sha256 its ``metadata`` records."""
    path = replay_path(run, step)
    digest = metadata.get("extra", {}).get("replay")
    if isinstance(digest, dict):
        return read_verified_bytes(path, what="replay buffer file", size=digest.get("size"),
                                   sha256=digest.get("sha256"),
                                   recorded_in=str(run.checkpoint_dir / f"step_{step:08d}.json"))
    if path.is_file():  # written before checkpoints recorded the buffer's checksum
        return path.read_bytes()
    raise MzlabError(f"replay buffer file {str(path)!r} of checkpoint {step} is missing")


def resume_newest(run: RunDirectory, load: Callable[[int], Loaded]) -> tuple[int, Loaded] | None:
    """``(step, load(step))`` of the newest checkpoint ``load`` restores without a MzlabError, ``None`` when the run
    has no checkpoint.

    A newer checkpoint that cannot be resumed is reported in one line on stderr and moved, with every checkpoint
    after the one resumed, to ``checkpoints/superseded/`` (the rerun writes those steps again); metrics rows after
    the resumed step are dropped. When none can be resumed, MzlabError names the newest one's problem.
    """
    steps = run.checkpoint_steps()
    failures: list[tuple[int, MzlabError]] = []
    for step in reversed(steps):
        try:
            loaded = load(step)
        except MzlabError as error:
            failures.append((step, error))
            continue
        run.verify_metrics(step)  # damaged metrics are named, never carried into new checkpoints
        if failures:
            moved = set_aside(run, [s for s in steps if s > step], step)
            newest, reason = failures[0]
            print(f"mzlab: checkpoint {newest} of {str(run.path)!r} cannot be resumed ({reason}); "
                  f"resuming from checkpoint {step}, the later ones moved to {str(moved)!r}", file=sys.stderr)
        run.discard_metrics_after(step)
        return step, loaded
    if failures:
        newest, reason = failures[0]
        raise MzlabError(f"no checkpoint of {str(run.path)!r} can be resumed; the newest, {newest}: {reason}")
    return None


def set_aside(run: RunDirectory, steps: list[int], resumed: int) -> Path:
    """Move the files of checkpoints ``steps`` (newer than ``resumed``) out of the history; returns the folder."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = run.checkpoint_dir / "superseded" / f"resumed-from-{resumed:08d}-at-{stamp}"
    target.mkdir(parents=True, exist_ok=True)
    for step in steps:
        stem = f"step_{step:08d}"
        # metadata first: from then on the checkpoint no longer counts, whatever happens to the rest
        for name in (f"{stem}.json", f"{stem}.safetensors", f"{stem}.state.safetensors"):
            if (run.checkpoint_dir / name).exists():
                shutil.move(str(run.checkpoint_dir / name), str(target / name))
        if replay_path(run, step).exists():
            shutil.move(str(replay_path(run, step)), str(target / f"{stem}.npz"))
    return target
