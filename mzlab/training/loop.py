"""The training loop: batched self-play and learner steps interleaved at a fixed ratio, with checkpoints.

One process. Self-play plays one move of all ``num_actors`` games whenever the learner is ahead of
``train_ratio`` learner steps per environment step (or the buffer holds fewer than ``warmup_games`` games);
otherwise the learner takes a step. Everything is counted, not timed, so the same seed and config give the
same run on CPU. Every ``checkpoint_interval`` learner steps (and at step 0 and at the end) a checkpoint is
added to the run directory's history: weights (the objective's extra heads under ``objective.``), trainer
state (optimiser, RNG states, counters, the reanalyse target network's two sets of weights) and the replay
buffer (``replay/step_XXXXXXXX.npz``, its size and sha256 in the checkpoint's metadata; the buffers of the two
newest checkpoints are kept, an older one is deleted only once a newer checkpoint is complete). A rerun resumes
from the newest checkpoint that is fully resumable (weights, trainer state and buffer all verified), saying so
in one line when it has to fall back; games in flight at that moment are dropped and the actors restart from
fresh seeds.

``training.self_play_mode=overlap`` keeps the same counts but plays the move that follows a block of learner
steps in a second thread while the block trains, with an acting copy of the network holding the weights of
the block's start (:mod:`.acting`); its finished games join the buffer when the block ends, and checkpoints are
written only then. ``training.compile`` selects the compiled learner step (:mod:`.compiled_step`). The replay
files beside the checkpoints and the choice of the checkpoint to resume from live in :mod:`.checkpointing`.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from mzlab.config import ExperimentConfig
from mzlab.envs.registry import make_simulator
from mzlab.errors import MzlabError
from mzlab.networks import build_network
from mzlab.progress import Progress
from mzlab.runs import RunDirectory, split_objective_weights
from mzlab.runtime import configure_torch_threads
from mzlab.search.acting import visit_temperature
from mzlab.search.learned_model import LearnedModel
from mzlab.training.acting import ActingCopy, PendingGames
from mzlab.training.checkpointing import (
    REPLAY_FILES_KEPT,
    prune_replays,
    read_replay,
    replay_path,
    resume_newest,
    save_replay,
)
from mzlab.training.compiled_step import use_compiled_step
from mzlab.training.learner import Learner
from mzlab.training.loggers import TrainingLoggers
from mzlab.training.reanalyse import TargetNetwork, reanalyse_batch
from mzlab.training.replay import ReplayBuffer
from mzlab.training.self_play import SelfPlay

# replay_path and REPLAY_FILES_KEPT are re-exported from .checkpointing: callers import them from here
__all__ = ["Trainer", "resolve_device", "replay_path", "REPLAY_FILES_KEPT", "AUTO_COMPILE_MIN_STEPS",
           "TARGET_STATE_KEY"]

TARGET_STATE_KEY = "reanalyse_target"
"""Trainer-state entry of the reanalyse target network (``TargetNetwork.state()``), present when
``replay.target_network_interval > 0``; checkpoints from before it existed resume without it."""

AUTO_COMPILE_MIN_STEPS = 5_000
"""``training.compile=auto`` compiles only runs of at least this many learner steps: compiling costs 20-60 s
on the 2-core machine and saves a few milliseconds per step (``docs/benchmarks.md``)."""


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cpu``/``cuda`` as given."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise MzlabError("training.device is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'")
    return torch.device(name)


def _deterministic_kernels(*, with_compiler: bool) -> None:
    """Deterministic torch kernels on CPU. ``torch.use_deterministic_algorithms`` also sets inductor's flag and so
    imports the compiler stack (seconds); the eager step needs only the kernel switch it wraps."""
    if with_compiler:
        torch.use_deterministic_algorithms(True)
    else:
        torch._C._set_deterministic_algorithms(True)


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
        self.compiled = use_compiled_step(config.training.compile, network_kind=config.network.kind,
                                          device=self.device, objective=config.training.objective)
        if config.training.compile == "auto" and config.training.training_steps < AUTO_COMPILE_MIN_STEPS:
            self.compiled = False
        if self.device.type == "cpu":
            _deterministic_kernels(with_compiler=self.compiled)
        torch.manual_seed(config.seed)
        seeds = np.random.SeedSequence(config.seed).spawn(3)
        self.self_play_rng, self.replay_rng, self.reanalyse_rng = (np.random.default_rng(s) for s in seeds)
        self.simulator = make_simulator(config.env)
        self.network = build_network(config, self.simulator.observation_shape, self.simulator.num_actions)
        self.network.to(self.device)
        self.learner = Learner(self.network, config, compiled=self.compiled,
                               fallback_to_eager=config.training.compile == "auto")
        self.model = LearnedModel(self.network, discount=config.env.discount, device=self.device)
        interval = config.replay.target_network_interval
        self.target = TargetNetwork(self.network, interval) if interval > 0 else None
        self.reanalyse_model = self.model if self.target is None else LearnedModel(
            self.target.network, discount=config.env.discount, device=self.device)
        self.overlap = config.training.self_play_mode == "overlap"
        separate_acting = self.overlap or config.training.acting_weights_refresh != "move"
        self.acting = (ActingCopy(self.network, discount=config.env.discount, device=self.device)
                       if separate_acting else None)
        self._new_game_starts = True
        """A game starts at the next move (the first move, or an actor finished a game in the last one)."""
        first_observation = self.simulator.reset(0)
        self.buffer = ReplayBuffer(config.replay, observation_shape=self.simulator.observation_shape,
                                   observation_dtype=np.asarray(first_observation).dtype,
                                   num_actions=self.simulator.num_actions, discount=config.env.discount,
                                   frame_stack=self.simulator.stacked_frames)
        self.self_play: SelfPlay | None = None
        self.env_steps = 0
        self.games = 0
        self.wall_seconds = 0.0
        self.resumed_from: int | None = None
        self._recent_returns: list[float] = []
        self._recent_losses: list[dict[str, float]] = []

    # ---------------------------------------------------------------------------------------------- state

    def _trainer_state(self) -> dict:
        state = {
            "optimizer": self.learner.optimizer_tensors(),
            "torch_rng": torch.get_rng_state(),
            "numpy_rngs": [rng.bit_generator.state for rng in (self.self_play_rng, self.replay_rng,
                                                                self.reanalyse_rng)],
            "env_steps": self.env_steps,
            "games": self.games,
            "wall_seconds": self.wall_seconds,
        }
        if self.target is not None:  # replay.target_network_interval > 0: reanalysis's lagging weights
            state[TARGET_STATE_KEY] = self.target.state()
        return state

    def save_checkpoint(self) -> None:
        step = self.learner.step
        if step in self.run_dir.checkpoint_steps():
            return
        replay = save_replay(self.run_dir, step, self.buffer)
        self.run_dir.save_checkpoint(
            step, self.network, env_steps=self.env_steps, trainer_state=self._trainer_state(),
            objective_weights=self.learner.objective.state_dict(),
            extra={"games": self.games, "wall_seconds": round(self.wall_seconds, 3), **replay},
        )
        prune_replays(self.run_dir)  # the checkpoint is complete now; only then are older buffers deleted

    def resume(self) -> int | None:
        """Load the newest fully resumable checkpoint of the run directory, if any; returns its step.

        A newer checkpoint that cannot be resumed (damaged or missing weights, trainer state or replay buffer)
        is reported in one line on stderr and moved, with every checkpoint after the one resumed, to
        ``checkpoints/superseded/`` (:func:`.checkpointing.resume_newest`). When no checkpoint can be resumed,
        MzlabError names the newest one's problem.
        """
        found = resume_newest(self.run_dir, self._load_checkpoint)
        if found is None:
            return None
        step, target_restored = found
        if not target_restored:
            print(f"mzlab: checkpoint {step} of {str(self.run_dir.path)!r} has no saved reanalyse target network "
                  "(written by an older mzlab); the target restarts from the resumed weights and lags as usual "
                  f"again after two refreshes ({2 * self.target.interval} steps)", file=sys.stderr)
        self.resumed_from = step
        return step

    def _load_checkpoint(self, step: int) -> bool:
        """Restore network, optimiser, RNGs, counters, target network and replay buffer of checkpoint ``step`` (all
        verified). Returns False when the run has a target network but the checkpoint did not save one (an older
        mzlab's): the target then restarts from the checkpoint's weights."""
        weights, metadata = self.run_dir.load_checkpoint(step, device=self.device)
        state = self.run_dir.load_trainer_state(step)
        if state is None:
            raise MzlabError(f"checkpoint {step} in {str(self.run_dir.checkpoint_dir)!r} has no trainer state to "
                             "resume from")
        replay = read_replay(self.run_dir, step, metadata)
        try:
            network_weights, objective_weights = split_objective_weights(weights)
            self.network.load_state_dict(network_weights)
            self.learner.objective.load_state_dict(objective_weights)
            self.learner.load_optimizer_tensors(state["optimizer"])
            torch.set_rng_state(state["torch_rng"])
            for rng, rng_state in zip((self.self_play_rng, self.replay_rng, self.reanalyse_rng),
                                      state["numpy_rngs"], strict=True):
                rng.bit_generator.state = rng_state
            self.env_steps, self.games = int(state["env_steps"]), int(state["games"])
            self.wall_seconds = float(state["wall_seconds"])
            target_restored = self.target is None or TARGET_STATE_KEY in state
            if self.target is not None:
                if target_restored:
                    self.target.load_state(state[TARGET_STATE_KEY])
                else:
                    self.target.restart_from(self.network)
        except (KeyError, TypeError, ValueError, RuntimeError, IndexError) as error:
            message = " ".join(str(error).split())[:200]
            metadata_file = str(self.run_dir.checkpoint_dir / f"step_{step:08d}.json")
            raise MzlabError(f"trainer state of checkpoint {metadata_file!r} does not fit this run "
                             f"({type(error).__name__}: {message})") from None
        self.buffer.load(io.BytesIO(replay), name=str(replay_path(self.run_dir, step)))
        return target_restored

    # ---------------------------------------------------------------------------------------------- running

    def _acting_model(self) -> LearnedModel:
        """The model self-play acts with now; refreshes the acting copy when the policy says so."""
        if self.acting is None:  # lockstep, refresh every move: the learner's own network, as it always was
            self.network.eval()
            return self.model
        if self.config.training.acting_weights_refresh == "move" or self._new_game_starts:
            self.acting.refresh(self.network)
        return self.acting.model

    def _play_move(self) -> None:
        if self.self_play is None:
            self.self_play = SelfPlay(self.simulator, self.config, self.self_play_rng)
        model = self._acting_model()
        finished = self.self_play.play_move(model, training_step=self.learner.step, buffer=self.buffer)
        self._count_move(finished)

    def _count_move(self, finished: list) -> None:
        self.env_steps += self.self_play.num_actors
        self.games += len(finished)
        self._new_game_starts = bool(finished)
        self._recent_returns.extend(game.episode_return for game in finished)

    def _start_background_move(self, executor: ThreadPoolExecutor):
        """Submit the next move (acting weights and temperature of this moment); games go to a PendingGames."""
        if self.self_play is None:
            self.self_play = SelfPlay(self.simulator, self.config, self.self_play_rng)
        model, step, pending = self._acting_model(), self.learner.step, PendingGames()
        future = executor.submit(self.self_play.play_move, model, training_step=step, buffer=pending)
        return future, pending

    def _block_length(self, total: int) -> int:
        """Learner steps until self-play is due again, the next checkpoint or the end, whichever is first."""
        step, interval = self.learner.step, self.config.training.checkpoint_interval
        limit = min(total, (step // interval + 1) * interval)
        length = 1
        while step + length < limit and step + length < self.config.training.train_ratio * self.env_steps:
            length += 1
        return length

    def _train_step(self) -> None:
        training = self.config.training
        beta = self.buffer.priority_beta(self.learner.step, training.training_steps)
        batch = self.buffer.sample(training.batch_size, self.replay_rng, beta=beta, fields=self.learner.batch_fields)
        if self.config.replay.reanalyse_fraction > 0:
            self.network.eval()
            if self.target is not None:
                self.target.update(self.learner.step, self.network)
            batch = reanalyse_batch(batch, self.buffer, self.reanalyse_model, search_config=self.config.search,
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
                                  wandb_project=self.wandb_project,
                                  purge_step=None if self.resumed_from is None else self.resumed_from + 1)
        if self.resumed_from is None and self.learner.step == 0:
            self.save_checkpoint()
        bar = Progress(total, initial=self.learner.step, enabled=self.progress, unit="step",
                       desc=f"train {self.config.env.name}", line_every=log_interval)
        clock = {"started": time.perf_counter(), "window": (time.perf_counter(), self.learner.step, self.env_steps)}

        def learner_step() -> None:
            self._train_step()
            bar.update(1)
            step = self.learner.step
            if on_step is not None:
                on_step(self)
            if step % log_interval == 0 or step == total:
                now = time.perf_counter()
                self.wall_seconds += now - clock["started"]
                clock["started"] = now
                row = self._metrics_row(clock["window"], now)
                clock["window"] = (now, step, self.env_steps)
                self.run_dir.append_metrics([row])
                loggers.scalars(row, step)
                if "charts/episode_return" in row:
                    bar.info(games=self.games, **{"return": round(row["charts/episode_return"], 1)})

        def checkpoint_if_due() -> None:
            step = self.learner.step
            if step % interval == 0 or step == total:
                self.wall_seconds += time.perf_counter() - clock["started"]
                clock["started"] = time.perf_counter()
                self.save_checkpoint()
                self.run_dir.write_metrics_parquet()  # current after every checkpoint (Ctrl-C included)

        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="self-play") if self.overlap else None
        try:
            while self.learner.step < total:
                if self.needs_self_play():
                    self._play_move()
                    continue
                if executor is None:
                    learner_step()
                    checkpoint_if_due()
                    continue
                # overlap: the move lock-step would play after this block runs beside it, one block stale
                length = self._block_length(total)
                future, pending = self._start_background_move(executor)
                try:
                    for _ in range(length):
                        learner_step()
                finally:
                    finished = future.result()
                pending.flush_into(self.buffer)
                self._count_move(finished)
                checkpoint_if_due()
        finally:
            if executor is not None:
                executor.shutdown(wait=True)
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
