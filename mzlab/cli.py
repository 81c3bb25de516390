"""``mzlab`` command line: one subcommand per module in :mod:`mzlab.commands`.

Each command module defines ``add_parser(subparsers)``, which registers its parser and sets ``func`` (a
callable taking the parsed arguments and returning an exit status). User errors are raised as
:class:`~mzlab.errors.MzlabError` and printed here as one line with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mzlab import __version__
from mzlab.errors import MzlabError

__all__ = ["main", "build_parser", "COMMANDS"]

COMMANDS = ("envs", "demo", "train", "evaluate", "analyze", "sweep", "report")
"""Modules of :mod:`mzlab.commands`, in the order ``mzlab --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mzlab", description="Train MuZero and measure what model it learned.")
    parser.add_argument("--version", action="version", version=f"mzlab {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"mzlab.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MzlabError as error:
        print(f"mzlab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mzlab: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
