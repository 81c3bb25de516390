"""One checkpoint's files in ``RUN/checkpoints/``: writing them (tensor files first, metadata last) and reading
them back verified. :class:`mzlab.runs.RunDirectory` calls these; it owns the directory, its lock and metrics.

Files of checkpoint ``step``::

    step_00001000.safetensors        network weights (+ the objective's heads under ``objective.``)
    step_00001000.state.safetensors  optional trainer state tensors (their nesting is in the metadata)
    step_00001000.json               metadata, written LAST: its presence marks the checkpoint complete

The metadata records each tensor file's name, size and sha256 (checked before parsing, with safetensors: no
pickle, no code), the config the checkpoint was trained with and a checksum of itself (:mod:`mzlab.run_checks`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import safetensors.torch
import torch

from mzlab.atomic_files import write_bytes_atomic, write_json_atomic
from mzlab.checked_files import read_json_file, read_verified_bytes
from mzlab.config import ExperimentConfig
from mzlab.config_io import config_to_dict
from mzlab.errors import MzlabError
from mzlab.run_checks import check_trained_config, metadata_checksum
from mzlab.state_codec import decode_state, encode_state
from mzlab.version import __version__

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_FORMAT_VERSION", "OBJECTIVE_PREFIX", "metadata_path",
           "list_checkpoint_steps", "write_checkpoint", "read_metadata", "read_tensor_file", "decode_trainer_state",
           "split_objective_weights", "describe_steps"]

OBJECTIVE_PREFIX = "objective."
"""Weights-file prefix of the training objective's extra heads (projection, predictor, decoder); the network's
own tensors never start with it, so :meth:`RunDirectory.load_network` reads ``h``, ``g``, ``f`` alone."""

CHECKPOINT_FORMAT = "mzlab-checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
_METADATA_NAME = re.compile(r"^step_(\d{8,})\.json$")
_TENSOR_FILE_NAME = re.compile(r"^step_\d{8,}(\.state)?\.safetensors$")
_METADATA_SIZE_LIMIT = 16 * 2**20


def metadata_path(checkpoint_dir: Path, step: int) -> Path:
    """Where checkpoint ``step``'s metadata file is (or would be)."""
    return checkpoint_dir / f"step_{int(step):08d}.json"


def list_checkpoint_steps(checkpoint_dir: Path) -> list[int]:
    """Steps of complete checkpoints (metadata file present), ascending. Weights without metadata are an
    interrupted save and do not count."""
    if not checkpoint_dir.is_dir():
        return []
    return sorted(int(match.group(1)) for entry in os.listdir(checkpoint_dir) if (match := _METADATA_NAME.match(entry)))


def write_checkpoint(
    checkpoint_dir: Path,
    step: int,
    weights: Mapping[str, torch.Tensor],
    *,
    config: ExperimentConfig,
    config_hash: str,
    env_steps: int,
    network: dict[str, Any],
    trainer_state: Any,
    extra: Mapping[str, Any],
    objective_weights: Mapping[str, torch.Tensor] | None,
    metrics: Any,
    previous_steps: list[int],
) -> Path:
    """Write the tensor files, then the metadata of checkpoint ``step``; returns the metadata path.

    ``network``: ``{"observation_shape", "num_actions"}`` (``None`` each when unknown); ``metrics``: the digest of
    ``metrics.jsonl`` now; ``previous_steps``: the earlier complete checkpoints. The caller checks ``step``.
    """
    extra = dict(extra)
    try:
        json.dumps(extra, allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise MzlabError(f"checkpoint extra metadata must be JSON-serialisable without NaN: {error}") from None
    stem = f"step_{step:08d}"
    weights = dict(weights)
    heads = {f"{OBJECTIVE_PREFIX}{name}": tensor for name, tensor in (objective_weights or {}).items()}
    if any(name.startswith(OBJECTIVE_PREFIX) for name in weights):
        raise MzlabError(f"network tensor names must not start with {OBJECTIVE_PREFIX!r} (kept for objectives)")
    files = {"weights": _write_tensor_file(checkpoint_dir / f"{stem}.safetensors", {**weights, **heads})}
    state_structure = None
    if trainer_state is not None:
        state_structure, state_tensors = encode_state(trainer_state, where="trainer_state")
        files["trainer_state"] = _write_tensor_file(checkpoint_dir / f"{stem}.state.safetensors", state_tensors)
    shape, actions = network.get("observation_shape"), network.get("num_actions")
    metadata = {
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "step": step,
        "env_steps": int(env_steps),
        "seed": config.seed,
        "config_hash": config_hash,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "mzlab_version": __version__,
        "network": {
            "kind": config.network.kind,
            "observation_shape": None if shape is None else [int(s) for s in shape],
            "num_actions": None if actions is None else int(actions),
        },
        "objective": {"name": config.training.objective, "tensors": len(heads)},
        "files": files,
        "trainer_state_structure": state_structure,
        "extra": extra,
        "config": config_to_dict(config),
        "metrics": metrics,
        "previous_steps": list(previous_steps),
    }
    metadata["checksum"] = metadata_checksum(metadata)
    path = metadata_path(checkpoint_dir, step)
    write_json_atomic(path, metadata)  # last: from here on the checkpoint counts
    return path


def read_metadata(checkpoint_dir: Path, step: int, *, config: ExperimentConfig, config_hash: str,
                  config_file: Path) -> dict[str, Any]:
    """The verified metadata of checkpoint ``step`` (its file must exist): format, version, own checksum, step,
    and the config it records against ``config`` (read from ``config_file``; ``config_hash`` is its hash)."""
    path = metadata_path(checkpoint_dir, step)
    metadata = read_json_file(path, what="checkpoint metadata", limit=_METADATA_SIZE_LIMIT)
    if not isinstance(metadata, dict) or metadata.get("format") != CHECKPOINT_FORMAT:
        raise MzlabError(f"checkpoint metadata {str(path)!r} is not an mzlab checkpoint file")
    version = metadata.get("format_version", 0)
    if not isinstance(version, int) or version > CHECKPOINT_FORMAT_VERSION:
        raise MzlabError(f"checkpoint {str(path)!r} was written by a newer mzlab ({metadata.get('mzlab_version')})")
    if "checksum" in metadata and metadata["checksum"] != metadata_checksum(metadata):
        raise MzlabError(f"checkpoint metadata {str(path)!r} is corrupted or was edited: its checksum does not "
                         "match its content")
    if metadata.get("step") != int(step):
        raise MzlabError(f"checkpoint metadata {str(path)!r} records step {metadata.get('step')}, not {step}")
    check_trained_config(metadata, path, config, config_hash, config_file)
    return metadata


def read_tensor_file(checkpoint_dir: Path, metadata: dict, role: str,
                     device: str | torch.device) -> dict[str, torch.Tensor]:
    """The tensors of the ``role`` file (``weights`` / ``trainer_state``) that ``metadata`` names, after checking
    its size and sha256."""
    entry = metadata.get("files", {}).get(role)
    metadata_file = str(metadata_path(checkpoint_dir, metadata["step"]))
    if not isinstance(entry, dict) or not _TENSOR_FILE_NAME.match(str(entry.get("name", ""))):
        raise MzlabError(f"checkpoint metadata {metadata_file!r} has no valid entry for its {role} file")
    path = checkpoint_dir / entry["name"]
    data = read_verified_bytes(path, what="checkpoint file", size=entry.get("size"), sha256=entry.get("sha256"),
                               recorded_in=metadata_file)
    try:
        tensors = safetensors.torch.load(data)
    except Exception as error:  # safetensors raises its own error types; the file is refused either way
        raise MzlabError(f"checkpoint file {str(path)!r} is not a valid safetensors file: {error}") from None
    return {key: tensor.to(device) for key, tensor in tensors.items()}


def decode_trainer_state(checkpoint_dir: Path, metadata: dict, device: str | torch.device) -> Any:
    """The trainer state ``metadata`` records (same nesting as saved), or ``None`` if none was saved."""
    structure = metadata.get("trainer_state_structure")
    if structure is None:
        return None
    tensors = read_tensor_file(checkpoint_dir, metadata, "trainer_state", device)
    try:
        return decode_state(structure, tensors)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as error:
        raise MzlabError(f"checkpoint metadata {str(metadata_path(checkpoint_dir, metadata['step']))!r} has a "
                         f"malformed trainer_state_structure ({type(error).__name__}: {error})") from None


def split_objective_weights(weights: Mapping[str, torch.Tensor]
                            ) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """``(network weights, objective weights without the prefix)`` of a checkpoint's weights file (a checkpoint
    from before objectives existed has no objective weights)."""
    network, objective = {}, {}
    for name, tensor in weights.items():
        if name.startswith(OBJECTIVE_PREFIX):
            objective[name[len(OBJECTIVE_PREFIX):]] = tensor
        else:
            network[name] = tensor
    return network, objective


def describe_steps(steps: list[int]) -> str:
    """Checkpoint steps for an error message: all of a few, the first and last five of many."""
    if not steps:
        return "none"
    if len(steps) <= 12:
        return ", ".join(map(str, steps))
    return f"{', '.join(map(str, steps[:5]))}, ..., {', '.join(map(str, steps[-5:]))} ({len(steps)} in all)"


def _write_tensor_file(path: Path, tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    prepared = {}
    for key, tensor in tensors.items():
        if not isinstance(tensor, torch.Tensor):
            raise MzlabError(f"checkpoint tensor {key!r} is a {type(tensor).__name__}, not a torch.Tensor")
        prepared[key] = tensor.detach().to("cpu", copy=True).contiguous()
    data = safetensors.torch.save(prepared)
    write_bytes_atomic(path, data)
    return {"name": path.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
