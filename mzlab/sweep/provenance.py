"""Versions of the software a study ran with, read from package metadata (nothing heavy is imported)."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

__all__ = ["software_versions", "TRACKED_PACKAGES"]

TRACKED_PACKAGES = ("mzlab", "torch", "numpy", "gymnasium", "pandas", "pyarrow", "matplotlib", "ray")


def software_versions() -> dict[str, str]:
    """``{"python": "3.11.x", "platform": ..., "mzlab": ..., "torch": ..., ...}``; absent packages omitted."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
