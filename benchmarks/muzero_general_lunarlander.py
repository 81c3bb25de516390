"""muzero-general's Lunar Lander agent, run as it is for a wall-clock budget, and its learning curve as a CSV.

    python benchmarks/muzero_general_lunarlander.py run --checkout MZG --python MZG_VENV/bin/python \\
        --seconds 36000 --out OUT [--seed N] [--nice 19]
    python benchmarks/muzero_general_lunarlander.py export --out OUT

``run`` starts ``benchmarks/_muzero_general_driver.py`` with muzero-general's interpreter in its checkout (its
``lunarlander`` game with its own config; only the results folder is redirected to ``OUT/results``), lets it
train for ``--seconds`` counted from the end of its set-up (Ray up, initial weights made; ``driver.json``),
then stops it with SIGINT, which its logging loop handles (it stops its workers and saves its files; SIGTERM
and SIGKILL to its process group only if it has not exited ``--grace`` seconds later). It also ends by itself
at its config's ``training_steps``. ``export`` (also done at the end of ``run``) reads the TensorBoard events
under ``OUT/results`` (only the events: muzero-general's checkpoint and replay-buffer files are pickles and are
never opened here) and writes ``OUT/curve.csv`` and ``OUT/summary.json``, printing the summary as one line.

Its logging loop writes one row of scalars about every 0.5 s (the TensorBoard step is that loop's counter); in
each row ``total_reward`` is the return of the test worker's latest finished game (muzero-general's rewards,
which its game divides by 3, like mzlab's ``lunarlander`` preset). ``curve.csv`` has one line per row with
``wall_seconds`` (since the first row), the learner's ``training_step``, the self-play counters and
``test_game``: the number of test games finished so far (a new game is seen when the test worker's reward,
length and mean root value change), so ``test_game`` > 0 rows at each increment are its games.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

DRIVER = Path(__file__).resolve().parent / "_muzero_general_driver.py"

TAGS = {
    "total_reward": "1.Total_reward/1.Total_reward",
    "mean_value": "1.Total_reward/2.Mean_value",
    "episode_length": "1.Total_reward/3.Episode_length",
    "self_played_games": "2.Workers/1.Self_played_games",
    "training_step": "2.Workers/2.Training_steps",
    "self_played_steps": "2.Workers/3.Self_played_steps",
    "reanalysed_games": "2.Workers/4.Reanalysed_games",
}
"""CSV column -> muzero-general's TensorBoard tag (written by its ``MuZero.logging_loop``)."""

COLUMNS = ("counter", "wall_seconds", "unix_time", "test_game", *TAGS)
COUNTS = ("episode_length", "self_played_games", "training_step", "self_played_steps", "reanalysed_games")


def read_scalars(results_dir: Path) -> dict[str, list[tuple[int, float, float]]]:
    """``tag -> [(step, wall_time, value)]`` from every TensorBoard events file under ``results_dir``."""
    scalars: dict[str, list[tuple[int, float, float]]] = {}
    files = sorted(results_dir.rglob("events.out.tfevents.*")) if results_dir.is_dir() else []
    if files:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    for events in files:
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            scalars.setdefault(tag, []).extend((e.step, e.wall_time, e.value) for e in accumulator.Scalars(tag))
    return scalars


def curve_rows(scalars: dict[str, list[tuple[int, float, float]]]) -> list[dict]:
    """One row per logging-loop counter that has every tag of :data:`TAGS`, in counter order."""
    by_step: dict[int, dict] = {}
    for column, tag in TAGS.items():
        for step, wall_time, value in scalars.get(tag, []):
            row = by_step.setdefault(step, {"counter": step})
            row[column] = int(round(value)) if column in COUNTS else float(value)
            if column == "total_reward":
                row["unix_time"] = wall_time
    rows = [row for _, row in sorted(by_step.items()) if all(column in row for column in TAGS)]
    if not rows:
        return []
    start = rows[0]["unix_time"]
    games, previous = 0, None
    for row in rows:
        row["wall_seconds"] = row["unix_time"] - start
        game = (row["total_reward"], row["episode_length"], row["mean_value"])
        if row["episode_length"] > 0 and game != previous:
            games += 1
        previous = game
        row["test_game"] = games
    return rows


def summarize(rows: list[dict]) -> dict:
    """Steps reached, rates and the test games' returns of a curve."""
    games = [row for index, row in enumerate(rows)
             if row["test_game"] > (rows[index - 1]["test_game"] if index else 0)]
    returns = [row["total_reward"] for row in games]
    last = rows[-1] if rows else {}
    wall = last.get("wall_seconds", 0.0)
    return {
        "case": "muzero_general_lunarlander", "rows": len(rows), "wall_seconds": round(wall, 1),
        "training_step": last.get("training_step", 0), "self_played_steps": last.get("self_played_steps", 0),
        "self_played_games": last.get("self_played_games", 0), "test_games": len(games),
        "learner_steps_per_second": round(last["training_step"] / wall, 3) if wall > 0 else None,
        "self_play_steps_per_second": round(last["self_played_steps"] / wall, 3) if wall > 0 else None,
        "best_test_return": max(returns) if returns else None,
        "mean_last_10_test_returns": sum(returns[-10:]) / len(returns[-10:]) if returns else None,
    }


def export(out: Path) -> dict:
    rows = curve_rows(read_scalars(out / "results"))
    with open(out / "curve.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    summary = summarize(rows)
    run_file = out / "run.json"
    if run_file.is_file():
        summary["run"] = json.loads(run_file.read_text())
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _checkout_state(checkout: Path) -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else f"(git failed: {done.stderr.strip()[:200]})"

    return {"path": str(checkout), "commit": git("rev-parse", "HEAD"), "status": git("status", "--porcelain")}


def _stop(process: subprocess.Popen, grace: float) -> str:
    """SIGINT to the driver, then SIGTERM / SIGKILL to its process group; how it ended."""
    for how, send, wait in (("sigint", lambda: process.send_signal(signal.SIGINT), grace),
                            ("sigterm", lambda: os.killpg(process.pid, signal.SIGTERM), 30.0),
                            ("sigkill", lambda: os.killpg(process.pid, signal.SIGKILL), 30.0)):
        try:
            send()
            process.wait(timeout=wait)
            return how
        except ProcessLookupError:
            return how
        except subprocess.TimeoutExpired:
            continue
    return "still running"


def run(args: argparse.Namespace) -> dict:
    checkout, out = Path(args.checkout).resolve(), Path(args.out).resolve()
    for needed in ("muzero.py", "games/lunarlander.py"):
        if not (checkout / needed).is_file():
            raise SystemExit(f"--checkout {checkout}: no {needed}; give a muzero-general checkout")
    out.mkdir(parents=True, exist_ok=True)
    if (out / "results").exists() or (out / "driver.json").exists():
        raise SystemExit(f"--out {out} already holds a run; give an empty or new folder")
    freeze = subprocess.run([args.python, "-m", "pip", "freeze"], capture_output=True, text=True)
    (out / "environment.txt").write_text(freeze.stdout)
    state = {"checkout": _checkout_state(checkout), "python": args.python, "seconds": args.seconds,
             "nice": args.nice, "seed": args.seed, "machine_cpus": os.cpu_count()}
    command = ["nice", "-n", str(args.nice), args.python, str(DRIVER), str(out)]
    if args.seed is not None:
        command.append(str(args.seed))
    env = {**os.environ, "RAY_ADDRESS": "local", "RAY_USAGE_STATS_ENABLED": "0", "PYTHONUNBUFFERED": "1"}
    with open(out / "train.log", "w") as log:
        process = subprocess.Popen(command, cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        state["launched_unix"] = time.time()
        ended = None
        try:
            started = time.time() + args.startup_timeout
            while ended is None and not (out / "driver.json").is_file():
                if process.poll() is not None:
                    ended = "exited during set-up"
                elif time.time() > started:
                    ended = "set-up timeout, " + _stop(process, args.grace)
                time.sleep(1.0)
            if ended is None:
                deadline = json.loads((out / "driver.json").read_text())["initialised_unix"] + args.seconds
                while process.poll() is None and time.time() < deadline:
                    time.sleep(1.0)
                ended = "exited by itself" if process.poll() is not None else _stop(process, args.grace)
        except KeyboardInterrupt:
            ended = "interrupted, " + _stop(process, args.grace)
    state.update(ended=ended, returncode=process.returncode, finished_unix=time.time())
    (out / "run.json").write_text(json.dumps(state, indent=2) + "\n")
    return export(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("run", help="train muzero-general's lunarlander for a wall-clock budget")
    start.add_argument("--checkout", required=True, help="muzero-general checkout (unmodified)")
    start.add_argument("--python", required=True, help="the interpreter of muzero-general's own environment")
    start.add_argument("--seconds", type=float, required=True, help="wall-clock training budget in seconds")
    start.add_argument("--out", required=True, help="new folder for its results, the CSV and the summary")
    start.add_argument("--seed", type=int, default=None, help="override its config's seed (default: its own, 0)")
    start.add_argument("--nice", type=int, default=0, help="niceness of its processes (default 0)")
    start.add_argument("--grace", type=float, default=600.0,
                       help="seconds it may take to stop after SIGINT (it saves its replay buffer; default 600)")
    start.add_argument("--startup-timeout", type=float, default=900.0, help="seconds allowed for its set-up")
    again = commands.add_parser("export", help="(re)write OUT/curve.csv and OUT/summary.json from its events")
    again.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    summary = run(args) if args.command == "run" else export(Path(args.out))
    print(json.dumps({key: value for key, value in summary.items() if key != "run"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
