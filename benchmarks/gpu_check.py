"""GPU check: the Breakout and Cart Pole presets train on CUDA, an analysis runs on CUDA, CUDA agrees with CPU.

Prints one JSON line per case: ``breakout_train`` and ``cartpole_train`` (learner steps/s of the whole loop,
self-play environment steps/s, learner-only steps/s, peak GPU memory), ``analysis`` (one ``value-error`` run on
the Cart Pole run's checkpoints with ``--device``), ``cuda_vs_cpu`` (loss and gradients of one learner step of
the Breakout network on the same batch, and its network outputs, on the device and on CPU: largest relative
differences and whether they are within tolerance), then a ``summary`` line. Every phase has a time budget,
so the whole check stays under 8 minutes on one GPU. Without CUDA it prints one line and exits 0.

    .venv/bin/python benchmarks/gpu_check.py                    # on a CUDA machine
    .venv/bin/python benchmarks/gpu_check.py --device cpu --tiny  # the same code path, tiny and fast, on CPU
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from mzlab.config import ExperimentConfig, preset
from mzlab.config_io import apply_overrides, validate
from mzlab.runs import RunDirectory
from mzlab.search.learned_model import LearnedModel
from mzlab.training.loop import Trainer
from mzlab.training.objectives.base import TrainingBatch
from mzlab.training.objectives.muzero import muzero_loss

TOLERANCE = 1e-3
"""Largest relative difference (to the largest magnitude of the tensor) accepted between CUDA and CPU."""

TINY_BREAKOUT = [
    "network.num_channels=8", "network.support_size=10", "search.num_simulations=2", "training.batch_size=8",
    "env.frame_size=32",
    "training.warmup_games=1", "env.max_episode_steps=12", "replay.capacity=2000", "training.num_actors=2",
]
TINY_CARTPOLE = ["search.num_simulations=3", "training.batch_size=16", "training.warmup_games=1"]


class _OutOfTime(Exception):
    pass


def train_case(name: str, config: ExperimentConfig, *, steps: int, seconds: float,
               directory: Path) -> tuple[dict, Trainer]:
    """Train ``steps`` learner steps (or until ``seconds``); throughput of the loop and of its parts."""
    config = validate(apply_overrides(config, [f"training.checkpoint_interval={max(steps, 1)}"]))
    run = RunDirectory.create_or_resume(directory / name, config)
    trainer = Trainer(config, run, progress=False)
    _reset_peak(trainer.device)
    began = time.perf_counter()

    def stop_when_late(t: Trainer) -> None:
        if time.perf_counter() - began > seconds:
            raise _OutOfTime

    try:
        trainer.run(max_steps=steps, on_step=stop_when_late)
    except _OutOfTime:
        trainer.save_checkpoint()
    loop_seconds = time.perf_counter() - began
    result = {"case": f"{name}_train", "device": str(trainer.device), "learner_steps": trainer.learner.step,
              "env_steps": trainer.env_steps, "loop_seconds": round(loop_seconds, 2),
              "loop_learner_steps_per_s": round(trainer.learner.step / loop_seconds, 2)}
    result.update(part_speeds(trainer, seconds=min(20.0, seconds / 4)))
    result["peak_gpu_memory_gb"] = _peak_gb(trainer.device)
    return result, trainer


def part_speeds(trainer: Trainer, *, seconds: float) -> dict:
    """Self-play environment steps/s and learner-only steps/s (no reanalysis), each timed for ``seconds``."""
    began, env_steps = time.perf_counter(), trainer.env_steps
    while time.perf_counter() - began < seconds / 2:
        trainer._play_move()
    self_play = (trainer.env_steps - env_steps) / (time.perf_counter() - began)
    batch = trainer.buffer.sample(trainer.config.training.batch_size, np.random.default_rng(0))
    trainer.learner.train_step(batch)  # warm-up (kernels, allocator)
    _synchronise(trainer.device)
    began, count = time.perf_counter(), 0
    while time.perf_counter() - began < seconds / 2:
        trainer.learner.train_step(batch)
        count += 1
    _synchronise(trainer.device)
    return {"self_play_env_steps_per_s": round(self_play, 1),
            "learner_only_steps_per_s": round(count / (time.perf_counter() - began), 2)}


def compare_with_cpu(trainer: Trainer) -> dict:
    """One learner step's loss and gradients, and the network outputs, on the trainer's device vs on CPU."""
    config = trainer.config
    batch = trainer.buffer.sample(config.training.batch_size, np.random.default_rng(1))
    networks = {"device": trainer.network, "cpu": copy.deepcopy(trainer.network).to("cpu")}
    results = {}
    tf32 = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False  # compare full float32
    try:
        for where, network in networks.items():
            device = next(network.parameters()).device
            network.train()
            loss = muzero_loss(network, TrainingBatch.from_replay(batch, device), config)
            gradients = torch.autograd.grad(loss.total, list(network.parameters()))
            network.eval()
            model = LearnedModel(network, discount=config.env.discount, device=device)
            root = model.root(batch.observations)
            step, _ = model.step(root.state, batch.actions[:, 0])
            results[where] = {
                "loss": loss.total.detach().cpu().numpy(),
                "gradients": [g.detach().cpu().numpy() for g in gradients],
                "outputs": [np.asarray(a) for a in (root.prior_logits, root.value, step.reward, step.value,
                                                    step.prior_logits)],
            }
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = tf32
        trainer.network.train()
    loss_error = _relative(results["device"]["loss"], results["cpu"]["loss"])
    gradient_error = max(_relative(a, b) for a, b in zip(results["device"]["gradients"], results["cpu"]["gradients"],
                                                         strict=True))
    output_error = max(_relative(a, b) for a, b in zip(results["device"]["outputs"], results["cpu"]["outputs"],
                                                       strict=True))
    return {"case": "cuda_vs_cpu", "device": str(trainer.device), "batch": int(config.training.batch_size),
            "loss_rel_diff": loss_error, "gradient_max_rel_diff": gradient_error,
            "output_max_rel_diff": output_error, "tolerance": TOLERANCE,
            "match": bool(max(loss_error, gradient_error, output_error) <= TOLERANCE)}


def analysis_case(run_dir: Path, out: Path, *, device: str, tiny: bool) -> dict:
    from mzlab.cli import main as mzlab_main

    options = ["--quick"] if tiny else ["--num-states", "16", "--num-samples", "8", "--max-checkpoints", "2"]
    began = time.perf_counter()
    code = mzlab_main(["analyze", "value-error", "--run-dir", str(run_dir), "--out", str(out), "--device", device,
                       *options])
    return {"case": "analysis", "experiment": "value-error", "device": device, "exit_code": code,
            "seconds": round(time.perf_counter() - began, 2),
            "tables": sorted(path.name for path in out.glob("*.parquet"))}


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-12)) if a.size else 0.0


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def _peak_gb(device: torch.device) -> float | None:
    return round(torch.cuda.max_memory_allocated(device) / 1e9, 3) if device.type == "cuda" else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (a dry run of the same code path)")
    parser.add_argument("--tiny", action="store_true", help="tiny networks, searches and budgets (seconds)")
    parser.add_argument("--breakout-steps", type=int, default=300)
    parser.add_argument("--cartpole-steps", type=int, default=1000)
    parser.add_argument("--breakout-seconds", type=float, default=180.0, help="time budget of the Breakout run")
    parser.add_argument("--cartpole-seconds", type=float, default=75.0)
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"case": "gpu_check", "skipped": True, "reason": "no CUDA device"}))
        return 0
    started = time.perf_counter()
    breakout_overrides = [f"training.device={args.device}", *(TINY_BREAKOUT if args.tiny else [])]
    cartpole_overrides = [f"training.device={args.device}", *(TINY_CARTPOLE if args.tiny else [])]
    breakout_steps, cartpole_steps = (4, 12) if args.tiny else (args.breakout_steps, args.cartpole_steps)
    cases = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        result, breakout = train_case("breakout", apply_overrides(preset("breakout"), breakout_overrides),
                                      steps=breakout_steps, seconds=args.breakout_seconds, directory=scratch)
        cases.append(result)
        print(json.dumps(result), flush=True)
        cases.append(compare_with_cpu(breakout))
        print(json.dumps(cases[-1]), flush=True)
        del breakout
        result, cartpole = train_case("cartpole", apply_overrides(preset("cartpole"), cartpole_overrides),
                                      steps=cartpole_steps, seconds=args.cartpole_seconds, directory=scratch)
        cases.append(result)
        print(json.dumps(result), flush=True)
        cases.append(analysis_case(cartpole.run_dir.path, scratch / "analysis", device=args.device, tiny=args.tiny))
        print(json.dumps(cases[-1]), flush=True)
    ok = cases[1]["match"] and cases[3]["exit_code"] == 0
    print(json.dumps({"case": "summary", "device": args.device, "ok": bool(ok),
                      "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
