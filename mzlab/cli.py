"""``mzlab`` command line: one subcommand per module in :mod:`mzlab.commands`.

Each command module defines ``add_parser(subparsers)``, which registers its parser and sets ``func`` (a
callable taking the parsed arguments and returning an exit status). User errors are raised as
:class:`~mzlab.errors.MzlabError` and printed here as one line with exit status 2; every other failure
(OS errors, memory, internal errors) is one line too (:func:`mzlab.errors.failure_message`). ``mzlab --debug``
(or ``MZLAB_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from mzlab.errors import failure_message
from mzlab.version import __version__

__all__ = ["main", "build_parser", "COMMANDS"]

COMMANDS = ("envs", "demo", "train", "evaluate", "analyze", "sweep", "report")
"""Modules of :mod:`mzlab.commands`, in the order ``mzlab --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mzlab", description="Train MuZero and measure what model it learned.")
    parser.add_argument("--version", action="version", version=f"mzlab {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure (also MZLAB_DEBUG=1)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"mzlab.commands.{name}").add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("mzlab: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - the one error path: a line, not a traceback
        if args.debug or os.environ.get("MZLAB_DEBUG", "") not in ("", "0"):
            raise
        message, status = failure_message(error)
        print(f"mzlab: error: {message}", file=sys.stderr)
        return status


if __name__ == "__main__":
    sys.exit(main())
