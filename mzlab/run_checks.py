"""Checks that tie a run directory's files to what wrote them: ``config.json`` against the config each checkpoint
records, a checkpoint's own checksum, and the history of earlier checkpoints each one records. Each failure is
one :class:`MzlabError` naming the file and, for configs, the differing fields."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mzlab.checked_files import with_checksum
from mzlab.config import ExperimentConfig
from mzlab.config_io import config_differences, config_from_dict
from mzlab.errors import MzlabError

__all__ = ["metadata_checksum", "check_trained_config", "check_history", "describe_differences"]


def metadata_checksum(metadata: dict) -> str:
    """sha256 of the canonical JSON of checkpoint ``metadata`` without its ``checksum`` entry."""
    return with_checksum(metadata)["checksum"]


def describe_differences(differences: list[tuple[str, Any, Any]], first: str, second: str) -> str:
    shown = "; ".join(f"{key}: {old!r} {first}, {new!r} {second}" for key, old, new in differences[:6])
    return shown + (f" (and {len(differences) - 6} more)" if len(differences) > 6 else "")


def check_trained_config(metadata: dict, path: Path, config: ExperimentConfig, config_hash: str,
                         config_file: Path) -> None:
    """Refuse a ``config_file`` (holding ``config``) that differs from the config checkpoint ``metadata`` (read
    from ``path``) was trained with. The recorded config is read with today's fields, so fields added to mzlab
    later (with their defaults) do not count as differences."""
    recorded = metadata.get("config")
    if recorded is None:  # written before checkpoints recorded their config: only the hash can be compared
        if metadata.get("config_hash") != config_hash:
            raise MzlabError(
                f"config file {str(config_file)!r} does not match checkpoint {str(path)!r}: config hash "
                f"{config_hash} now, {metadata.get('config_hash')!r} at training time (this checkpoint "
                "does not record the fields); restore the run's config.json"
            )
        return
    try:
        trained = config_from_dict(recorded)
    except MzlabError as error:
        raise MzlabError(f"checkpoint metadata {str(path)!r} records an unreadable config: {error}") from None
    differences = config_differences(trained, config)
    if differences:
        raise MzlabError(
            f"config file {str(config_file)!r} does not match checkpoint {str(path)!r} "
            f"({describe_differences(differences, 'at training time', 'in config.json')}); "
            "restore the run's config.json (the checkpoint records the config it was trained with)"
        )


def check_history(newest: dict, listed: list[int], checkpoint_dir: Path) -> None:
    """Every earlier checkpoint the ``newest`` metadata records must still be ``listed``: a metadata file lost
    beside its weights is named, not silently skipped; a checkpoint whose files were all removed counts as
    deliberately pruned."""
    previous = newest.get("previous_steps") or []
    for step in previous if isinstance(previous, list) else []:
        stem = f"step_{int(step):08d}"
        if step not in listed and (checkpoint_dir / f"{stem}.safetensors").exists():
            raise MzlabError(
                f"checkpoint metadata {str(checkpoint_dir / (stem + '.json'))!r} is missing, but its weights are "
                f"there and checkpoint {listed[-1]} lists step {step} in its history; restore the file, or move "
                f"every {stem}.* file away to drop that checkpoint"
            )
