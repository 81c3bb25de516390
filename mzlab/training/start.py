"""Starting or resuming a training run: the one path used by ``mzlab train`` and :func:`mzlab.train`.

A start that fails before the first checkpoint (a bad environment, no CUDA device, a missing extra, Ctrl-C
during set-up) removes what it created, so the corrected command is not refused as "made with a different
config".
"""

from __future__ import annotations

import os

from mzlab.config import ExperimentConfig
from mzlab.runs import RunDirectory

__all__ = ["train_run"]


def train_run(
    config: ExperimentConfig | None,
    run_dir: str | os.PathLike,
    *,
    max_steps: int | None = None,
    progress: bool = True,
    wandb_project: str | None = None,
) -> dict:
    """Train ``config`` into ``run_dir`` (created, or resumed from its newest checkpoint); ``config=None``
    resumes an existing run with its own ``config.json``. Returns the summary dict (``run_dir`` included)."""
    from mzlab.training.loggers import require_wandb
    from mzlab.training.loop import Trainer

    if wandb_project:
        require_wandb()  # refuse before anything is written
    if config is None:
        config = RunDirectory.open(run_dir).config
    with RunDirectory.create_or_resume(run_dir, config) as run:  # holds the run's writer lock
        try:
            trainer = Trainer(run.config, run, progress=progress, wandb_project=wandb_project)
            trainer.resume()
            summary = trainer.run(max_steps=max_steps)
        except BaseException:
            run.discard_if_unstarted()
            raise
    summary["run_dir"] = str(run.path)
    return summary
