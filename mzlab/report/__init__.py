"""The study report: one self-contained HTML page built from a study directory's result tables.

Public API::

    build_report(study_dir | [study_dir, ...], *, embed_figures=False, out=None) -> Path   # index.html
    collect_tables(study_dir, *, folder="analysis") -> {name: DataFrame}
    summarise(table, spec) -> DataFrame                          # mean ± standard error over seeds
"""

from mzlab.report.build import build_report
from mzlab.report.tables import SummarySpec, collect_tables, format_mean_se, spec_for, summarise, summary_spec

__all__ = ["SummarySpec", "summary_spec", "build_report", "collect_tables", "format_mean_se", "spec_for",
           "summarise"]
