"""``mzlab report STUDY_DIR``: the study's HTML report, path printed."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="write STUDY_DIR/report/index.html from a study's result tables",
        description="Build one HTML page with the study's figures (PNG and SVG beside it), mean ± standard error "
                    "tables, configs, seeds, versions and commands.")
    parser.add_argument("study_dir", metavar="STUDY_DIR", help="a directory written by `mzlab sweep`")
    parser.add_argument("--embed-figures", action="store_true",
                        help="embed the PNG figures in the page (one file to share) instead of linking them")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mzlab.report import build_report

    print(build_report(args.study_dir, embed_figures=args.embed_figures))
    return 0
