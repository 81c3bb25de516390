"""Where training scalars go besides ``metrics.jsonl``: TensorBoard (always) and Weights & Biases (optional).

Both record the run's config: TensorBoard as a text summary ``config`` (the ``config.json`` contents, shown
in TensorBoard's Text tab), W&B as the run's ``config`` (its run id derived from the run directory's path, so
a resume continues the same W&B run). Scalars are the metrics rows' keys that contain a ``/``
(``losses/...``, ``charts/...``, ``time/...``), logged at the learner step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from mzlab.config import ExperimentConfig
from mzlab.config_io import config_to_dict
from mzlab.errors import MzlabError
from mzlab.runs import RunDirectory

__all__ = ["TrainingLoggers", "require_wandb"]


def require_wandb():
    """The ``wandb`` module, or a one-line :class:`MzlabError` naming how to install it."""
    try:
        import wandb
    except ImportError:
        raise MzlabError("--wandb: the wandb package is not installed: pip install 'mzlab[wandb]' "
                         "(or pip install wandb)") from None
    return wandb


class TrainingLoggers:
    """TensorBoard writer plus, when ``wandb_project`` is given, a W&B run (resumed by the run's hash id)."""

    def __init__(self, run: RunDirectory, config: ExperimentConfig, *, step: int, wandb_project: str | None = None,
                 purge_step: int | None = None):
        settings = config_to_dict(config)
        self._tensorboard = _tensorboard_writer(run, purge_step=purge_step)
        self._tensorboard.add_text("config", "```json\n" + json.dumps(settings, indent=2) + "\n```", step)
        self._wandb_run = None
        if wandb_project:
            wandb = require_wandb()
            run_id = hashlib.sha256(str(run.path.resolve()).encode()).hexdigest()[:16]
            self._wandb_run = wandb.init(project=wandb_project, name=run.path.name, config=settings, id=run_id,
                                         resume="allow", dir=str(run.path))

    def scalars(self, row: Mapping[str, float], step: int) -> None:
        values = {key: value for key, value in row.items() if "/" in key}
        for key, value in values.items():
            self._tensorboard.add_scalar(key, value, step)
        if self._wandb_run is not None:
            self._wandb_run.log(values, step=step)

    def close(self) -> None:
        self._tensorboard.close()
        if self._wandb_run is not None:
            self._wandb_run.finish()


class _NullWriter:
    def add_scalar(self, *args, **kwargs) -> None:
        pass

    def add_text(self, *args, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def _tensorboard_writer(run: RunDirectory, *, purge_step: int | None):
    """Event writer; after a resume from step T, ``purge_step=T+1`` makes TensorBoard drop the killed run's
    points after T, so a resumed run shows no duplicated points."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # pragma: no cover - tensorboard is a dependency
        return _NullWriter()
    return SummaryWriter(log_dir=str(run.tensorboard_dir), purge_step=purge_step)
