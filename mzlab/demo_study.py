"""The demo study behind ``make demo`` and ``mzlab demo``: a few Cart Pole seeds, train -> analyze all -> report.

It composes the sweep and the report, so it sits in the top layer with the commands (``docs/architecture.md``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mzlab.errors import MzlabError
from mzlab.report import build_report
from mzlab.sweep.run import run_sweep

__all__ = ["run_demo_study"]


def run_demo_study(
    out_dir: str | os.PathLike,
    *,
    seeds: Sequence[int],
    overrides: Sequence[str],
    quick: bool = True,
    analysis_options: Sequence[str] = (),
    env: str = "cartpole",
    executor: str = "local",
    max_workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Run the whole study in ``out_dir`` and build its report; returns ``out_dir/report/index.html``.

    ``quick`` passes ``--quick`` to every analysis (a smoke budget that caps episodes at 12 steps, so its
    returns say nothing about learning); ``analysis_options`` are extra ``mzlab analyze`` options for a
    budget in between (e.g. ``["--num-episodes", "4", "--max-checkpoints", "3"]`` with ``quick=False``).
    Rerunning resumes: finished jobs are skipped. Raises :class:`MzlabError` naming the failed jobs' logs
    when any job failed (the report is still written from whatever finished).
    """
    summary = run_sweep(out_dir, env=env, seeds=seeds, overrides=overrides, analyses="all", quick=quick,
                        analysis_options=analysis_options,
                        executor=executor, max_workers=max_workers, progress=progress,
                        command=f"run_demo_study({str(out_dir)!r}, seeds={list(seeds)}, "
                                f"overrides={list(overrides)}, quick={quick}, "
                                f"analysis_options={list(analysis_options)})")
    report = build_report(out_dir)
    if not summary.ok:
        first = (summary.failed or summary.skipped)[0]
        raise MzlabError(f"demo study: {len(summary.failed)} job(s) failed, {len(summary.skipped)} skipped; "
                         f"first: {first.job_id} (log: {Path(out_dir) / first.log}); partial report: {report}")
    return report
