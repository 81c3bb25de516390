"""Fault injection for the reliability suite: damage a file in one of five ways, observe what mzlab does.

An observation is what a reader (``RunDirectory.open`` + every checkpoint + the metrics) or a resuming trainer
sees, reduced to digests, so that "the same result" is an exact comparison with the undamaged run. A fault is
survived when each operation either refuses with a one-line :class:`MzlabError` naming the damaged file, gives
exactly the undamaged result, or falls back to an earlier checkpoint whose state is exactly that checkpoint's.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path

import numpy as np
import safetensors.torch
import torch

from mzlab.errors import MzlabError
from mzlab.runs import RunDirectory
from mzlab.training.loop import Trainer, replay_path

FAULTS = ("truncate", "flip", "edit", "swap", "delete")

TINY = [
    "network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=4",
    "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=4",
    "training.warmup_games=2", "training.training_steps=12", "training.checkpoint_interval=5",
]
"""A Cart Pole run of 12 learner steps, checkpoints at 0, 5, 10, 12 (seconds to train)."""


def train_argv(run_dir, *extra, seed: int = 3, overrides=TINY) -> list[str]:
    argv = ["train", "--env", "cartpole", "--seed", str(seed), "--run-dir", str(run_dir), "--no-progress"]
    for override in overrides:
        argv += ["--set", override]
    return argv + list(extra)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def tensors_digest(tensors: dict) -> str:
    return digest(b"".join(name.encode() + tensors[name].detach().cpu().contiguous().numpy().tobytes()
                           for name in sorted(tensors)))


# ---------------------------------------------------------------------------------------------------- observing


def read_run(path: Path) -> dict:
    """What a reader (analysis, evaluate) sees: checkpoint steps, each one's weights and metrics rows."""
    run = RunDirectory.open(path)
    steps = run.checkpoint_steps()
    weights = {step: tensors_digest(run.load_checkpoint(step)[0]) for step in steps}
    metrics = run.read_metrics()
    return {"steps": steps, "weights": weights, "config": run.config_hash,
            "metrics": digest(metrics.to_json(orient="records").encode()) if len(metrics) else None}


def trainer_state(trainer: Trainer) -> dict:
    buffer = io.BytesIO()
    trainer.buffer.save(buffer)
    rngs = [rng.bit_generator.state["state"]["state"] for rng in (trainer.self_play_rng, trainer.replay_rng)]
    return {"step": trainer.learner.step, "network": tensors_digest(trainer.network.state_dict()),
            "buffer": digest(buffer.getvalue()), "env_steps": trainer.env_steps, "games": trainer.games,
            "rngs": [int(r) for r in rngs], "torch_rng": digest(torch.get_rng_state().numpy().tobytes())}


def resume_run(path: Path, config) -> tuple[int | None, dict]:
    """``(resumed step, exact trainer state)`` of a trainer resuming ``path``; the lock is released after."""
    with RunDirectory.create_or_resume(path, config) as run:
        trainer = Trainer(run.config, run, progress=False)
        step = trainer.resume()
        return step, trainer_state(trainer)


def state_at(path: Path, config, step: int) -> dict:
    """The exact state a trainer restores from checkpoint ``step`` of an undamaged run."""
    with RunDirectory.create_or_resume(path, config) as run:
        trainer = Trainer(run.config, run, progress=False)
        trainer._load_checkpoint(step)
        return trainer_state(trainer)


def attempt(operation, *args):
    """``("ok", value)`` or ``("error", message)`` for a MzlabError; anything else propagates (a failure)."""
    try:
        return "ok", operation(*args)
    except MzlabError as error:
        return "error", str(error)


# ---------------------------------------------------------------------------------------------------- damaging


def truncate(path: Path, rng) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * rng.uniform(0.1, 0.9))])


def flip(path: Path, rng, count: int = 4) -> None:
    data = bytearray(path.read_bytes())
    for position in rng.choice(len(data), size=min(count, len(data)), replace=False):
        data[position] ^= int(rng.integers(1, 256))
    path.write_bytes(bytes(data))


def delete(path: Path, rng) -> None:
    path.unlink()


def swap(first: Path, second: Path) -> None:
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)


def edit_safetensors(path: Path, rng) -> None:
    """A valid safetensors file with one number changed (what a careless tool would write)."""
    tensors = safetensors.torch.load(path.read_bytes())
    name = sorted(name for name, t in tensors.items() if t.is_floating_point() and t.numel())[0]
    tensors[name] = tensors[name].clone()
    tensors[name].view(-1)[0] += 1.0
    path.write_bytes(safetensors.torch.save(tensors))


def edit_replay(path: Path, rng) -> None:
    """The issue's reproducer: shift the game offsets of a valid replay file (re-saved as a valid npz)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    arrays["games"] = arrays["games"].copy()
    arrays["games"][:, 0] += 1
    arrays["game_start"] = arrays["game_start"] + 1
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def edit_json(path: Path, change) -> None:
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload, indent=2))


def edit_metrics(path: Path, rng) -> None:
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row["losses/value"] = row["losses/value"] + 0.5
    lines[0] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")


def swap_lines(path: Path, rng) -> None:
    lines = path.read_text().splitlines()
    lines[0], lines[1] = lines[1], lines[0]
    path.write_text("\n".join(lines) + "\n")


NEWEST, PREVIOUS = 12, 10
"""The newest checkpoint of the tiny run (the one damaged) and the one a trainer falls back to."""

_ANY = {"error", "same"}


def edit_metadata(path, rng):
    edit_json(path, lambda m: m.update(env_steps=m["env_steps"] + 1))


def edit_config(path, rng):
    edit_json(path, lambda c: c["env"].update(discount=0.5))  # the reproducer


_EDITS = {"weights": edit_safetensors, "state": edit_safetensors, "metadata": edit_metadata,
          "replay": edit_replay, "config": edit_config, "metrics": edit_metrics}

# (kind, fault) -> (what a reader may see, what a resuming trainer may see); flips may hit bytes that do not
# matter (JSON whitespace), so "same" is allowed there too
EXPECTED = {
    **{("weights", f): ({"error"}, {"fallback"}) for f in ("truncate", "flip", "edit", "delete")},
    ("weights", "swap"): ({"error"}, {"error"}),  # both newest checkpoints damaged, older buffers gone
    **{("state", f): ({"same"}, {"fallback"}) for f in ("truncate", "flip", "edit", "delete")},
    ("state", "swap"): ({"same"}, {"error"}),
    **{("metadata", f): ({"error"}, {"fallback"}) for f in ("truncate", "edit")},
    ("metadata", "flip"): (_ANY, {"fallback", "same"}),
    ("metadata", "swap"): ({"error"}, {"error"}),
    ("metadata", "delete"): ({"incomplete"}, {"incomplete"}),  # as if killed before the metadata was written
    **{("replay", f): ({"same"}, {"fallback"}) for f in ("truncate", "flip", "edit", "delete")},
    ("replay", "swap"): ({"same"}, {"error"}),
    **{("config", f): ({"error"}, {"error"}) for f in ("truncate", "edit", "swap", "delete")},
    ("config", "flip"): (_ANY, _ANY),
    **{("metrics", f): ({"error"}, {"error"}) for f in ("truncate", "flip", "edit", "swap", "delete")},
}


def damage(path: Path, kind: str, fault: str, rng) -> list[str]:
    """Apply ``fault`` to the ``kind`` file of the newest checkpoint; returns the names a message may cite."""
    files = run_files(path, NEWEST)
    target = files[kind]
    if fault == "swap":
        if kind == "config":  # another run's config (seed 4)
            from mzlab.commands.train import build_config
            from mzlab.config_io import save_config

            save_config(build_config("cartpole", 4, TINY), target)
            return ["config.json"]
        if kind == "metrics":
            swap_lines(target, rng)
            return [target.name]
        partner = run_files(path, PREVIOUS)[kind]
        swap(target, partner)
        return [target.name, partner.name]
    {"truncate": truncate, "flip": flip, "delete": delete, "edit": _EDITS[kind]}[fault](target, rng)
    return [target.name]


def classify_read(outcome, clean_read, names) -> str:
    status, value = outcome
    if status == "error":
        assert one_line_naming(value, *names), value
        return "error"
    if value == clean_read:
        return "same"
    shorter = {**clean_read, "steps": clean_read["steps"][:-1],
               "weights": {s: w for s, w in clean_read["weights"].items() if s != NEWEST}}
    if value == shorter:
        return "incomplete"
    return "SILENTLY DIFFERENT"


def classify_resume(outcome, clean, names, stderr: str) -> str:
    status, value = outcome
    if status == "error":
        assert one_line_naming(value, *names), value
        return "error"
    step, state = value
    if step == NEWEST and state == clean["states"][NEWEST]:
        return "same"
    if step in clean["states"] and state == clean["states"][step]:
        if not stderr.strip():
            return "incomplete"
        line = stderr.strip()
        assert one_line_naming(line, *names) and f"resuming from checkpoint {step}" in line, line
        return "fallback"
    return "SILENTLY DIFFERENT"


def copy_run(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    (target / ".writer.lock").unlink(missing_ok=True)
    return target


def run_files(path: Path, step: int) -> dict[str, Path]:
    """The file of each kind for checkpoint ``step``."""
    checkpoints = path / "checkpoints"
    return {
        "weights": checkpoints / f"step_{step:08d}.safetensors",
        "state": checkpoints / f"step_{step:08d}.state.safetensors",
        "metadata": checkpoints / f"step_{step:08d}.json",
        "replay": replay_path(_Run(path), step),
        "config": path / "config.json",
        "metrics": path / "metrics.jsonl",
    }


class _Run:
    """Just enough of a RunDirectory for :func:`replay_path` without opening (and verifying) the run."""

    def __init__(self, path: Path):
        self.path = path


def present_checkpoint_files(path: Path) -> dict[str, str]:
    """Digest of every checkpoint weights file anywhere under the run (history or set aside)."""
    return {p.name: digest(p.read_bytes()) for p in sorted(path.rglob("step_*.safetensors"))
            if ".tmp-" not in p.name}


def one_line_naming(message: str, *names: str) -> bool:
    return "\n" not in message and any(name in message for name in names)


def environment_has_sparse_files(directory: Path) -> bool:
    probe = directory / "sparse-probe"
    with open(probe, "wb") as handle:
        handle.truncate(2**30)
    sparse = os.stat(probe).st_blocks * 512 < 2**20
    probe.unlink()
    return sparse
