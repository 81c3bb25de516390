"""What runs inside a worker process (local pool or Ray task): import the target, call it, capture its output.

Everything the job prints (Python and C level, stdout and stderr) goes to its log file. A job that raises
returns ``ok=False`` with a one-line error and leaves the traceback in the log; only a worker that dies
(killed, out of memory, a crash in native code) surfaces as an exception in the driver.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

__all__ = ["run_job", "resolve_target", "prepare_worker"]


def prepare_worker(num_threads: int | None, *, watch_parent: bool = False) -> None:
    """Limit BLAS/torch threads before the job imports torch (pool initializer and first call).

    ``watch_parent`` (local pool workers): exit as soon as the sweep's process is gone, so a driver killed
    with SIGKILL leaves no orphan computing a job that the next sweep will run again.
    """
    if watch_parent:
        _start_parent_watchdog()
    if not num_threads:
        return
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(num_threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(num_threads)


def _start_parent_watchdog(interval: float = 1.0) -> None:
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="mzlab-parent-watchdog", daemon=True).start()


def resolve_target(target: str):
    """``"package.module:function"`` -> the function."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"job target {target!r} is not of the form 'module:function'")
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


@contextlib.contextmanager
def _output_to(log_file: Path):
    """Point file descriptors 1 and 2 (and sys.stdout/sys.stderr) at ``log_file`` for the duration."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    saved_streams = (sys.stdout, sys.stderr)
    with open(log_file, "a", encoding="utf-8", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log
        try:
            yield log
        finally:
            log.flush()
            sys.stdout, sys.stderr = saved_streams
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for handle in saved:
                os.close(handle)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or "(no message)"
    return f"{type(error).__name__}: {text}"[:500]


def run_job(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one job described by :func:`mzlab.sweep.jobs.job_spec`; return a JSON-able outcome.

    Returns ``{"ok", "result", "error", "seconds", "host", "pid"}``.
    """
    prepare_worker(spec.get("num_threads"))
    study_dir = Path(spec["study_dir"])
    log_file = study_dir / spec["log"]
    kwargs = dict(spec["kwargs"])
    kwargs.update({name: str(study_dir / relative) for name, relative in spec["paths"].items()})
    outcome: dict[str, Any] = {"ok": False, "result": None, "error": None, "host": socket.gethostname(),
                               "pid": os.getpid()}
    start = time.perf_counter()
    with _output_to(log_file) as log:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        print(f"=== {spec['job_id']} started {stamp} UTC on {outcome['host']} pid {outcome['pid']}", file=log)
        try:
            function = resolve_target(spec["target"])
            outcome["result"] = function(**kwargs)
            outcome["ok"] = True
        except Exception as error:  # noqa: BLE001 - a job's failure is data, reported to the driver
            traceback.print_exc(file=log)
            outcome["error"] = _one_line(error)
        except SystemExit as error:
            traceback.print_exc(file=log)
            outcome["error"] = f"SystemExit: status {error.code}"
        outcome["seconds"] = time.perf_counter() - start
        status = "finished" if outcome["ok"] else f"FAILED ({outcome['error']})"
        print(f"=== {spec['job_id']} {status} after {outcome['seconds']:.1f} s", file=log)
    return outcome
