"""Runs inside muzero-general's own virtual environment, with its checkout as the working directory.

    PEER_PYTHON benchmarks/_muzero_general_driver.py OUT_DIR [SEED]

Trains muzero-general's ``lunarlander`` game exactly as its ``python muzero.py lunarlander`` does (its
``MuZero(game).train()`` with the game file's own ``MuZeroConfig``), through the one override mechanism it
offers (a dict given to ``MuZero``): ``results_path`` = ``OUT_DIR/results`` (where its TensorBoard events and
checkpoints go) and, only when ``SEED`` is given, ``seed``. Nothing of its algorithm is touched.

Before the training starts it writes ``OUT_DIR/driver.json``: the resolved config, the CPUs and GPUs Ray was
told about, and the Unix times of launch and of the end of its set-up (Ray started, initial weights made). A
SIGINT ends the training the way its own loop expects (its logging loop catches ``KeyboardInterrupt``, stops
the workers and saves its files).

Imports nothing of mzlab: this file is run by another interpreter (``benchmarks/muzero_general_lunarlander.py``).
"""

import json
import os
import pathlib
import signal
import sys
import time


def _plain(value):
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return repr(value)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = pathlib.Path(argv[0]).resolve()
    # A process started in the background by a non-interactive shell inherits SIGINT as ignored, and Python
    # then installs no KeyboardInterrupt handler: restore it, or the budget's SIGINT would not stop the run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    launched = time.time()
    sys.path.insert(0, os.getcwd())
    import muzero  # muzero-general's module, from its checkout (the working directory)
    import ray

    overrides = {"results_path": out_dir / "results"}
    if len(argv) == 2:
        overrides["seed"] = int(argv[1])
    agent = muzero.MuZero("lunarlander", overrides)
    config = {key: _plain(value) for key, value in vars(agent.config).items()}
    info = {
        "game": "lunarlander",
        "overrides": {key: _plain(value) for key, value in overrides.items()},
        "config": config,
        "ray_version": ray.__version__,
        "ray_cluster_resources": {key: value for key, value in ray.cluster_resources().items()
                                  if key in ("CPU", "GPU", "memory")},
        "launched_unix": launched,
        "initialised_unix": time.time(),  # Ray is up and the initial weights exist; train() follows
        "pid": os.getpid(),
    }
    (out_dir / "driver.json").write_text(json.dumps(info, indent=2) + "\n")
    try:
        agent.train()
    finally:
        ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
