"""The process side of fork branching: a process that holds one live environment and forks to branch it.

Run as ``python -m mzlab.envs.fork_holder FD FACTORY KWARGS_JSON`` by :class:`mzlab.envs.fork_branching.ForkServer`.
That first process (the *zygote*) imports only numpy, gymnasium, Box2D and the environment's own module (never
torch) and holds no environment. A holder holds a list of live environments ("worlds"). Every request it
receives on its channel (a ``SOCK_SEQPACKET`` socket) carries one new socket (``SCM_RIGHTS``) and a list of
jobs, each naming one of its worlds (or a new environment plus a seed) and actions: the receiver forks; the
child takes the new socket as its channel, steps each named world by its actions (a new one is built and
reset with the seed first), replies with each job's last step and from then on holds exactly those worlds,
in job order, serving requests of its own. The receiver goes back to waiting, unchanged. ``fork`` copies the
whole address space, so each world in the child is byte for byte the receiver's and its future is the one
replay would give. One fork branches every world it names: states that live in one process branch together.

Lifetimes: a holder exits when its channel reaches end of file, that is when the driver closes it (its handle
was dropped or evicted) or when the driver process dies (the kernel closes its sockets). The zygote is a
child subreaper that ignores ``SIGCHLD``, so exited holders never linger as zombies; when its own channel
closes it terminates every holder of its process group and exits.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import struct
import sys
import types

import numpy as np

JOB = struct.Struct("<iqbI")
"""One world job of a request: source world index (-1: a new environment), seed, reset flag, action count;
``count`` int32 actions follow."""
REPLY = struct.Struct("<bd??")
"""Per job: status (0 ok), raw reward, terminated, truncated, then the float32 observation bytes. A failed
request is one status-1 record followed by its message."""
MAX_MESSAGE = 1 << 22


def encode_request(jobs: list[tuple[int, int | None, np.ndarray]]) -> bytes:
    """``jobs``: ``(source world or -1, seed or None, actions)``; each source world at most once."""
    parts = [struct.pack("<I", len(jobs))]
    for world, seed, actions in jobs:
        actions = np.ascontiguousarray(actions, dtype=np.int32)
        parts.append(JOB.pack(world, 0 if seed is None else int(seed), seed is not None, len(actions)))
        parts.append(actions.tobytes())
    return b"".join(parts)


def decode_reply(message: bytes, count: int, observation_shape: tuple[int, ...]) -> list:
    """``count`` results ``(observation, raw_reward, terminated, truncated)``; an error raises ``RuntimeError``."""
    if len(message) < REPLY.size:
        raise RuntimeError("a branching process ended without replying")
    status = REPLY.unpack_from(message)[0]
    if status != 0:
        raise RuntimeError("branching process: " + message[REPLY.size :].decode("utf-8", "replace"))
    size = int(np.prod(observation_shape)) * 4
    results = []
    for j in range(count):
        offset = j * (REPLY.size + size)
        _, reward, terminated, truncated = REPLY.unpack_from(message, offset)
        observation = np.frombuffer(message, np.float32, size // 4, offset + REPLY.size)
        results.append((observation.reshape(observation_shape).copy(), reward, terminated, truncated))
    return results


def _decode_request(message: bytes) -> list[tuple[int, int | None, list[int]]]:
    (count,), offset, jobs = struct.unpack_from("<I", message), 4, []
    for _ in range(count):
        world, seed, reset, length = JOB.unpack_from(message, offset)
        offset += JOB.size
        actions = np.frombuffer(message, np.int32, length, offset).tolist()
        offset += 4 * length
        jobs.append((world, seed if reset else None, actions))
    return jobs


def _advance(env, seed: int | None, actions: list[int]) -> bytes:
    reward, terminated, truncated = 0.0, False, False
    if seed is not None:
        observation, _ = env.reset(seed=seed)
    elif not actions:
        raise ValueError("a job without a seed must carry at least one action")
    for index, action in enumerate(actions):
        if terminated or truncated:
            raise ValueError(f"the episode ended before action {index} of the replayed suffix")
        observation, reward, terminated, truncated, _ = env.step(action)
    data = np.asarray(observation, dtype=np.float32).tobytes()
    return REPLY.pack(0, float(reward), bool(terminated), bool(truncated)) + data


_RETIRED: list = []
"""Worlds a forked child does not step stay referenced here: freeing them would only write (copy) pages."""


def serve(channel: socket.socket, worlds: list, make_env, *, zygote: bool) -> None:
    """Answer branch requests on ``channel`` until it closes (never returns)."""
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(channel, MAX_MESSAGE, 1)
        except OSError:
            message, fds = b"", []
        if not message:
            if zygote:
                _shut_down_group()
            os._exit(0)
        if not fds:
            continue
        if os.fork() != 0:
            os.close(fds[0])
            continue
        channel.close()
        channel = socket.socket(fileno=fds[0])
        zygote = False
        try:
            jobs = _decode_request(message)
            stepped = [make_env() if world < 0 else worlds[world] for world, _, _ in jobs]
            pairs = zip(stepped, jobs, strict=True)
            reply = b"".join(_advance(env, seed, actions) for env, (_, seed, actions) in pairs)
        except Exception as error:  # noqa: BLE001 - reported to the driver, then this holder ends
            channel.send(REPLY.pack(1, 0.0, False, False) + f"{type(error).__name__}: {error}".encode())
            os._exit(1)
        _RETIRED.append(worlds)
        worlds = stepped
        channel.send(reply)


def _shut_down_group() -> None:
    """Zygote only: terminate every holder (they share its process group), wait for them, exit."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        os.killpg(os.getpgid(0), signal.SIGTERM)
    except OSError:
        pass
    while True:
        try:
            os.wait()  # with SIGCHLD ignored this returns once every child has gone
        except ChildProcessError:
            break
        except OSError:
            break


def _become_subreaper() -> None:
    """Orphaned holders (their forking holder ended first) are re-parented here, then reaped automatically."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _import_without_package_init(module_name: str) -> None:
    """Import gymnasium's Box2D Lunar Lander without ``gymnasium.envs.box2d/__init__`` (which imports the other
    Box2D environments and pygame): fewer mapped libraries make every ``fork`` cheaper. The module's code runs
    unchanged."""
    package = "gymnasium.envs.box2d"
    if not module_name.startswith("mzlab.envs.lunar_lander") or package in sys.modules:
        return
    import gymnasium.envs

    stub = types.ModuleType(package)
    stub.__path__ = [os.path.join(os.path.dirname(gymnasium.envs.__file__), "box2d")]
    sys.modules[package] = stub


def env_maker(factory: str, kwargs: dict):
    """A function building the environment ``factory(**kwargs)``."""
    module_name, _, attribute = factory.partition(":")
    _import_without_package_init(module_name)
    build = getattr(importlib.import_module(module_name), attribute)
    return lambda: build(**kwargs)


def main(argv: list[str]) -> None:
    fd, factory, kwargs = int(argv[0]), argv[1], json.loads(argv[2])
    channel = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the driver; holders end when it does
    _become_subreaper()
    make_env = env_maker(factory, kwargs)
    make_env().close()  # import everything the environment needs before the first fork
    import gc

    gc.collect()
    gc.freeze()  # forked children then do not touch (copy) every object's header when they collect
    serve(channel, [], make_env, zygote=True)


if __name__ == "__main__":
    main(sys.argv[1:])
