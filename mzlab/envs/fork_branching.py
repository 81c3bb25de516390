"""Fast exact branching for replay simulators: snapshots held by frozen, forked processes.

A :class:`~mzlab.envs.gym_replay.ReplaySnapshot` is ``(seed, actions)``; restoring it replays the episode, which
costs time proportional to its length. With ``branching="fork"`` a snapshot returned by the batched methods
also carries a :class:`BranchState`: its observation and end flags and, usually, a *holder*, a process (see
:mod:`mzlab.envs.fork_holder`) whose environment sits exactly at that state. Stepping the snapshot by an action
asks the holder to ``fork``; the child steps the action, replies, and holds the new snapshot. The cost is one
``fork`` and one step, whatever the episode's length, and the child's world is a byte-for-byte copy, so its
future is the replayed future.

Bounds and fallbacks, all exact: at most ``max_processes`` holders live at once; beyond that the least
recently used is ended and its snapshot falls back to its nearest live ancestor (the holder forks and replays
the few missing actions) or, failing that, to a fresh process that resets from the seed and replays. A
holder ends when the last reference to its snapshot goes, and every holder ends with the driver process.
Snapshots keep ``(seed, actions)``, so a pickled or copied one is a plain replay snapshot that any simulator
restores. Rows that simply continue an episode whose live environment is in the simulator's own cache
(self-play, evaluation, episode rollouts) step in place, as without forking.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from mzlab.envs.fork_holder import MAX_MESSAGE, decode_reply, encode_request

__all__ = ["BranchState", "Fork", "ForkServer", "fork_available"]

ORIGINS_KEPT = 8
"""Ancestor holders a snapshot remembers (weakly) for the fallback."""
MATERIALISE_AFTER = 8
"""A snapshot branched several times whose holder is gone is first re-held when more than this many actions
separate it from its nearest live ancestor (or it has none); otherwise each branch replays those actions."""
FRESH_PER_FORK = 32
"""Snapshots rebuilt from their seed together in one forked process (which then holds them all)."""
WINDOW = 64
"""Forks in flight at once (bounds open sockets and processes beyond ``max_processes``)."""


def fork_available() -> bool:
    """Fork branching needs ``os.fork`` and ``socket.send_fds`` (Linux, macOS)."""
    return sys.platform != "win32" and hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


class _Holder:
    """The driver's end of one holder process's channel; closing it ends the process (and all its worlds)."""

    __slots__ = ("channel", "key", "__weakref__")

    def __init__(self, channel: socket.socket, key: int) -> None:
        self.channel: socket.socket | None = channel
        self.key = key

    @property
    def alive(self) -> bool:
        return self.channel is not None

    def close(self) -> None:
        channel, self.channel = self.channel, None
        if channel is not None:
            channel.close()

    def __del__(self) -> None:
        self.close()


@dataclass(eq=False)
class BranchState:
    """What a fork-branching snapshot carries besides ``(seed, actions)``; never compared, never pickled."""

    observation: np.ndarray
    terminated: bool
    truncated: bool
    holder: _Holder | None
    """The process holding exactly this state, if one is alive ..."""
    world: int
    """... and the index of its world there."""
    depth: int
    """Actions since reset."""
    origins: tuple[tuple[weakref.ref, int, int], ...]
    """``(weak holder, world, depth)`` of ancestors of this state, nearest last."""

    def live_holder(self) -> _Holder | None:
        return self.holder if self.holder is not None and self.holder.alive else None

    def live_origins(self) -> list[tuple[_Holder, int, int]]:
        found = ((ref(), world, depth) for ref, world, depth in self.origins)
        return [(h, world, depth) for h, world, depth in found if h is not None and h.alive]

    def child_origins(self) -> tuple[tuple[weakref.ref, int, int], ...]:
        """Origins for a child of this state: these plus this state itself, if held."""
        origins = [(weakref.ref(h), world, depth) for h, world, depth in self.live_origins()]
        if self.live_holder() is not None:
            origins.append((weakref.ref(self.holder), self.world, self.depth))
        return tuple(origins[-ORIGINS_KEPT:])


@dataclass
class Fork:
    """Fork ``source`` once; the child steps ``jobs``: ``(source world or -1 for a new env, seed, actions)``."""

    source: _Holder
    jobs: list[tuple[int, int | None, np.ndarray]]


class ForkServer:
    """The zygote process for one environment factory and the bounded set of holders forked from it.

    ``factory`` is ``"module:callable"`` and ``kwargs`` its JSON-able keyword arguments; the zygote builds
    the environment from them (it cannot receive a closure). Started on first use.
    """

    def __init__(
        self, factory: str, kwargs: dict, *, observation_shape: tuple[int, ...], max_processes: int = 1024
    ) -> None:
        self.factory = factory
        self.kwargs = dict(kwargs)
        self.observation_shape = tuple(observation_shape)
        self.max_processes = int(max_processes)
        self._process: subprocess.Popen | None = None
        self._zygote: _Holder | None = None
        self._keys = itertools.count()
        self._lru: OrderedDict[int, weakref.ref] = OrderedDict()
        self.forks = 0
        """Forks so far (each steps one or more worlds)."""
        self.branches = 0
        """World steps requested so far (branches, re-holds and fallbacks)."""
        self.replayed_steps = 0
        """Actions replayed by fallbacks (evicted or never held snapshots)."""
        self.evictions = 0
        self._finalizer = weakref.finalize(self, ForkServer._stop, self._lru, [None, None])

    # Processes ----------------------------------------------------------------------------------------------

    def _allow_descriptors(self) -> None:
        """Each live holder costs the driver one socket: raise the soft open-files limit to fit (Unix only)."""
        try:
            import resource

            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            wanted = self.max_processes + WINDOW + 256
            if soft != resource.RLIM_INFINITY and soft < wanted:
                limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        except (ImportError, ValueError, OSError):
            pass

    def zygote(self) -> _Holder:
        if self._zygote is None or not self._zygote.alive:
            self._allow_descriptors()
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            command = [
                sys.executable,
                "-m",
                "mzlab.envs.fork_holder",
                str(theirs.fileno()),
                self.factory,
                json.dumps(self.kwargs),
            ]
            # The zygote must import this very mzlab, whatever put it on our path.
            package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
            environment = dict(os.environ)
            environment["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, environment.get("PYTHONPATH")]))
            self._process = subprocess.Popen(
                command,
                pass_fds=[theirs.fileno()],
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                env=environment,
            )
            theirs.close()
            self._zygote = _Holder(ours, next(self._keys))
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, ForkServer._stop, self._lru, [self._zygote, self._process])
        return self._zygote

    @property
    def process_group(self) -> int | None:
        """Process group id of the zygote and every holder (for tests and monitoring)."""
        return None if self._process is None else self._process.pid

    def live_processes(self) -> int:
        """Holders alive from the driver's side (the zygote not counted)."""
        return sum(1 for ref in self._lru.values() if (h := ref()) is not None and h.alive)

    def close(self) -> None:
        """End every holder and the zygote now."""
        self._finalizer()

    @staticmethod
    def _stop(lru: OrderedDict, parts: list) -> None:
        for ref in list(lru.values()):
            holder = ref()
            if holder is not None:
                holder.close()
        lru.clear()
        zygote, process = parts
        if zygote is not None:
            zygote.close()
        if process is not None:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def touch(self, holder: _Holder) -> None:
        if holder.key in self._lru:
            self._lru.move_to_end(holder.key)

    def _register(self, holder: _Holder, pinned: set[int]) -> None:
        """Track a new holder; end the least recently used beyond ``max_processes``, never one in ``pinned``."""
        lru = self._lru
        lru[holder.key] = weakref.ref(holder, lambda _, key=holder.key: lru.pop(key, None))
        skipped = 0
        while len(lru) > self.max_processes:
            key = next(iter(lru))
            if key in pinned:  # a source of the forks under way: keep it, look further
                if skipped >= len(pinned):
                    break
                lru.move_to_end(key)
                skipped += 1
                continue
            victim = lru.pop(key)()
            if victim is not None:
                victim.close()
                self.evictions += 1

    # Branching -------------------------------------------------------------------------------------------

    def run(self, forks: list[Fork]) -> list[tuple[_Holder, list[tuple[np.ndarray, float, bool, bool]]]]:
        """Answer ``forks``: each child's holder and its jobs' ``(observation, raw reward, terminated,
        truncated)``, in order.

        All forks of a window are requested before any reply is read, so the holders fork and the children step
        in parallel.
        """
        results = []
        pinned = {fork.source.key for fork in forks}
        for fork in forks:
            self.touch(fork.source)
        for start in range(0, len(forks), WINDOW):
            window = forks[start : start + WINDOW]
            pending = []
            for fork in window:
                ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                try:
                    socket.send_fds(fork.source.channel, [encode_request(fork.jobs)], [theirs.fileno()])
                finally:
                    theirs.close()
                pending.append(ours)
            for fork, ours in zip(window, pending, strict=True):
                replies = decode_reply(ours.recv(MAX_MESSAGE), len(fork.jobs), self.observation_shape)
                holder = _Holder(ours, next(self._keys))
                self._register(holder, pinned)
                results.append((holder, replies))
            self.forks += len(window)
            self.branches += sum(len(fork.jobs) for fork in window)
        return results
