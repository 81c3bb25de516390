"""benchmarks/muzero_general_lunarlander.py: its TensorBoard scalars become the hand-computed CSV rows and summary,
and a run is stopped with SIGINT at its wall-clock budget (a fake interpreter stands in for muzero-general's)."""

import csv
import json
import os
import stat
import sys
from pathlib import Path

import pytest
from fakes import load_benchmark

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "muzero_general_lunarlander.py"


def load_script():
    return load_benchmark("muzero_general_lunarlander")


# counter: (total_reward, mean_value, episode_length, games, training_step, played_steps, reanalysed)
LOGGED = {
    0: (0.0, 0.0, 0, 0, 0, 0, 0),
    1: (0.0, 0.0, 0, 1, 0, 80, 0),
    2: (-30.0, 1.5, 80, 1, 5, 160, 1),
    3: (-30.0, 1.5, 80, 2, 10, 240, 1),
    4: (12.0, 2.0, 700, 2, 20, 320, 2),
    5: (12.0, 2.0, 700, 3, 40, 400, 3),
}


def write_events(results: Path, start: float = 1000.0) -> None:
    from torch.utils.tensorboard import SummaryWriter

    mzg = load_script()
    writer = SummaryWriter(str(results))
    for counter, values in LOGGED.items():
        for column, value in zip(mzg.TAGS, values, strict=True):
            writer.add_scalar(mzg.TAGS[column], value, counter, walltime=start + 0.5 * counter)
    # a counter without every tag (the run stopped mid-row) is no row
    writer.add_scalar(mzg.TAGS["total_reward"], 99.0, 6, walltime=start + 3.0)
    writer.close()


def test_rows_and_summary_from_events_match_hand_values(tmp_path):
    mzg = load_script()
    out = tmp_path / "out"
    write_events(out / "results")
    summary = mzg.export(out)
    with open(out / "curve.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["counter"]) for row in rows] == [0, 1, 2, 3, 4, 5]
    assert [float(row["wall_seconds"]) for row in rows] == pytest.approx([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    # a test game is new when its return, length and mean root value change (and it has moves)
    assert [int(row["test_game"]) for row in rows] == [0, 0, 1, 1, 2, 2]
    assert [int(row["training_step"]) for row in rows] == [0, 0, 5, 10, 20, 40]
    assert [float(row["total_reward"]) for row in rows] == [0.0, 0.0, -30.0, -30.0, 12.0, 12.0]
    assert summary["rows"] == 6 and summary["test_games"] == 2
    assert summary["training_step"] == 40 and summary["self_played_steps"] == 400
    assert summary["self_played_games"] == 3
    assert summary["learner_steps_per_second"] == pytest.approx(40 / 2.5)
    assert summary["self_play_steps_per_second"] == pytest.approx(400 / 2.5)
    assert summary["best_test_return"] == 12.0
    assert summary["mean_last_10_test_returns"] == pytest.approx((-30.0 + 12.0) / 2)
    assert json.loads((out / "summary.json").read_text()) == summary


FAKE_PYTHON = """#!{python}
import json, signal, sys, time
from pathlib import Path
if sys.argv[1] == "-m":  # pip freeze
    print("fake-package==1.0")
    sys.exit(0)
out = Path(sys.argv[2])
stopped = []
signal.signal(signal.SIGINT, lambda *_: stopped.append(True))
(out / "driver.json").write_text(json.dumps({{"initialised_unix": time.time()}}))
while not stopped:
    time.sleep(0.05)
(out / "stopped_by_sigint").write_text("yes")
"""


def test_run_stops_the_peer_with_sigint_at_its_budget(tmp_path):
    mzg = load_script()
    checkout = tmp_path / "checkout"
    (checkout / "games").mkdir(parents=True)
    (checkout / "muzero.py").write_text("")
    (checkout / "games" / "lunarlander.py").write_text("")
    python = tmp_path / "fake-python"
    python.write_text(FAKE_PYTHON.format(python=sys.executable))
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "out"
    assert mzg.main(["run", "--checkout", str(checkout), "--python", str(python), "--seconds", "0.5",
                     "--out", str(out), "--grace", "60"]) == 0
    run = json.loads((out / "run.json").read_text())
    assert run["ended"] == "sigint" and run["returncode"] == 0
    assert (out / "stopped_by_sigint").read_text() == "yes"
    assert (out / "environment.txt").read_text().strip() == "fake-package==1.0"
    assert json.loads((out / "summary.json").read_text())["rows"] == 0
    with pytest.raises(SystemExit, match="already holds a run"):
        mzg.main(["run", "--checkout", str(checkout), "--python", str(python), "--seconds", "1", "--out", str(out)])


def test_run_refuses_a_folder_that_is_not_a_checkout(tmp_path):
    mzg = load_script()
    with pytest.raises(SystemExit, match="no muzero.py"):
        mzg.main(["run", "--checkout", str(tmp_path), "--python", sys.executable, "--seconds", "1",
                  "--out", str(tmp_path / "out")])
    assert not os.path.exists(tmp_path / "out")


FAKE_MUZERO = """import time
class _Config:
    def __init__(self):
        self.seed, self.training_steps = 0, 200000
class MuZero:
    def __init__(self, game, overrides):
        self.config = _Config()
        for key, value in overrides.items():
            setattr(self.config, key, value)
    def train(self):
        try:
            while True:
                time.sleep(0.05)
        except KeyboardInterrupt:  # muzero-general's logging loop stops its workers here
            (self.config.results_path.parent / "interrupted").write_text(str(self.config.seed))
"""


def test_the_real_driver_stops_on_sigint_even_when_launched_with_sigint_ignored(tmp_path):
    """A background launch from a non-interactive shell hands SIGINT down as ignored; the driver restores it."""
    import signal
    import subprocess

    checkout = tmp_path / "checkout"
    (checkout / "games").mkdir(parents=True)
    (checkout / "games" / "lunarlander.py").write_text("")
    (checkout / "muzero.py").write_text(FAKE_MUZERO)
    (checkout / "ray.py").write_text("__version__ = 'fake'\n"
                                     "def cluster_resources():\n    return {'CPU': 2.0, 'other': 1.0}\n"
                                     "def shutdown():\n    pass\n")
    out = tmp_path / "out"
    command = [sys.executable, str(SCRIPT), "run", "--checkout", str(checkout), "--python", sys.executable,
               "--seconds", "0.5", "--out", str(out), "--grace", "60", "--seed", "7"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "run.json").read_text())["ended"] == "sigint"
    assert (out / "interrupted").read_text() == "7"  # the seed override reached its config
    driver = json.loads((out / "driver.json").read_text())
    assert driver["ray_cluster_resources"] == {"CPU": 2.0}
    assert driver["config"]["results_path"].endswith("/out/results')")
    assert json.loads(done.stdout.strip().splitlines()[-1])["rows"] == 0
