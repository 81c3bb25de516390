"""Install time and size of the core package and of each extra, in a fresh virtual environment.

Steps, each timed and sized (growth of the venv's ``site-packages``) in one venv, in this order:
``torch==2.13.0`` (the Makefile's first line), the core (``pip install -e .``), then each extra on top of the
core (``box2d``, ``atari``, ``ray``, ``bench``). One JSON line per step:
``{"case": "install", "step": ..., "seconds": ..., "megabytes": ..., "packages_added": ...}``.

Usage: ``python benchmarks/install.py [--venv /tmp/mzlab-install] [--extras box2d,atari,ray,bench]``. Times
depend on the pip cache and the network; say which when recording them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


def _size_bytes(path: Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file() and not entry.is_symlink())


def _packages(python: Path) -> set[str]:
    listing = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"], check=True,
                             capture_output=True, text=True).stdout
    return {line.split("==")[0].lower() for line in listing.splitlines() if line}


def _step(python: Path, name: str, requirement: list[str]) -> dict:
    site = _site_packages(python.parent.parent)
    size_before, packages_before = _size_bytes(site), _packages(python)
    began = time.perf_counter()
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirement], check=True, cwd=REPO)
    seconds = time.perf_counter() - began
    added = sorted(_packages(python) - packages_before)
    return {"case": "install", "step": name, "seconds": round(seconds, 1),
            "megabytes": round((_size_bytes(site) - size_before) / 1e6, 1),
            "packages_added": len(added), "largest": _largest(site, added)}


def _largest(site: Path, added: list[str]) -> list[str]:
    """The three biggest top-level folders of site-packages among the added distributions (rough names)."""
    sizes = []
    for entry in site.iterdir():
        if entry.is_dir() and not entry.name.endswith((".dist-info", "__pycache__")):
            sizes.append((_size_bytes(entry), entry.name))
    names = {name.replace("-", "_") for name in added}
    chosen = [f"{name} {size / 1e6:.0f} MB" for size, name in sorted(sizes, reverse=True)
              if name.lower() in names or any(name.lower().startswith(n) for n in names)]
    return chosen[:3]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", default="/tmp/mzlab-install")
    parser.add_argument("--extras", default="box2d,atari,ray,bench")
    args = parser.parse_args()
    venv = Path(args.venv)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    print(json.dumps(_step(python, "torch==2.13.0", ["torch==2.13.0"])), flush=True)
    print(json.dumps(_step(python, "core", ["-e", "."])), flush=True)
    for extra in args.extras.split(","):
        print(json.dumps(_step(python, f"+{extra}", ["-e", f".[{extra}]"])), flush=True)


if __name__ == "__main__":
    main()
