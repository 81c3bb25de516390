"""Reanalyse: refresh stored targets of sampled positions with the latest network.

For a ``reanalyse_fraction`` of the positions of a sampled batch, by ``replay.reanalyse_mode``:

- ``network_value`` (default; muzero-general's ``use_last_model_value``, which the paper's agents used): the
  bootstrap values ``nu_{t+k+n}`` become the latest network's value ``f(h(o_{t+k+n}))``, no search;
- ``search`` (MuZero Reanalyse): the latest network re-runs the search (without exploration noise) at the
  unrolled positions ``t + k`` (new ``nu`` and visit distribution ``pi``) and at their bootstrap positions
  ``t + k + n`` (new ``nu``).

The new values are written back into the buffer (so the n-step value targets of those games are recomputed)
and the batch's targets are gathered again.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mzlab.config import SearchConfig
from mzlab.search.mcts import run_search
from mzlab.search.types import Model
from mzlab.training.replay import Batch, ReplayBuffer

__all__ = ["reanalyse_batch"]


def reanalyse_batch(
    batch: Batch,
    buffer: ReplayBuffer,
    model: Model,
    *,
    search_config: SearchConfig,
    fraction: float,
    td_steps: int,
    rng: np.random.Generator,
    mode: str = "search",
) -> Batch:
    """``batch`` with the targets of ``round(fraction * B)`` of its positions refreshed (``mode`` above)."""
    count = int(round(fraction * len(batch.weights)))
    if count == 0:
        return batch
    chosen = rng.choice(len(batch.weights), size=count, replace=False)
    inside = batch.inside[chosen]
    unrolled = batch.position_ids[chosen][inside]
    game_ends = buffer.game_starts(batch.position_ids[chosen, 0]) + buffer.game_lengths(batch.position_ids[chosen, 0])
    bootstrap = (batch.position_ids[chosen] + td_steps)[inside]
    bootstrap = bootstrap[bootstrap < np.repeat(game_ends, inside.sum(axis=1))]
    if mode == "network_value":
        ids = np.unique(bootstrap)
        if len(ids):
            buffer.refresh(ids, np.asarray(model.root(buffer.observations_at(ids)).value))
        fresh = buffer.gather(batch.position_ids[:, 0], rng, weights=batch.weights)
        return dataclasses.replace(fresh, actions=batch.actions, unroll_observations=batch.unroll_observations)
    ids = np.unique(np.concatenate([unrolled, bootstrap]))
    search = run_search(model, buffer.observations_at(ids), config=dataclasses.replace(search_config, add_noise=False),
                        rng=rng)
    with_policy = np.isin(ids, unrolled)
    buffer.refresh(ids[~with_policy], search.root_value[~with_policy])
    buffer.refresh(ids[with_policy], search.root_value[with_policy], search.visit_distribution[with_policy])
    fresh = buffer.gather(batch.position_ids[:, 0], rng, weights=batch.weights)
    # same moves (keeps the random ones past the end); observations do not change
    return dataclasses.replace(fresh, actions=batch.actions, unroll_observations=batch.unroll_observations)
