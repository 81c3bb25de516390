"""Options of the analysis experiments, their defaults (including those the paper's text lost) and checks.

A field left ``None`` takes its default from the checkpoint's config at run time (:meth:`AnalysisOptions.resolve`):

- horizons: ``1..K`` with ``K = replay.num_unroll_steps`` (10, 10, 5), paper Section 3.3;
- sequence length: the longest ``L`` with ``A^L <= 1024`` (Cart Pole 10, Lunar Lander 5, Breakout 5);
- planning horizon: ``replay.td_steps`` (50, 30, 5);
- cross-step horizons: those horizons plus the long horizon 50 of Fig. 9 (Appendix B.1).

``quick`` is a smoke budget: every count is tiny and episodes are capped; its numbers mean nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from mzlab.errors import MzlabError
from mzlab.option_flags import option

__all__ = ["AnalysisOptions", "QUICK", "default_sequence_length", "MAX_SEQUENCES"]

MAX_SEQUENCES = 1024
"""The default sequence length enumerates at most this many sequences per state (paper Fig. 4: 1,024)."""


def default_sequence_length(num_actions: int) -> int:
    """The longest ``L >= 1`` with ``num_actions ** L <= 1024``."""
    length = 1
    while num_actions ** (length + 1) <= MAX_SEQUENCES:
        length += 1
    return length


@dataclass(frozen=True)
class AnalysisOptions:
    """Every option shared by the experiments; each field is also a flag of ``mzlab analyze`` (generated from
    the :func:`~mzlab.option_flags.option` metadata, in this order)."""

    num_states: int = option(100, "on-policy states per checkpoint (default {default})")
    """States drawn from each checkpoint's on-policy distribution."""
    num_state_episodes: int = option(10, "behaviour-policy episodes forming the state pool (default {default})")
    """Episodes of the behaviour policy whose visited states form the on-policy pool."""
    seed: int = option(0, "analysis seed (default {default})")
    """Analysis seed: episode seeds, state draws, search noise and action sampling derive from it."""
    quick: bool = option(False, "tiny smoke budget (numbers are not meaningful)")
    """Smoke budget (see :data:`QUICK`)."""
    horizons: tuple[int, ...] | None = option(
        None, "evaluation horizons of value-error (Fig. 3) and cross-step (Fig. 5) (default 1..K, K = unroll steps)",
        metavar="K")
    """Evaluation horizons k of value-error and cross-step; default ``1..K``."""
    long_horizon: int = option(50, "cross-step also evaluates this horizon: Fig. 9, Appendix B.1 "
                               "(default {default}; 0 = none)", metavar="H")
    """Cross-step also evaluates this horizon (Fig. 9, Appendix B.1) beside ``horizons`` (Fig. 5); 0 = none."""
    num_samples: int = option(32, "Monte Carlo sequences per state for Def. 2 (default {default})")
    """Monte Carlo action sequences per state for Def. 2."""
    sequence_length: int | None = option(
        None, "sequence-rank length (default: longest with A^L <= 1024: Cart Pole 10, others 5)")
    """Length of the enumerated sequences of sequence-rank; default: longest with ``A^L <= 1024``."""
    num_episodes: int = option(10, "episodes per setting for learning-curves and planning (default {default})")
    """Evaluation episodes per checkpoint and setting (learning-curves, planning)."""
    max_episode_steps: int | None = option(None, "cap on analysis episode length (default: the env's)")
    """Cap on the length of analysis episodes (on-policy pool, learning curves, planning); default: the env's."""
    simulations: tuple[int, ...] | None = option(
        None, "simulation counts for search-prior and planning (default 5 10 25 50 100)", metavar="N")
    """Simulation counts of search-prior and planning; default ``(5, 10, 25, 50, 100)``."""
    planning_horizon: int | None = option(
        None, "leaf rollout length of planning and search-prior (default: the run's td_steps)")
    """Random-rollout length at leaves (planning); default ``replay.td_steps``."""
    planning_leaves: tuple[str, ...] = option(
        ("rollout",), "leaf evaluations of planning and search-prior: rollout and/or value "
        "(default rollout, the paper's Section 4)")
    """Leaf evaluations of planning: ``rollout`` (the paper's Fig. 7) and optionally ``value``."""
    behaviour_simulations: int | None = option(
        None, "simulations per move of the behaviour policy (default: the run's)")
    """Override of the behaviour policy's simulations per move; default the run's ``search.num_simulations``."""
    noise: str = option("auto", "root noise of the sampled behaviour policy: auto (default: the run's setting), "
                        "on, off")
    """Root Dirichlet noise of the sampled behaviour policy: ``auto`` (as the run's ``search.add_noise``), ``on``,
    ``off``. Greedy acting never adds noise (paper A.2); search-prior and planning searches never do."""
    noise_draws: int = option(1, "sequence-rank: average each behaviour probability over M root-noise draws "
                              "(the marginal policy; default 1 = one noisy search)", metavar="M")
    """Sequence-rank: root-noise draws averaged into each behaviour probability (1 = one noisy search, the
    policy that generated the data; M > 1 = the marginal policy over the noise, estimated from M searches)."""
    max_checkpoints: int = option(5, "checkpoints per run when --steps is not given (default {default})")
    """Without ``--steps``: this many evenly spaced checkpoints (first and last included); learning-curves: all."""

    def validate(self) -> AnalysisOptions:
        """Raise :class:`MzlabError` naming the first invalid option; return ``self``."""
        positive = {
            "num-states": self.num_states,
            "num-state-episodes": self.num_state_episodes,
            "num-samples": self.num_samples,
            "num-episodes": self.num_episodes,
            "max-checkpoints": self.max_checkpoints,
            "noise-draws": self.noise_draws,
        }
        optional_positive = {
            "sequence-length": self.sequence_length,
            "max-episode-steps": self.max_episode_steps,
            "planning-horizon": self.planning_horizon,
            "behaviour-simulations": self.behaviour_simulations,
        }
        for name, value in {**positive, **optional_positive}.items():
            if value is not None and not 1 <= value <= MAX_COUNT:
                raise MzlabError(f"--{name} must be an integer in [1, {MAX_COUNT}], got {value}")
        if not 0 <= self.long_horizon <= MAX_COUNT:
            raise MzlabError(f"--long-horizon must be an integer in [0, {MAX_COUNT}] (0 = none), "
                             f"got {self.long_horizon}")
        if self.horizons is not None:
            if not self.horizons or min(self.horizons) < 1 or max(self.horizons) > MAX_COUNT:
                raise MzlabError(f"--horizons must be integers in [1, {MAX_COUNT}], got {list(self.horizons)}")
        if self.simulations is not None and (not self.simulations or min(self.simulations) < 1
                                             or max(self.simulations) > MAX_SIMULATIONS):
            raise MzlabError(f"--simulations must be integers in [1, {MAX_SIMULATIONS}], got {list(self.simulations)}")
        if self.noise not in ("auto", "on", "off"):
            raise MzlabError(f"--noise must be auto, on or off, got {self.noise!r}")
        bad_leaves = [leaf for leaf in self.planning_leaves if leaf not in ("rollout", "value")]
        if bad_leaves or not self.planning_leaves:
            raise MzlabError(f"--planning-leaves must be rollout and/or value, got {list(self.planning_leaves)}")
        if self.sequence_length is not None and self.sequence_length > 16:
            raise MzlabError(f"--sequence-length must be <= 16 (A^L sequences per state), got {self.sequence_length}")
        return self

    def with_quick(self) -> AnalysisOptions:
        """These options with the :data:`QUICK` budget applied where it is smaller."""
        if not self.quick:
            return self
        changes = {}
        for name, value in QUICK.items():
            current = getattr(self, name)
            if isinstance(value, tuple):
                changes[name] = value if current is None else current
            elif current is None or current > value:
                changes[name] = value
        return dataclasses.replace(self, **changes)

    def check_episode_length(self, config) -> None:
        """Refuse horizons and episode caps longer than an episode of a run with ``config``."""
        episode = config.env.max_episode_steps
        for name, value in (("horizons", max(self.horizons or (0,))), ("planning-horizon", self.planning_horizon),
                            ("max-episode-steps", self.max_episode_steps)):
            if value is not None and value > episode:
                raise MzlabError(f"--{name} {value} is longer than an episode of this run (env.max_episode_steps = "
                                 f"{episode}); use at most {episode}")

    def resolve(self, config, num_actions: int) -> ResolvedOptions:
        """Fill the config-dependent defaults for a run with ``config`` and ``num_actions``."""
        self.check_episode_length(config)
        horizons = self.horizons or tuple(range(1, config.replay.num_unroll_steps + 1))
        if self.quick and self.horizons is None:
            horizons = horizons[: QUICK_HORIZONS]
        length = self.sequence_length or default_sequence_length(num_actions)
        if self.quick and self.sequence_length is None:
            length = min(length, QUICK_SEQUENCE_LENGTH)
        long_horizon = min(self.long_horizon, QUICK_LONG_HORIZON) if self.quick else self.long_horizon
        cross_step = tuple(sorted(set(int(h) for h in horizons) | ({int(long_horizon)} if long_horizon else set())))
        return ResolvedOptions(
            horizons=tuple(sorted(set(int(h) for h in horizons))),
            cross_step_horizons=cross_step,
            sequence_length=int(length),
            simulations=tuple(sorted(set(self.simulations or (5, 10, 25, 50, 100)))),
            planning_horizon=int(self.planning_horizon or config.replay.td_steps),
            behaviour_simulations=int(self.behaviour_simulations or config.search.num_simulations),
        )


@dataclass(frozen=True)
class ResolvedOptions:
    horizons: tuple[int, ...]
    cross_step_horizons: tuple[int, ...]
    """``horizons`` plus the long horizon of Fig. 9."""
    sequence_length: int
    simulations: tuple[int, ...]
    planning_horizon: int
    behaviour_simulations: int


QUICK = {
    "num_states": 3,
    "num_state_episodes": 2,
    "num_samples": 3,
    "num_episodes": 2,
    "max_episode_steps": 12,
    "simulations": (2, 4),
    "planning_horizon": 3,
    "behaviour_simulations": 4,
    "max_checkpoints": 2,
}
"""The ``--quick`` budget (each value caps the option; explicit tuples win)."""
QUICK_HORIZONS = 3
QUICK_LONG_HORIZON = 5
MAX_COUNT = 10**6
"""Upper bound of every count option (states, samples, episodes, horizons, ...): beyond it nothing fits."""
MAX_SIMULATIONS = 10**5
QUICK_SEQUENCE_LENGTH = 3
