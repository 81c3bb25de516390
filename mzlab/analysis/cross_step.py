"""The model of checkpoint X evaluating the behaviour policy of checkpoint Y of the same run (Figs. 5 and 9).

Fig. 5 uses the horizons up to the unroll steps K; Fig. 9 (Appendix B.1) repeats it at the long horizon 50.
Both come from one set of sampled sequences of the longest horizon (a prefix of a sample is a sample).

For every pair ``(X, Y)``: states from X's on-policy distribution, action sequences sampled by Y's behaviour
policy acting in the real environment (Eq. 6), true returns from the simulator and predicted returns from X's
learned model (Eqs. 3-4), then Def. 2 ``|E G_k - E Ĝ_k|`` and ``E|G_k - Ĝ_k|`` per state and horizon. The
diagonal ``X = Y`` is the value-error experiment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from mzlab.analysis.value_error import policy_value_error, sample_sequences, value_error_frame

__all__ = ["cross_step_frame", "run_cross_step"]


def cross_step_frame(
    simulator,
    models: Mapping[int, object],
    policies: Mapping[int, object],
    states: Mapping[int, tuple[np.ndarray, np.ndarray]],
    *,
    horizons,
    num_samples: int,
    discount: float,
    rng_for: Callable[[int, int], np.random.Generator],
) -> pd.DataFrame:
    """Rows ``(model_step, policy_step, horizon, state_index, true_value, predicted_value, policy_error,
    mean_sequence_error, num_samples)`` for every model step ``X`` in ``models`` (states ``states[X]`` =
    ``(snapshots[B], observations[B, ...])``) and policy step ``Y`` in ``policies``; ``rng_for(X, Y)`` seeds
    the sampling of pair ``(X, Y)``."""
    frames = []
    for model_step, model in models.items():
        snapshots, observations = states[model_step]
        for policy_step, policy in policies.items():
            sequences = sample_sequences(
                simulator,
                policy,
                snapshots,
                observations,
                num_samples=num_samples,
                length=max(horizons),
                rng=rng_for(model_step, policy_step),
            )
            error = policy_value_error(model, snapshots, observations, sequences, discount=discount)
            frames.append(value_error_frame(error, horizons, model_step=model_step, policy_step=policy_step))
    return pd.concat(frames, ignore_index=True)


def run_cross_step(session, steps: list[int] | None = None) -> pd.DataFrame:
    """The cross-step table for every run of ``session``: all pairs of its selected checkpoints.

    One cached unit per (run, model step), holding that row of the matrix against every policy step.
    """
    from mzlab.analysis.session import progress

    frames = []
    for run in session.runs:
        checkpoints = [session.checkpoint(run, step) for step in session.steps(run, steps, experiment="cross-step")]
        policies = {c.step: c.behaviour() for c in checkpoints}
        for model_checkpoint in progress(checkpoints, "cross-step"):

            def compute(x=model_checkpoint, policies=policies) -> pd.DataFrame:
                sample = session.states(x)
                frame = cross_step_frame(
                    x.simulator,
                    {x.step: x.learned_model},
                    policies,
                    {x.step: (sample.snapshots, sample.observations)},
                    horizons=x.options.cross_step_horizons,
                    num_samples=session.options.num_samples,
                    discount=x.discount,
                    rng_for=lambda model_step, policy_step: session.rng(x, "cross-step", policy_step),
                )
                frame.insert(0, "seed", x.seed)
                frame.insert(0, "env", x.env)
                return frame

            others = [model_checkpoint] + [c for c in checkpoints if c is not model_checkpoint]
            parts = session.cache_parts(others, model_step=model_checkpoint.step)
            frames.append(session.cache.get_or_compute("cross-step", parts, compute))
    return pd.concat(frames, ignore_index=True)
