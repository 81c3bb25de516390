"""Any discrete-action gymnasium environment as a simulator: snapshot = (seed, actions so far), restore = replay.

A gymnasium environment whose only randomness is drawn at ``reset(seed=...)`` is a deterministic function of
its seed and the actions taken since. So a snapshot is the pair ``(seed, actions)``, and restoring it means
resetting a live environment with that seed and replaying the actions. To keep restores cheap the simulator
keeps a small least-recently-used cache of live environment objects keyed by their snapshot: restoring a
snapshot whose live environment (or the live environment of one of its prefixes) is cached costs only the
missing steps. Box2D and most gymnasium worlds cannot be copied exactly, so stepping a cached environment
moves it: after ``restore(s); step(a)`` the cache holds the environment at ``s + a``, not at ``s``. Restoring
``s`` again then replays from the longest cached prefix of ``s`` (or from the seed).

Environments that draw random numbers inside ``step`` are not deterministic under replay; wrapping them
breaks the exact-restore guarantee (the tests check the ones mzlab ships).
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

from mzlab.envs.extras import extra_for_entry_point, require_extra
from mzlab.envs.simulator import BatchTransition, Simulator, Transition
from mzlab.errors import MzlabError

__all__ = ["ReplaySnapshot", "ReplaySimulator", "make_gym_simulator", "resolve_gym_id"]


@dataclass(frozen=True)
class ReplaySnapshot:
    """The state of a replayed episode: its seed and every action taken since ``reset``.

    With fork branching a snapshot also carries ``branch`` (a
    :class:`~mzlab.envs.fork_branching.BranchState`: its observation, end flags and the process holding it).
    ``branch`` is not part of equality or hashing, and pickling or copying drops it: the copy is the plain
    ``(seed, actions)`` snapshot, which every replay simulator restores by replay.
    """

    seed: int
    actions: tuple[int, ...]
    branch: object = field(default=None, compare=False, repr=False)

    def __reduce__(self):
        return ReplaySnapshot, (self.seed, self.actions)


@dataclass
class _Live:
    env: gym.Env
    observation: np.ndarray
    terminated: bool
    truncated: bool


class ReplaySimulator(Simulator):
    """Simulator over ``make_env()`` gymnasium environments, restored by seeded reset plus replay.

    ``max_episode_steps`` (None: only the environment's own truncation) truncates episodes after that many
    actions; ``reward_scale`` multiplies every reward; ``cache_size`` live environments are kept for cheap
    restores. Observations are float32 ``observation_shape``.

    ``branching="fork"`` serves the batched methods through forked processes (:mod:`mzlab.envs.fork_stepping`),
    which needs ``env_factory``: ``("module:callable", kwargs)`` building the same environment as
    ``make_env`` in a fresh process; at most ``max_processes`` such processes live at once. Without
    ``os.fork`` it falls back to replay with a warning. The stateful methods always replay.
    """

    def __init__(
        self,
        make_env: Callable[[], gym.Env],
        *,
        name: str,
        discount: float,
        max_episode_steps: int | None = None,
        reward_scale: float = 1.0,
        cache_size: int = 64,
        branching: str = "replay",
        env_factory: tuple[str, dict] | None = None,
        max_processes: int = 1024,
    ) -> None:
        self._make_env = make_env
        probe = make_env()
        if not isinstance(probe.action_space, gym.spaces.Discrete):
            kind = "continuous " if isinstance(probe.action_space, gym.spaces.Box) else ""
            raise MzlabError(f"env {name!r}: {kind}action space {probe.action_space} is not supported; mzlab "
                             "needs a discrete action space, gymnasium.spaces.Discrete (discretise it with a wrapper)")
        if not isinstance(probe.observation_space, gym.spaces.Box):
            raise MzlabError(f"env {name!r}: only Box observation spaces are supported, got {probe.observation_space}")
        self.name = name
        self.num_actions = int(probe.action_space.n)
        self.observation_shape = tuple(probe.observation_space.shape)
        self.discount = float(discount)
        self.max_episode_steps = max_episode_steps
        self.reward_scale = float(reward_scale)
        self.cache_size = int(cache_size)
        self._spare: list[gym.Env] = [probe]
        self._cache: OrderedDict[ReplaySnapshot, _Live] = OrderedDict()
        self._key: ReplaySnapshot | None = None
        self._live: _Live | None = None
        self.replayed_steps = 0
        """Environment steps spent replaying so far (for benchmarks and cache tuning)."""
        self.branching = self._branching_mode(branching, env_factory)
        self._forking = None
        if self.branching == "fork":
            from mzlab.envs.fork_branching import ForkServer
            from mzlab.envs.fork_stepping import ForkStepping

            factory, kwargs = env_factory
            server = ForkServer(factory, kwargs, observation_shape=self.observation_shape, max_processes=max_processes)
            self._forking = ForkStepping(self, server)

    def _branching_mode(self, branching: str, env_factory: tuple[str, dict] | None) -> str:
        if branching not in ("replay", "fork"):
            raise MzlabError(f"env {self.name!r}: branching must be 'replay' or 'fork', got {branching!r}")
        if branching == "fork":
            from mzlab.envs.fork_branching import fork_available

            if env_factory is None:
                raise MzlabError(f"env {self.name!r}: fork branching needs an importable env factory")
            if not fork_available():
                warnings.warn(f"{self.name}: this platform cannot fork; branching falls back to replay", stacklevel=3)
                return "replay"
        return branching

    @property
    def fork_server(self):
        """The :class:`~mzlab.envs.fork_branching.ForkServer` with ``branching="fork"``, else None."""
        return None if self._forking is None else self._forking.server

    def close(self) -> None:
        """End the branching processes, if any (they also end with this process)."""
        if self._forking is not None:
            self._forking.server.close()

    # Batched operations: forked processes with branching="fork", else the generic loops -----------------

    def reset_snapshots(self, seeds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self._forking is not None:
            return self._forking.reset_snapshots(seeds)
        return super().reset_snapshots(seeds)

    def step_snapshots(self, snapshots: np.ndarray, actions: np.ndarray) -> BatchTransition:
        if self._forking is not None:
            return self._forking.step_snapshots(snapshots, actions)
        return super().step_snapshots(snapshots, actions)

    def observe_snapshots(self, snapshots: np.ndarray) -> np.ndarray:
        if self._forking is not None:
            return self._forking.observe_snapshots(snapshots)
        return super().observe_snapshots(snapshots)

    def holds_live(self, snapshot: ReplaySnapshot) -> bool:
        """Whether restoring ``snapshot`` needs no replay (its live environment is current or cached)."""
        return (self._live is not None and self._key == snapshot) or snapshot in self._cache

    # Stateful single environment ----------------------------------------------------------------------------

    def reset(self, seed: int) -> np.ndarray:
        self._park()
        self._key = ReplaySnapshot(int(seed), ())
        self._live = self._fresh(int(seed))
        return self.observe()

    def step(self, action: int) -> Transition:
        live, key = self._current()
        if live.terminated or live.truncated:
            return Transition(live.observation.copy(), 0.0, live.terminated, live.truncated)
        action = int(action)
        if not 0 <= action < self.num_actions:
            raise ValueError(f"action {action} outside [0, {self.num_actions})")
        observation, reward, terminated, truncated, _ = live.env.step(action)
        self._key = ReplaySnapshot(key.seed, (*key.actions, action))
        if self.max_episode_steps is not None and len(self._key.actions) >= self.max_episode_steps:
            truncated = True
        live.observation = np.asarray(observation, dtype=np.float32)
        live.terminated, live.truncated = bool(terminated), bool(truncated)
        return Transition(live.observation.copy(), float(reward) * self.reward_scale, live.terminated, live.truncated)

    def snapshot(self) -> ReplaySnapshot:
        return self._current()[1]

    def restore(self, snapshot: object) -> None:
        if not isinstance(snapshot, ReplaySnapshot):
            raise TypeError(f"expected a ReplaySnapshot, got {type(snapshot).__name__}")
        if self._live is not None and self._key == snapshot:
            return
        self._park()
        live = self._cache.pop(snapshot, None)
        if live is None:
            live = self._replay(snapshot)
        self._key, self._live = snapshot, live

    def observe(self) -> np.ndarray:
        return self._current()[0].observation.copy()

    # Cache ----------------------------------------------------------------------------------------------------

    def _current(self) -> tuple[_Live, ReplaySnapshot]:
        if self._live is None or self._key is None:
            raise RuntimeError(f"{self.name}: call reset(seed) or restore(snapshot) first")
        return self._live, self._key

    def _park(self) -> None:
        """Put the current live environment into the cache, evicting the least recently used beyond capacity."""
        if self._live is None or self._key is None:
            return
        self._cache[self._key] = self._live
        self._cache.move_to_end(self._key)
        while len(self._cache) > self.cache_size:
            _, evicted = self._cache.popitem(last=False)
            self._spare.append(evicted.env)
        self._key = self._live = None

    def _fresh(self, seed: int) -> _Live:
        env = self._spare.pop() if self._spare else self._make_env()
        observation, _ = env.reset(seed=seed)
        return _Live(env, np.asarray(observation, dtype=np.float32), False, False)

    def _replay(self, snapshot: ReplaySnapshot) -> _Live:
        """A live environment at ``snapshot``: the longest cached prefix advanced, or a fresh reset replayed."""
        actions = snapshot.actions
        best: ReplaySnapshot | None = None
        for key in self._cache:
            if (
                key.seed == snapshot.seed
                and len(key.actions) < len(actions)
                and (best is None or len(key.actions) > len(best.actions))
                and actions[: len(key.actions)] == key.actions
            ):
                best = key
        if best is None:
            live, done = self._fresh(snapshot.seed), 0
        else:
            live, done = self._cache.pop(best), len(best.actions)
        self._key, self._live = ReplaySnapshot(snapshot.seed, actions[:done]), live
        for action in actions[done:]:
            if live.terminated or live.truncated:
                raise ValueError(f"{self.name}: snapshot continues after its episode ended")
            self.step(action)
            self.replayed_steps += 1
        self._key = self._live = None
        return live


def resolve_gym_id(name: str) -> str:
    """The gymnasium id of ``<GymnasiumId>`` or ``<module>:<GymnasiumId>`` (``name`` without ``gym:``), after
    importing ``module`` (so it can register the id) and any extra the id needs; one-line errors otherwise."""
    module, _, env_id = name.rpartition(":")
    if module:
        _import_user_module(module, name)
    elif env_id.startswith("ALE/"):
        require_extra("atari", f"env 'gym:{name}'")
        import ale_py

        gym.register_envs(ale_py)
    if env_id not in gym.registry:
        where = f" after importing {module!r}" if module else ""
        raise MzlabError(f"env 'gym:{name}': no gymnasium environment {env_id!r} is registered{where}")
    extra = extra_for_entry_point(gym.registry[env_id].entry_point)
    if extra is not None:
        require_extra(extra, f"env 'gym:{name}'")
    return env_id


def _import_user_module(module: str, name: str) -> None:
    """Import ``module``; the current directory is searched too (the ``mzlab`` script does not put it first)."""
    try:
        importlib.import_module(module)
        return
    except ModuleNotFoundError as error:
        if error.name is None or not module.startswith(error.name):
            raise MzlabError(f"env 'gym:{name}': importing {module!r} failed: {error}") from None
    except Exception as error:  # noqa: BLE001 - the user's module raised while registering its env
        raise MzlabError(f"env 'gym:{name}': importing {module!r} failed: {error}".replace("\n", " ")) from None
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.append(cwd)
    try:
        importlib.import_module(module)
    except Exception as error:  # noqa: BLE001
        raise MzlabError(
            f"env 'gym:{name}': cannot import module {module!r} ({error}); it must be installed, on PYTHONPATH "
            "or in the current directory".replace("\n", " ")
        ) from None


def make_gym_simulator(
    env_id: str,
    *,
    discount: float,
    max_episode_steps: int | None = None,
    reward_scale: float = 1.0,
    branching: str = "replay",
    max_processes: int = 1024,
) -> ReplaySimulator:
    """``gym:<env_id>`` as a simulator (``env_id``: ``Id`` or ``module:Id``); ``max_episode_steps`` overrides
    the registered time limit."""
    name = env_id
    env_id = resolve_gym_id(name)

    def make_env() -> gym.Env:
        return gym.make(env_id, max_episode_steps=max_episode_steps, disable_env_checker=True)

    try:
        make_env().close()
    except Exception as error:  # noqa: BLE001 - any construction failure is the user's env id or its extras
        raise MzlabError(f"env 'gym:{name}': gymnasium could not build it ({error})".replace("\n", " ")) from error
    # the full name (``module:Id`` where given): gymnasium.make imports the module in a fresh process too
    factory = ("gymnasium:make", {"id": name, "max_episode_steps": max_episode_steps, "disable_env_checker": True})
    return ReplaySimulator(
        make_env,
        name=f"gym:{name}",
        discount=discount,
        reward_scale=reward_scale,
        branching=branching,
        env_factory=factory,
        max_processes=max_processes,
    )
