"""The training loop: batched self-play and learner steps interleaved at a fixed ratio, with checkpoints.

One process. Self-play plays one move of all ``num_actors`` games whenever the learner is ahead of
``train_ratio`` learner steps per environment step (or the buffer holds fewer than ``warmup_games`` games);
otherwise the learner takes a step. Everything is counted, not timed, so the same seed and config give the
same run on CPU. Every ``checkpoint_interval`` learner steps (and at step 0 and at the end) a checkpoint is
added to the run directory's history: weights (the objective's extra heads under ``objective.``), trainer
state (optimiser, RNG states, counters) and the replay buffer (``replay/step_XXXXXXXX.npz``, only the newest
kept). A rerun resumes from the newest complete
checkpoint; games in flight at that moment are dropped and the actors restart from fresh seeds.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mzlab.atomic_files import write_bytes_atomic
from mzlab.config import ExperimentConfig
from mzlab.envs.registry import make_simulator
from mzlab.errors import MzlabError
from mzlab.networks import build_network
from mzlab.progress import Progress
from mzlab.runs import RunDirectory, split_objective_weights
from mzlab.runtime import configure_torch_threads
from mzlab.search.acting import visit_temperature
from mzlab.search.learned_model import LearnedModel
from mzlab.training.learner import Learner
from mzlab.training.loggers import TrainingLoggers
from mzlab.training.reanalyse import reanalyse_batch
from mzlab.training.replay import ReplayBuffer
from mzlab.training.self_play import SelfPlay

__all__ = ["Trainer", "resolve_device", "replay_path"]


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cpu``/``cuda`` as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise MzlabError("training.device is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)


def replay_path(run: RunDirectory, step: int) -> Path:
    """Where the replay buffer saved with checkpoint ``step`` lives."""
    return run.path / "replay" / f"step_{step:08d}.npz"


class Trainer:
    """Owns the network, learner, replay buffer and self-play of one run directory."""

    def __init__(self, config: ExperimentConfig, run: RunDirectory, *, progress: bool = True,
                 wandb_project: str | None = None):
        self.config = config
        self.run_dir = run
        self.progress = progress
        self.wandb_project = wandb_project
        self.device = resolve_device(config.training.device)
        configure_torch_threads(self.device)
        if self.device.type == "cpu":
            torch.use_deterministic_algorithms(True)
        torch.manual_seed(config.seed)
        seeds = np.random.SeedSequence(config.seed).spawn(3)
        self.self_play_rng, self.replay_rng, self.reanalyse_rng = (np.random.default_rng(s) for s in seeds)
        self.simulator = make_simulator(config.env)
        self.network = build_network(config, self.simulator.observation_shape, self.simulator.num_actions)
        self.network.to(self.device)
        self.learner = Learner(self.network, config)
        self.model = LearnedModel(self.network, discount=config.env.discount, device=self.device)
        first_observation = self.simulator.reset(0)
        self.buffer = ReplayBuffer(config.replay, observation_shape=self.simulator.observation_shape,
                                   observation_dtype=np.asarray(first_observation).dtype,
                                   num_actions=self.simulator.num_actions, discount=config.env.discount)
        self.self_play: SelfPlay | None = None
        self.env_steps = 0
        self.games = 0
        self.wall_seconds = 0.0
        self.resumed_from: int | None = None
        self._recent_returns: list[float] = []
        self._recent_losses: list[dict[str, float]] = []

    # ---------------------------------------------------------------------------------------------- state

    def _trainer_state(self) -> dict:
        return {
            "optimizer": self.learner.optimizer_tensors(),
            "torch_rng": torch.get_rng_state(),
            "numpy_rngs": [rng.bit_generator.state for rng in (self.self_play_rng, self.replay_rng,
                                                                self.reanalyse_rng)],
            "env_steps": self.env_steps,
            "games": self.games,
            "wall_seconds": self.wall_seconds,
        }

    def save_checkpoint(self) -> None:
        step = self.learner.step
        if step in self.run_dir.checkpoint_steps():
            return
        path = replay_path(self.run_dir, step)
        path.parent.mkdir(exist_ok=True)
        data = io.BytesIO()
        self.buffer.save(data)
        write_bytes_atomic(path, data.getvalue())
        self.run_dir.save_checkpoint(
            step, self.network, env_steps=self.env_steps, trainer_state=self._trainer_state(),
            objective_weights=self.learner.objective.state_dict(),
            extra={"games": self.games, "wall_seconds": round(self.wall_seconds, 3),
                   "replay_file": str(path.relative_to(self.run_dir.path))},
        )
        for old in path.parent.glob("step_*.npz"):  # only the newest complete checkpoint's buffer is needed
            if old != path:
                old.unlink(missing_ok=True)

    def resume(self) -> int | None:
        """Load the newest complete checkpoint of the run directory, if any; returns its step."""
        step = self.run_dir.latest_checkpoint_step()
        if step is None:
            return None
        weights, _ = self.run_dir.load_checkpoint(step, device=self.device)
        network_weights, objective_weights = split_objective_weights(weights)
        self.network.load_state_dict(network_weights)
        self.learner.objective.load_state_dict(objective_weights)
        state = self.run_dir.load_trainer_state(step)
        if state is None:
            raise MzlabError(f"checkpoint {step} in {str(self.run_dir.checkpoint_dir)!r} has no trainer state to "
                             "resume from")
        self.learner.load_optimizer_tensors(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
        for rng, rng_state in zip((self.self_play_rng, self.replay_rng, self.reanalyse_rng), state["numpy_rngs"],
                                  strict=True):
            rng.bit_generator.state = rng_state
        self.env_steps, self.games = int(state["env_steps"]), int(state["games"])
        self.wall_seconds = float(state["wall_seconds"])
        path = replay_path(self.run_dir, step)
        if not path.is_file():
            raise MzlabError(f"replay buffer file {str(path)!r} of checkpoint {step} is missing; cannot resume")
        self.buffer.load(path)
        self.run_dir.discard_metrics_after(step)
        self.resumed_from = step
        return step

    # ---------------------------------------------------------------------------------------------- running

    def _play_move(self) -> None:
        if self.self_play is None:
            self.self_play = SelfPlay(self.simulator, self.config, self.self_play_rng)
        self.network.eval()
        finished = self.self_play.play_move(self.model, training_step=self.learner.step, buffer=self.buffer)
        self.env_steps += self.self_play.num_actors
        self.games += len(finished)
        self._recent_returns.extend(game.episode_return for game in finished)

    def _train_step(self) -> None:
        batch = self.buffer.sample(self.config.training.batch_size, self.replay_rng, fields=self.learner.batch_fields)
        if self.config.replay.reanalyse_fraction > 0:
            self.network.eval()
            batch = reanalyse_batch(batch, self.buffer, self.model, search_config=self.config.search,
                                    fraction=self.config.replay.reanalyse_fraction,
                                    td_steps=self.config.replay.td_steps, rng=self.reanalyse_rng,
                                    mode=self.config.replay.reanalyse_mode)
        metrics, priorities = self.learner.train_step(batch)
        self.buffer.update_priorities(batch.position_ids, priorities, batch.inside)
        self._recent_losses.append(metrics)

    def needs_self_play(self) -> bool:
        training = self.config.training
        if self.buffer.num_games < training.warmup_games:
            return True
        return self.learner.step >= training.train_ratio * self.env_steps

    def run(self, *, max_steps: int | None = None, on_step: Callable[[Trainer], None] | None = None) -> dict:
        """Train until ``training.training_steps`` (or ``max_steps``) learner steps; returns a summary dict.

        ``on_step(trainer)`` is called after every learner step (benchmarks evaluate from there). Progress: a
        bar on a terminal, one plain line per metrics interval otherwise (:mod:`mzlab.progress`).
        ``metrics.parquet`` is rewritten at every checkpoint.
        """
        training = self.config.training
        total = training.training_steps if max_steps is None else min(max_steps, training.training_steps)
        interval = training.checkpoint_interval
        log_interval = interval // 10 if interval % 10 == 0 else interval
        loggers = TrainingLoggers(self.run_dir, self.config, step=self.learner.step,
                                  wandb_project=self.wandb_project)
        if self.resumed_from is None and self.learner.step == 0:
            self.save_checkpoint()
        bar = Progress(total, initial=self.learner.step, enabled=self.progress, unit="step",
                       desc=f"train {self.config.env.name}", line_every=log_interval)
        started = time.perf_counter()
        window = (time.perf_counter(), self.learner.step, self.env_steps)
        try:
            while self.learner.step < total:
                if self.needs_self_play():
                    self._play_move()
                    continue
                self._train_step()
                bar.update(1)
                step = self.learner.step
                if on_step is not None:
                    on_step(self)
                if step % log_interval == 0 or step == total:
                    now = time.perf_counter()
                    self.wall_seconds += now - started
                    started = now
                    row = self._metrics_row(window, now)
                    window = (now, step, self.env_steps)
                    self.run_dir.append_metrics([row])
                    loggers.scalars(row, step)
                    if "charts/episode_return" in row:
                        bar.info(games=self.games, **{"return": round(row["charts/episode_return"], 1)})
                if step % interval == 0 or step == total:
                    self.wall_seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    self.save_checkpoint()
                    self.run_dir.write_metrics_parquet()  # current after every checkpoint (Ctrl-C included)
        finally:
            bar.close()
            loggers.close()
        self.run_dir.write_metrics_parquet()
        return {"steps": self.learner.step, "env_steps": self.env_steps, "games": self.games,
                "wall_seconds": round(self.wall_seconds, 3), "resumed_from": self.resumed_from,
                "checkpoints": self.run_dir.checkpoint_steps()}

    def _metrics_row(self, window: tuple[float, int, int], now: float) -> dict:
        """One metrics row; ``time/`` columns are wall-clock, every other column is reproducible."""
        began, steps_before, env_before = window
        elapsed = max(now - began, 1e-9)
        row: dict[str, float | int] = {"step": self.learner.step, "env_steps": self.env_steps, "games": self.games}
        if self._recent_losses:
            for key in self._recent_losses[0]:
                row[key] = float(np.mean([entry[key] for entry in self._recent_losses]))
        if self._recent_returns:
            row["charts/episode_return"] = float(np.mean(self._recent_returns))
        row["charts/temperature"] = visit_temperature(self.learner.step, self.config.training)
        row["charts/buffer_transitions"] = self.buffer.num_transitions
        row["time/train_steps_per_second"] = (self.learner.step - steps_before) / elapsed
        row["time/env_steps_per_second"] = (self.env_steps - env_before) / elapsed
        row["time/wall_seconds"] = self.wall_seconds
        self._recent_losses.clear()
        self._recent_returns.clear()
        return row
