"""``mzlab report STUDY_DIR [STUDY_DIR ...]``: the studies' HTML report, path printed."""

from __future__ import annotations

import argparse

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="write STUDY_DIR/report/index.html from a study's result tables",
        description="Build one HTML page with the findings table (the paper's claims against our numbers), the "
                    "study's figures (PNG and SVG beside it; environments as columns when several studies are "
                    "given), mean ± standard error tables, configs, seeds, versions and commands.")
    parser.add_argument("study_dirs", nargs="+", metavar="STUDY_DIR",
                        help="directories written by `mzlab sweep` (e.g. one per environment)")
    parser.add_argument("--out", metavar="DIR",
                        help="where the report goes (default STUDY_DIR/report; required for several studies)")
    parser.add_argument("--embed-figures", action="store_true",
                        help="embed the PNG figures in the page (one file to share) instead of linking them")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mzlab.report import build_report

    print(build_report(args.study_dirs, embed_figures=args.embed_figures, out=args.out))
    return 0
