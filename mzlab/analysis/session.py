"""What every experiment shares: opened runs, loaded checkpoints, on-policy state samples, seeds and the cache.

One :class:`AnalysisSession` serves one ``mzlab analyze`` invocation; ``all`` runs every experiment in the same
session, so they share the on-policy samples of each checkpoint (drawn once, seeded).
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from mzlab.analysis.cache import ResultCache
from mzlab.analysis.on_policy import StateSample, sample_on_policy_states
from mzlab.analysis.options import AnalysisOptions, ResolvedOptions
from mzlab.analysis.policies import SearchPolicy, behaviour_policy
from mzlab.analysis.registry import find_experiment, get_experiment
from mzlab.errors import MzlabError

__all__ = ["Checkpoint", "AnalysisSession", "evenly_spaced", "per_checkpoint", "progress"]


def evenly_spaced(steps: list[int], count: int) -> list[int]:
    """At most ``count`` of ``steps`` (ascending), evenly spaced, first and last included."""
    if len(steps) <= count:
        return list(steps)
    if count == 1:
        return [steps[-1]]
    index = np.round(np.linspace(0, len(steps) - 1, count)).astype(int)
    return [steps[i] for i in sorted(set(index.tolist()))]


@dataclass
class Checkpoint:
    """One run's checkpoint with its network, simulator and resolved options."""

    run: object
    step: int
    network: torch.nn.Module
    simulator: object
    """The run's training environment: the ground truth that models are scored against (Eqs. 3-7)."""
    scoring_simulator: object
    """The same game with unclipped rewards and full episodes, for reported returns (learning curves, planning;
    see :func:`mzlab.envs.registry.scoring_env_config`)."""
    options: ResolvedOptions
    noise: str
    weights_sha256: str
    _models: dict = field(default_factory=dict)

    @property
    def config(self):
        return self.run.config

    @property
    def env(self) -> str:
        return self.config.env.name

    @property
    def seed(self) -> int:
        return int(self.config.seed)

    @property
    def discount(self) -> float:
        return float(self.config.env.discount)

    @property
    def learned_model(self):
        if "learned" not in self._models:
            from mzlab.search import LearnedModel

            self._models["learned"] = LearnedModel(self.network, discount=self.discount)
        return self._models["learned"]

    @property
    def true_model(self):
        """The simulator as a model, with this checkpoint's network for prior (and value) at true states."""
        if "true" not in self._models:
            from mzlab.search import TrueModel

            self._models["true"] = TrueModel(self.simulator, network=self.network, discount=self.discount)
        return self._models["true"]

    def behaviour(self, *, greedy: bool = False, noise_draws: int = 1) -> SearchPolicy:
        """MuZero's behaviour policy at this step (MCTS with the learned model, Eq. 1); ``noise_draws`` > 1:
        its probabilities averaged over that many root-noise draws (the marginal policy)."""
        noise = None if greedy else {"auto": None, "on": True, "off": False}[self.noise]  # greedy: never noise
        policy = behaviour_policy(self.learned_model, self.config, self.step, greedy=greedy, noise=noise,
                                  noise_draws=noise_draws)
        search = dataclasses.replace(policy.search_config, num_simulations=self.options.behaviour_simulations)
        return dataclasses.replace(policy, search_config=search)

    def constants(self) -> dict:
        """The ``env`` and ``seed`` columns every table carries."""
        return {"env": self.env, "seed": self.seed}


class AnalysisSession:
    """Runs, checkpoints and shared samples for one invocation; results cached under ``out/cache``."""

    def __init__(
        self,
        run_dirs: list[str | Path],
        out: str | Path,
        options: AnalysisOptions,
        *,
        device: str = "cpu",
        use_cache: bool = True,
        experiment_options: dict | None = None,
    ):
        from mzlab.runs import RunDirectory

        self.options = options.with_quick().validate()
        self._experiment_options = {}
        for name, value in (experiment_options or {}).items():
            self._experiment_options[name] = _validated(value, get_experiment(name))
        self.runs = [RunDirectory.open(path) for path in run_dirs]
        if not self.runs:
            raise MzlabError("--run-dir: give at least one run directory")
        self.out = Path(out)
        self.device = device
        self.cache = ResultCache(self.out / "cache", enabled=use_cache)
        self._checkpoints: dict[tuple[str, int], Checkpoint] = {}
        self._states: dict[tuple[str, int], StateSample] = {}
        self._simulators: dict[str, object] = {}
        self._warned: set[str] = set()

    def steps(self, run, requested: list[int] | None, *, experiment: str) -> list[int]:
        """Checkpoint steps of ``run`` to analyse: ``requested`` (each must exist) or evenly spaced defaults.

        Defaults come from the steps that every run of the session has, so every step is averaged over the
        same seeds; steps some runs lack are named on stderr once."""
        steps = run.select_steps(requested)
        if not steps:
            raise MzlabError(f"run directory {str(run.path)!r} has no complete checkpoint to analyse")
        if requested is None and len(self.runs) > 1:
            common = set.intersection(*(set(other.select_steps(None)) for other in self.runs))
            skipped = [step for step in steps if step not in common]
            if skipped and str(run.path) not in self._warned:
                import sys

                self._warned.add(str(run.path))
                print(f"mzlab analyze: {run.path}: steps {skipped} are not in every run; using the "
                      f"{len(common)} steps all runs have", file=sys.stderr)
            steps = [step for step in steps if step in common]
            if not steps:
                raise MzlabError("--run-dir: the runs share no checkpoint step; pass --steps or runs with "
                                 "common checkpoints")
        if requested is None and (not _every_checkpoint(experiment) or self.options.quick):
            steps = evenly_spaced(steps, self.options.max_checkpoints)
        return steps

    def checkpoint(self, run, step: int) -> Checkpoint:
        key = (str(run.path.resolve()), int(step))
        if key not in self._checkpoints:
            from mzlab.envs.registry import make_simulator, scoring_env_config

            network = run.load_network(step, device=self.device)
            if key[0] not in self._simulators:
                scoring = scoring_env_config(run.config.env)
                simulator = make_simulator(run.config.env)
                scoring_simulator = simulator if scoring == run.config.env else make_simulator(scoring)
                self._simulators[key[0]] = (simulator, scoring_simulator)
            simulator, scoring_simulator = self._simulators[key[0]]
            options = self.options.resolve(run.config, simulator.num_actions)
            sha = run.checkpoint_metadata(step)["files"]["weights"]["sha256"]
            self._checkpoints[key] = Checkpoint(run, int(step), network, simulator, scoring_simulator, options,
                                                self.options.noise, sha)
        return self._checkpoints[key]

    def rng(self, checkpoint: Checkpoint, stream: str, *extra: int) -> np.random.Generator:
        """A generator determined by the analysis seed, the run's seed, the step and ``stream``."""
        words = [self.options.seed, checkpoint.seed, checkpoint.step, zlib.crc32(stream.encode()), *map(int, extra)]
        return np.random.default_rng(words)

    def states(self, checkpoint: Checkpoint) -> StateSample:
        """The checkpoint's on-policy state sample (computed once per session)."""
        key = (str(checkpoint.run.path.resolve()), checkpoint.step)
        if key not in self._states:
            seed = int(self.rng(checkpoint, "on-policy-states").integers(2**31 - 1))
            self._states[key] = sample_on_policy_states(
                checkpoint.simulator,
                checkpoint.behaviour(),
                num_states=self.options.num_states,
                num_episodes=self.options.num_state_episodes,
                seed=seed,
                max_steps=self.options.max_episode_steps,
            )
        return self._states[key]

    def experiment_options(self, experiment: str):
        """The options of ``experiment``'s own dataclass (its spec's ``options``): as given, else its defaults."""
        spec = get_experiment(experiment)
        if spec.options is None:
            raise MzlabError(f"experiment {experiment!r} has no options of its own")
        if experiment not in self._experiment_options:
            self._experiment_options[experiment] = _validated(spec.options(), spec)
        return self._experiment_options[experiment]

    def experiment_cache_parts(self, experiment: str) -> dict:
        """``{"experiment_options": {...}}`` for an experiment with options of its own, else nothing (so the
        keys of the paper's experiments are those they always had)."""
        spec = find_experiment(experiment)
        if spec is None or spec.options is None:
            return {}
        return {"experiment_options": dataclasses.asdict(self.experiment_options(experiment))}

    def cache_parts(self, checkpoints: list[Checkpoint], **extra) -> dict:
        """The cache key contents of a unit over ``checkpoints`` (same run)."""
        first = checkpoints[0]
        return {
            "run": str(first.run.path.resolve()),
            "steps": [c.step for c in checkpoints],
            "weights": [c.weights_sha256 for c in checkpoints],
            "options": {k: v for k, v in dataclasses.asdict(self.options).items() if k != "max_checkpoints"},
            "resolved": dataclasses.asdict(first.options),
            **extra,
        }


def _every_checkpoint(experiment: str) -> bool:
    spec = find_experiment(experiment)
    return spec is not None and spec.every_checkpoint


def _validated(options, spec):
    if spec.options is None or not isinstance(options, spec.options):
        raise MzlabError(f"experiment {spec.name!r}: options must be a {getattr(spec.options, '__name__', None)}, "
                         f"got {type(options).__name__}")
    validate = getattr(options, "validate", None)
    return (validate() or options) if callable(validate) else options


def progress(items: list, description: str):
    """``items``, reporting progress on stderr: a bar on a terminal, otherwise a plain line when the loop starts
    and after every item (count, rate, ETA), so a long job's log shows where it is."""
    from mzlab.progress import Progress

    bar = Progress(len(items), desc=description, unit="unit", leave=False, announce=True)
    try:
        for item in items:
            yield item
            bar.update(1)
    finally:
        bar.close()


def per_checkpoint(session: AnalysisSession, experiment: str, requested: list[int] | None, compute) -> list:
    """``compute(checkpoint)`` for every run and selected step, each unit cached; the list of frames."""
    units = [(run, step) for run in session.runs for step in session.steps(run, requested, experiment=experiment)]
    frames = []
    for run, step in progress(units, experiment):
        checkpoint = session.checkpoint(run, step)
        parts = session.cache_parts([checkpoint], **session.experiment_cache_parts(experiment))
        frames.append(session.cache.get_or_compute(experiment, parts, lambda c=checkpoint: compute(c)))
    return frames
