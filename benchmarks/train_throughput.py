"""End-to-end training speed: wall-clock to N learner steps of a preset, today's mode against the new one.

``old`` = ``training.self_play_mode=lockstep``, ``training.compile=off``, ``search.kernel=python`` (the eager
lock-step loop with the Python loop over simulations, as it was); ``new`` = ``training.self_play_mode=overlap``,
``training.compile=on``, ``search.kernel=auto`` (the fused numba search). Both run ``mzlab train``'s Trainer in
the same process on CPU with one torch thread, from the same seed, including warm-up self-play, checkpoints,
reanalyse and (new) the compilation. ``steady_steps_per_s`` is measured over the second half of the steps;
``projected_seconds_20k`` = seconds at N + the rest of 20,000 steps at the steady rate. One JSON line per
preset and mode, then one ratio line per preset:

    python benchmarks/train_throughput.py [--presets cartpole lunarlander] [--steps 3000]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import tempfile
import time

import torch

from mzlab.config import preset
from mzlab.config_io import apply_overrides, validate
from mzlab.runs import RunDirectory
from mzlab.training.loop import Trainer

MODES = {
    "old": ["training.self_play_mode=lockstep", "training.compile=off", "search.kernel=python"],
    "new": ["training.self_play_mode=overlap", "training.compile=on", "search.kernel=auto"],
}
TARGET_STEPS = 20_000


def timed_run(name: str, mode: str, steps: int, seed: int) -> dict:
    overrides = MODES[mode] + ["training.device=cpu"]
    config = validate(apply_overrides(dataclasses.replace(preset(name), seed=seed), overrides))
    halfway = {}

    def on_step(trainer: Trainer) -> None:
        if trainer.learner.step == steps // 2:
            halfway["seconds"] = time.perf_counter()

    with tempfile.TemporaryDirectory() as directory:
        began = time.perf_counter()
        trainer = Trainer(config, RunDirectory.create_or_resume(directory + "/run", config), progress=False)
        trainer.run(max_steps=steps, on_step=on_step)
        ended = time.perf_counter()
    seconds = ended - began
    steady = (steps - steps // 2) / (ended - halfway["seconds"])
    return {"case": "train_throughput", "preset": name, "mode": mode, "overrides": MODES[mode], "steps": steps,
            "seconds": round(seconds, 1), "steady_steps_per_s": round(steady, 1),
            "projected_seconds_20k": round(seconds + (TARGET_STEPS - steps) / steady, 1),
            "env_steps": trainer.env_steps, "load_average": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["cartpole", "lunarlander"])
    parser.add_argument("--steps", type=int, default=TARGET_STEPS, help="learner steps per run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)  # as `mzlab train` on CPU
    for name in args.presets:
        results = {mode: timed_run(name, mode, args.steps, args.seed) for mode in MODES}
        for result in results.values():
            print(json.dumps(result), flush=True)
        old, new = results["old"], results["new"]
        print(json.dumps({"case": "train_throughput_ratio", "preset": name, "steps": args.steps,
                          "ratio_seconds": round(old["seconds"] / new["seconds"], 2),
                          "ratio_steady": round(new["steady_steps_per_s"] / old["steady_steps_per_s"], 2),
                          "ratio_projected_20k": round(old["projected_seconds_20k"] / new["projected_seconds_20k"],
                                                       2)}), flush=True)


if __name__ == "__main__":
    main()
