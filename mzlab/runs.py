"""The run directory: what training writes and analysis reads (analysis never imports training).

Layout::

    RUN/config.json                                the ExperimentConfig (written once, never overwritten)
    RUN/checkpoints/step_00001000.safetensors      network weights (safetensors: no pickle, no code)
    RUN/checkpoints/step_00001000.state.safetensors  optional trainer state tensors (optimizer, RNG states)
    RUN/checkpoints/step_00001000.json             metadata, written LAST: its presence marks the checkpoint complete
    RUN/metrics.jsonl                              one JSON object per metrics row, appended
    RUN/metrics.parquet                            the same table, exported by ``write_metrics_parquet``
    RUN/tensorboard/                               TensorBoard event files

Every file is written atomically (temp file + ``os.replace``); checkpoint metadata records the size and sha256
of each tensor file and loading verifies both, so a truncated, corrupted or swapped file is a clear
:class:`MzlabError` naming the file. The metadata records the config it was trained with and a checksum of
itself, so an edited ``config.json`` or metadata file is refused naming the file and the differing fields.
This module is the directory's lifecycle (create, resume, open, discard), its step list and its metrics; one
checkpoint's files are written and read by :mod:`mzlab.run_checkpoints`.
One process writes a run directory at a time: :meth:`RunDirectory.create_or_resume` takes the writer lock
(:mod:`mzlab.run_lock`); readers never need it.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from mzlab.atomic_files import write_bytes_atomic
from mzlab.config import ExperimentConfig
from mzlab.config_io import config_differences, config_hash, load_config, save_config, validate
from mzlab.errors import MzlabError
from mzlab.run_checkpoints import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_FORMAT_VERSION,
    OBJECTIVE_PREFIX,
    decode_trainer_state,
    describe_steps,
    list_checkpoint_steps,
    metadata_path,
    read_metadata,
    read_tensor_file,
    split_objective_weights,
    write_checkpoint,
)
from mzlab.run_checks import check_history, describe_differences, metadata_checksum
from mzlab.run_lock import LOCK_NAME, acquire_writer_lock
from mzlab.run_metrics import append_rows, discard_rows_after, metrics_digest, read_rows, repair_tail

# the checkpoint names are re-exported: callers import them from here
__all__ = ["RunDirectory", "CHECKPOINT_FORMAT", "CHECKPOINT_FORMAT_VERSION", "OBJECTIVE_PREFIX",
           "split_objective_weights", "metadata_checksum"]


class RunDirectory:
    """A run directory opened for writing (:meth:`create_or_resume`) or reading (:meth:`open`)."""

    def __init__(self, path: Path, config: ExperimentConfig, *, writable: bool, release_lock=None):
        self.path = path
        self.config = config
        self.config_hash = config_hash(config)
        self.writable = writable
        self.created: list[Path] = []
        """Paths :meth:`create_or_resume` created now (empty for a resumed run); see :meth:`discard_if_unstarted`."""
        self._release_lock = release_lock or (lambda: None)
        weakref.finalize(self, self._release_lock)

    def close(self) -> None:
        """Release the writer lock (also done when the object is garbage collected or the process ends)."""
        self._release_lock()

    def __enter__(self) -> RunDirectory:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ opening

    @classmethod
    def create_or_resume(cls, path: str | os.PathLike, config: ExperimentConfig) -> RunDirectory:
        """Create ``path`` with ``config.json``, or reopen it for writing if it holds the same config.

        Refuses (MzlabError naming the directory and the differing keys) a directory made with another config,
        a non-empty directory that is not a run directory, and a directory another process is writing (the
        writer lock, held until :meth:`close` or the process ends); nothing is overwritten.
        """
        validate(config)
        path = Path(path)
        config_file = path / "config.json"
        created: list[Path] = []
        if not config_file.exists():
            if path.exists() and not path.is_dir():
                raise MzlabError(f"run directory {str(path)!r} exists and is not a directory")
            if path.is_dir() and any(not entry.name.startswith(".") for entry in path.iterdir()):
                raise MzlabError(
                    f"{str(path)!r} is not empty and has no config.json, so it is not an mzlab run directory; "
                    "refusing to write into it"
                )
            created += [] if path.is_dir() else [path]
            path.mkdir(parents=True, exist_ok=True)
        release = acquire_writer_lock(path)
        try:
            if config_file.exists():
                stored = load_config(config_file)
                if config_hash(stored) != config_hash(config):
                    raise MzlabError(
                        f"run directory {str(path)!r} was made with a different config (its config.json: "
                        f"{describe_differences(config_differences(stored, config), 'in the run', 'now')}); "
                        "use another --run-dir or the run's own settings"
                    )
                config = stored
            else:
                save_config(config, config_file)
                created.append(config_file)
            created += [sub for sub in (path / "checkpoints", path / "tensorboard") if not sub.exists()]
            (path / "checkpoints").mkdir(exist_ok=True)
            (path / "tensorboard").mkdir(exist_ok=True)
            run = cls(path, config, writable=True, release_lock=release)
            run.created = created
            run._repair_metrics_tail()  # checkpoints are verified when loaded (the trainer falls back past bad ones)
        except BaseException:
            release()
            raise
        return run

    def discard_if_unstarted(self) -> bool:
        """After a failed start: remove what :meth:`create_or_resume` created if no checkpoint was written yet,
        so the corrected command starts afresh (``config.json`` included). Returns whether it removed the run."""
        import shutil

        if not self.created or self.checkpoint_steps() or self.path / "config.json" not in self.created:
            return False
        for name in ("config.json", "metrics.jsonl", "metrics.parquet"):
            (self.path / name).unlink(missing_ok=True)
        for name in ("checkpoints", "tensorboard", "replay", "wandb"):
            shutil.rmtree(self.path / name, ignore_errors=True)
        if self.path in self.created:  # a directory this start made: release the lock and remove it all
            self.close()
            (self.path / LOCK_NAME).unlink(missing_ok=True)
            if not any(self.path.iterdir()):
                self.path.rmdir()
        self.created = []
        return True

    @classmethod
    def open(cls, path: str | os.PathLike) -> RunDirectory:
        """Open an existing run directory read-only."""
        path = Path(path)
        if not path.is_dir():
            raise MzlabError(f"run directory {str(path)!r} does not exist")
        if not (path / "config.json").is_file():
            raise MzlabError(f"{str(path)!r} is not an mzlab run directory: it has no config.json")
        run = cls(path, load_config(path / "config.json"), writable=False)
        run._check_newest_checkpoint()
        return run

    def _check_newest_checkpoint(self) -> None:
        """config.json must match the newest checkpoint, whose history must still be listed (run_checks)."""
        steps = self.checkpoint_steps()
        if steps:
            check_history(self.checkpoint_metadata(steps[-1]), steps, self.checkpoint_dir)

    def __repr__(self) -> str:
        mode = "writable" if self.writable else "read-only"
        return f"RunDirectory({str(self.path)!r}, {mode}, config {self.config_hash})"

    @property
    def checkpoint_dir(self) -> Path:
        return self.path / "checkpoints"

    @property
    def tensorboard_dir(self) -> Path:
        """Where TensorBoard event files go (``SummaryWriter(log_dir=run.tensorboard_dir)``)."""
        return self.path / "tensorboard"

    # ------------------------------------------------------------------------------------------------ checkpoints

    def checkpoint_steps(self) -> list[int]:
        """Steps of complete checkpoints (metadata file present), ascending. Weights without metadata are
        an interrupted save and do not count."""
        return list_checkpoint_steps(self.checkpoint_dir)

    def latest_checkpoint_step(self) -> int | None:
        """The highest complete checkpoint step, or ``None`` when there is none."""
        steps = self.checkpoint_steps()
        return steps[-1] if steps else None

    def select_steps(self, requested: list[int] | tuple[int, ...] | None) -> list[int]:
        """``requested`` steps (all when ``None``) after checking each exists; MzlabError lists the available."""
        available = self.checkpoint_steps()
        if requested is None:
            return available
        missing = [step for step in requested if step not in available]
        if missing:
            raise MzlabError(
                f"run directory {str(self.path)!r} has no checkpoint at step {missing[0]}; "
                f"available steps: {describe_steps(available)}"
            )
        return list(requested)

    def save_checkpoint(
        self,
        step: int,
        weights: nn.Module | Mapping[str, torch.Tensor],
        *,
        env_steps: int,
        trainer_state: Any = None,
        extra: Mapping[str, Any] | None = None,
        observation_shape: tuple[int, ...] | None = None,
        num_actions: int | None = None,
        objective_weights: Mapping[str, torch.Tensor] | None = None,
    ) -> Path:
        """Write checkpoint ``step``; returns the metadata path.

        ``weights``: a network from :func:`mzlab.networks.build_network` (its ``state_dict``, observation shape
        and action count are recorded) or a ``{name: tensor}`` mapping (then pass ``observation_shape`` and
        ``num_actions`` for :meth:`load_network`). ``trainer_state``: any nesting of dicts, lists, tuples, tensors,
        numpy arrays and JSON scalars (e.g. ``{"optimizer": opt.state_dict(), "torch_rng": torch.get_rng_state()}``),
        restored by :meth:`load_trainer_state`. ``extra``: JSON-serialisable metadata. ``objective_weights``: the
        training objective's extra heads, stored in the same weights file under :data:`OBJECTIVE_PREFIX`
        (:func:`split_objective_weights` separates them again). An existing complete checkpoint is never
        overwritten.
        """
        self._require_writable()
        if not isinstance(step, int | np.integer) or step < 0:
            raise MzlabError(f"checkpoint step must be an integer >= 0, got {step!r}")
        step = int(step)
        if step in self.checkpoint_steps():
            raise MzlabError(
                f"checkpoint step {step} already exists in {str(self.checkpoint_dir)!r}; never overwritten"
            )
        if isinstance(weights, nn.Module):
            observation_shape = getattr(weights, "observation_shape", observation_shape)
            num_actions = getattr(weights, "num_actions", num_actions)
            weights = weights.state_dict()
        return write_checkpoint(
            self.checkpoint_dir, step, weights, config=self.config, config_hash=self.config_hash,
            env_steps=env_steps, network={"observation_shape": observation_shape, "num_actions": num_actions},
            trainer_state=trainer_state, extra=extra or {}, objective_weights=objective_weights,
            metrics=metrics_digest(self.metrics_path), previous_steps=self.checkpoint_steps(),
        )

    def checkpoint_metadata(self, step: int) -> dict[str, Any]:
        """The metadata dict of checkpoint ``step`` (cheap: reads only the JSON file)."""
        if not metadata_path(self.checkpoint_dir, step).is_file():
            raise MzlabError(
                f"run directory {str(self.path)!r} has no checkpoint at step {step}; "
                f"available steps: {describe_steps(self.checkpoint_steps())}"
            )
        return read_metadata(self.checkpoint_dir, step, config=self.config, config_hash=self.config_hash,
                             config_file=self.path / "config.json")

    def load_checkpoint(self, step: int, *, device: str | torch.device = "cpu") -> tuple[dict[str, torch.Tensor], dict]:
        """``(weights, metadata)`` of checkpoint ``step``, after verifying the weights file's size and sha256."""
        metadata = self.checkpoint_metadata(step)
        return read_tensor_file(self.checkpoint_dir, metadata, "weights", device), metadata

    def load_trainer_state(self, step: int, *, device: str | torch.device = "cpu") -> Any:
        """The ``trainer_state`` saved with checkpoint ``step`` (same nesting), or ``None`` if none was saved."""
        return decode_trainer_state(self.checkpoint_dir, self.checkpoint_metadata(step), device)

    def load_network(self, step: int | None = None, *, device: str | torch.device = "cpu") -> nn.Module:
        """The network of checkpoint ``step`` (latest when ``None``), built from the run's config, in eval mode."""
        from mzlab.networks import build_network

        if step is None:
            step = self.latest_checkpoint_step()
            if step is None:
                raise MzlabError(f"run directory {str(self.path)!r} has no complete checkpoint yet")
        weights, metadata = self.load_checkpoint(step)
        spec = metadata.get("network", {})
        if spec.get("observation_shape") is None or spec.get("num_actions") is None:
            raise MzlabError(
                f"checkpoint {step} in {str(self.checkpoint_dir)!r} does not record the observation shape and action "
                "count; save it with a network from build_network or pass observation_shape and num_actions"
            )
        network = build_network(self.config, tuple(spec["observation_shape"]), spec["num_actions"])
        try:
            network.load_state_dict(split_objective_weights(weights)[0])
        except RuntimeError as error:
            first_line = str(error).strip().splitlines()[0]
            raise MzlabError(
                f"weights of checkpoint {step} in {str(self.checkpoint_dir)!r} do not fit the network of the run's "
                f"config: {first_line}"
            ) from None
        return network.to(device).eval()

    # ------------------------------------------------------------------------------------------------ metrics

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.jsonl"

    def append_metrics(self, rows: list[Mapping[str, Any]]) -> None:
        """Append metrics rows (flat dicts of numbers/strings/bools; include ``step``). Columns may vary by row."""
        self._require_writable()
        if rows:
            append_rows(self.metrics_path, rows)

    def read_metrics(self) -> pd.DataFrame:
        """All metrics rows as a DataFrame (empty when none); a torn last line from a crash is skipped. The
        rows up to the newest checkpoint are verified against the size and sha256 it recorded."""
        rows = self._verified_metrics_rows(self.latest_checkpoint_step())
        return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()

    def _verified_metrics_rows(self, step: int | None) -> list[dict]:
        """Every metrics row, after checking the rows checkpoint ``step`` recorded (none when ``None``)."""
        recorded, recorded_in = None, ""
        if step is not None:
            recorded = self.checkpoint_metadata(step).get("metrics")
            recorded_in = str(self.checkpoint_dir / f"step_{step:08d}.json")
        return read_rows(self.metrics_path, recorded=recorded, recorded_in=recorded_in)

    def verify_metrics(self, step: int) -> None:
        """MzlabError naming the metrics file unless its rows match what checkpoint ``step`` recorded."""
        self._verified_metrics_rows(step)

    def discard_metrics_after(self, step: int) -> None:
        """Drop rows whose ``step`` exceeds ``step`` (call on resume from that checkpoint); atomic rewrite."""
        self._require_writable()
        discard_rows_after(self.metrics_path, step)

    def write_metrics_parquet(self) -> Path:
        """Export the metrics table to ``metrics.parquet`` atomically; returns its path."""
        self._require_writable()
        path = self.path / "metrics.parquet"
        frame = self.read_metrics()
        try:
            data = frame.to_parquet(index=False)
        except (TypeError, ValueError) as error:  # pyarrow's type errors derive from these
            raise MzlabError(f"metrics of {str(self.path)!r} cannot be written as Parquet: {error}") from None
        write_bytes_atomic(path, data)
        return path

    def _repair_metrics_tail(self) -> None:
        repair_tail(self.metrics_path)

    def _require_writable(self) -> None:
        if not self.writable:
            raise MzlabError(f"run directory {str(self.path)!r} is opened read-only")
