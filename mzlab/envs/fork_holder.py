"""The process side of fork branching: a process that holds one live environment and forks to branch it.

Run as ``python -m mzlab.envs.fork_holder FD FACTORY KWARGS_JSON`` by :class:`mzlab.envs.fork_branching.ForkServer`.
That first process (the *zygote*) imports only numpy, gymnasium, Box2D and the environment's own module (never
torch), builds one environment and never steps it. Every request it or any holder receives on its channel
(a ``SOCK_SEQPACKET`` socket) carries one new socket (``SCM_RIGHTS``) and a list of actions, optionally with a
seed: the receiver forks; the child takes the new socket as its own channel, resets with the seed if one was
given, steps the actions, replies with the last step's result and from then on holds that state, serving
requests of its own. The receiver goes back to waiting, unchanged. ``fork`` copies the whole address space, so
the child's world is byte for byte the receiver's and its future is the one replay would give.

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

REQUEST = struct.Struct("<bqI")
"""Request header: reset flag, seed, action count; ``count`` int32 actions follow."""
REPLY = struct.Struct("<bd??")
"""Reply header: status (0 ok, 1 error), raw reward, terminated, truncated; float32 observation bytes follow
(an error's message follows instead)."""
MAX_MESSAGE = 1 << 20


def encode_request(seed: int | None, actions: np.ndarray) -> bytes:
    actions = np.ascontiguousarray(actions, dtype=np.int32)
    return REQUEST.pack(seed is not None, 0 if seed is None else int(seed), len(actions)) + actions.tobytes()


def decode_reply(message: bytes, observation_shape: tuple[int, ...]) -> tuple[np.ndarray, float, bool, bool]:
    """``(observation, raw_reward, terminated, truncated)``; a holder's error becomes a ``RuntimeError``."""
    if len(message) < REPLY.size:
        raise RuntimeError("a branching process ended without replying")
    status, reward, terminated, truncated = REPLY.unpack_from(message)
    if status != 0:
        raise RuntimeError("branching process: " + message[REPLY.size :].decode("utf-8", "replace"))
    observation = np.frombuffer(message, np.float32, offset=REPLY.size).reshape(observation_shape).copy()
    return observation, reward, terminated, truncated


def _advance(env, seed: int | None, actions: np.ndarray) -> bytes:
    reward, terminated, truncated = 0.0, False, False
    if seed is not None:
        observation, _ = env.reset(seed=seed)
    for index, action in enumerate(actions.tolist()):
        if terminated or truncated:
            raise ValueError(f"the episode ended before action {index} of the replayed suffix")
        observation, reward, terminated, truncated, _ = env.step(action)
    if seed is None and len(actions) == 0:
        raise ValueError("a request without a seed must carry at least one action")
    data = np.asarray(observation, dtype=np.float32).tobytes()
    return REPLY.pack(0, float(reward), bool(terminated), bool(truncated)) + data


def serve(channel: socket.socket, env, *, zygote: bool) -> None:
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
        reset, seed, count = REQUEST.unpack_from(message)
        actions = np.frombuffer(message, np.int32, count, REQUEST.size)
        if os.fork() == 0:
            channel.close()
            channel = socket.socket(fileno=fds[0])
            zygote = False
            try:
                reply = _advance(env, seed if reset else None, actions)
            except Exception as error:  # noqa: BLE001 - reported to the driver, then this holder ends
                channel.send(REPLY.pack(1, 0.0, False, False) + f"{type(error).__name__}: {error}".encode())
                os._exit(1)
            channel.send(reply)
        else:
            os.close(fds[0])


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


def build_env(factory: str, kwargs: dict):
    module_name, _, attribute = factory.partition(":")
    _import_without_package_init(module_name)
    return getattr(importlib.import_module(module_name), attribute)(**kwargs)


def main(argv: list[str]) -> None:
    fd, factory, kwargs = int(argv[0]), argv[1], json.loads(argv[2])
    channel = socket.socket(fileno=fd)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the driver; holders end when it does
    _become_subreaper()
    env = build_env(factory, kwargs)
    import gc

    gc.collect()
    gc.freeze()  # forked children then do not touch (copy) every object's header when they collect
    serve(channel, env, zygote=True)


if __name__ == "__main__":
    main(sys.argv[1:])
