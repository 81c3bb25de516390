"""Command-line start-up time: ``mzlab --version``, ``mzlab --help`` and an argument error, each the median of
several fresh interpreter runs (``python -m mzlab.cli``, the same code path as the ``mzlab`` script). With
``--previous REV`` the same commands are also timed on a git revision checked out into a temporary worktree.

    python benchmarks/startup.py [--runs 7] [--previous c87b371]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS = {"--version": ["--version"], "--help": ["--help"], "argument error": ["train", "--env"]}
ROOT = Path(__file__).resolve().parents[1]


def median_seconds(argv: list[str], *, source: Path, runs: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(source))
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mzlab.cli", *argv], env=env, cwd=source, capture_output=True,
                       check=False)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--previous", default=None, help="git revision to time as well (e.g. the merge base)")
    args = parser.parse_args()
    sources = {"current": ROOT}
    with tempfile.TemporaryDirectory() as directory:
        if args.previous:
            previous = Path(directory) / "previous"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(previous), args.previous],
                           check=True, capture_output=True)
            sources["previous"] = previous
        try:
            for case, argv in COMMANDS.items():
                row = {"case": "startup", "command": case}
                for label, source in sources.items():
                    key = "seconds" if label == "current" else "previous_seconds"
                    row[key] = round(median_seconds(argv, source=source, runs=args.runs), 3)
                row["load_average"] = round(os.getloadavg()[0], 2)
                print(json.dumps(row), flush=True)
        finally:
            if args.previous:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(previous)],
                               check=False, capture_output=True)


if __name__ == "__main__":
    main()
