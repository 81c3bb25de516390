"""Where jobs run: a local process pool (default) or Ray tasks on a Ray cluster.

Both expose the same small interface to the scheduler in :mod:`mzlab.sweep.runner`:
``submit(spec, num_cpus, num_gpus) -> handle``, ``wait(handles, timeout) -> [(handle, outcome | WorkerDied)]`` and
``shutdown(cancel)``. ``outcome`` is the dict returned by :func:`mzlab.sweep.worker.run_job`; a worker that
died (killed, crashed, its node lost) gives :class:`WorkerDied` so the scheduler can retry the job.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import socket
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from mzlab.errors import MzlabError
from mzlab.sweep.worker import prepare_worker, run_job

__all__ = ["WorkerDied", "LocalExecutor", "RayExecutor", "make_executor", "EXECUTORS"]

EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class WorkerDied:
    """The process running the job disappeared before returning; ``reason`` says how."""

    reason: str


class LocalExecutor:
    """A ``concurrent.futures`` process pool with the ``spawn`` start method.

    A worker that dies breaks the whole pool in CPython (its siblings are stopped too): every job in flight
    is then reported as :class:`WorkerDied` and the pool is rebuilt for the next submission.
    """

    name = "local"

    def __init__(self, *, max_workers: int | None = None):
        cores = os.cpu_count() or 1
        self.capacity = max(1, int(max_workers or cores))
        self.num_threads = max(1, cores // self.capacity)
        self._pool: futures.ProcessPoolExecutor | None = None
        self._pool_of: dict[futures.Future, futures.ProcessPoolExecutor] = {}

    def _ensure_pool(self) -> futures.ProcessPoolExecutor:
        if self._pool is None:
            self._pool = futures.ProcessPoolExecutor(
                max_workers=self.capacity,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_prepare_local_worker,
                initargs=(self.num_threads,),
            )
        return self._pool

    def submit(self, spec: dict[str, Any], *, num_cpus: float = 1.0, num_gpus: float = 0.0) -> futures.Future:
        """Queue ``spec``; ``num_cpus``/``num_gpus`` are ignored (every local worker sees every device)."""
        try:
            handle = self._ensure_pool().submit(run_job, spec)
        except BrokenProcessPool:
            self._discard_pool(self._pool)
            handle = self._ensure_pool().submit(run_job, spec)
        self._pool_of[handle] = self._pool
        return handle

    def wait(self, handles: list[futures.Future], timeout: float | None) -> list[tuple[futures.Future, Any]]:
        done, _ = futures.wait(handles, timeout=timeout, return_when=futures.FIRST_COMPLETED)
        finished = []
        for handle in done:
            pool = self._pool_of.pop(handle, None)
            try:
                finished.append((handle, handle.result()))
            except BrokenProcessPool as error:
                self._discard_pool(pool)
                finished.append((handle, WorkerDied(f"local worker process died ({error})")))
            except futures.CancelledError:
                finished.append((handle, WorkerDied("cancelled")))
        return finished

    def _discard_pool(self, pool: futures.ProcessPoolExecutor | None) -> None:
        """Drop ``pool`` if it is still the current one (futures of an older, broken pool fail late)."""
        if pool is not None and pool is self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def shutdown(self, *, cancel: bool = False, handles: tuple = ()) -> None:
        """Stop the pool; with ``cancel`` its workers are terminated (their jobs rerun next time)."""
        if self._pool is None:
            return
        if cancel:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
        self._pool = None


class RayExecutor:
    """Ray tasks, one per job, on the cluster at ``address`` (or Ray already initialised in this process).

    ``address=None`` with Ray not yet initialised starts a local Ray instance. The study directory must be
    on a file system every node sees at the same path (NFS, Lustre, ...), and mzlab installed on every node.
    Retries are done by the sweep (Ray's own ``max_retries`` is 0) so that job records count the attempts.
    """

    name = "ray"

    def __init__(self, *, address: str | None = None, max_workers: int | None = None):
        try:
            import ray
        except ImportError as error:
            raise MzlabError("--executor ray needs the optional extra: pip install 'mzlab[ray]'") from error
        self._ray = ray
        if not ray.is_initialized():
            _check_reachable(address)
            try:
                ray.init(address=address, log_to_driver=False, include_dashboard=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                message = " ".join(str(error).split())[:200]
                raise MzlabError(f"--ray-address {address!r}: cannot connect to Ray ({message})") from error
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.capacity = max(1, int(max_workers or cpus))
        self.num_threads = None
        self._remote = ray.remote(max_retries=0)(run_job)

    def submit(self, spec: dict[str, Any], *, num_cpus: float = 1.0, num_gpus: float = 0.0):
        """One Ray task reserving ``num_cpus`` CPUs and ``num_gpus`` GPUs (Ray sets CUDA_VISIBLE_DEVICES)."""
        return self._remote.options(num_cpus=num_cpus, num_gpus=num_gpus).remote(spec)

    def wait(self, handles: list, timeout: float | None) -> list[tuple[Any, Any]]:
        ray = self._ray
        done, _ = ray.wait(handles, num_returns=1, timeout=timeout)
        finished = []
        for handle in done:
            try:
                finished.append((handle, ray.get(handle)))
            except ray.exceptions.RayTaskError as error:
                finished.append((handle, {"ok": False, "error": f"RayTaskError: {str(error).splitlines()[0]}",
                                          "result": None, "seconds": None, "host": None}))
            except ray.exceptions.RayError as error:
                finished.append((handle, WorkerDied(f"Ray worker lost ({type(error).__name__})")))
        return finished

    def shutdown(self, *, cancel: bool = False, handles: tuple = ()) -> None:
        """Cancel the given in-flight tasks when ``cancel``; Ray itself keeps running (a cluster outlives a
        sweep, and a caller that initialised Ray owns it)."""
        if cancel:
            for handle in handles:
                try:
                    self._ray.cancel(handle, force=True)
                except Exception:  # noqa: BLE001 - a task that already finished cannot be cancelled
                    pass


def _prepare_local_worker(num_threads: int) -> None:
    prepare_worker(num_threads, watch_parent=True)


def _check_reachable(address: str | None, *, timeout: float = 5.0) -> None:
    """Fail fast on a ``host:port`` (or ``ray://host:port``) where nothing listens; Ray itself retries for
    minutes. ``auto`` and ``None`` are left to Ray."""
    if not address or address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise MzlabError(f"--ray-address {address!r}: expected auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as error:
        raise MzlabError(f"--ray-address {address!r}: cannot connect ({error.strerror or error}); "
                         "is `ray start --head` running there?") from None


def make_executor(name: str, *, max_workers: int | None = None, ray_address: str | None = None):
    """``local`` or ``ray``; anything else is a one-line :class:`MzlabError`."""
    if name == "local":
        if ray_address:
            raise MzlabError("--ray-address is only valid with --executor ray")
        return LocalExecutor(max_workers=max_workers)
    if name == "ray":
        return RayExecutor(address=ray_address, max_workers=max_workers)
    raise MzlabError(f"--executor: unknown executor {name!r}; valid executors: {', '.join(EXECUTORS)}")
