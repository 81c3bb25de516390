"""Reanalyse: refresh stored targets of sampled positions with the latest network.

For a ``reanalyse_fraction`` of the positions of a sampled batch, by ``replay.reanalyse_mode``:

- ``network_value`` (default; muzero-general's ``use_last_model_value``, which the paper's agents used): the
  bootstrap values ``nu_{t+k+n}`` become the latest network's value ``f(h(o_{t+k+n}))``, no search;
- ``search`` (MuZero Reanalyse): the latest network re-runs the search (without exploration noise) at the
  unrolled positions ``t + k`` (new ``nu`` and visit distribution ``pi``) and at their bootstrap positions
  ``t + k + n`` (new ``nu``);
- ``policy_search`` (EfficientZero): ``nu_{t+k+n}`` as ``network_value``, and a new search with root noise as
  in self-play at ``t + k`` for a new ``pi`` only.

The network may be the latest one or a :class:`TargetNetwork` (``replay.target_network_interval``).

The new values are written back into the buffer (so the n-step value targets of those games are recomputed)
and the batch's targets are gathered again.
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch

from mzlab.config import SearchConfig
from mzlab.search.mcts import run_search
from mzlab.search.types import Model
from mzlab.training.replay import Batch, ReplayBuffer

__all__ = ["reanalyse_batch", "TargetNetwork"]


class TargetNetwork:
    """A frozen copy of a network for reanalysis, refreshed every ``interval`` learner steps to the weights the
    network had one interval before (EfficientZero ``core/train.py``: at every multiple of
    ``target_model_interval`` the target takes ``recent_weights``, then ``recent_weights`` becomes the current
    weights), so the target lags ``interval`` to ``2 * interval`` steps behind."""

    def __init__(self, network: torch.nn.Module, interval: int):
        self.interval = interval
        self.network = copy.deepcopy(network).eval()
        self._recent = _weights(network)

    def update(self, step: int, network: torch.nn.Module) -> None:
        """Call before learner step ``step`` (the learner's step counter)."""
        if step % self.interval == 0:
            self.network.load_state_dict(self._recent)
            self._recent = _weights(network)

    def state(self) -> dict[str, dict[str, torch.Tensor]]:
        """``{"network": the weights reanalysis uses now, "recent": the weights the next refresh installs}``.
        Between refreshes at multiples of ``interval`` these are the network's weights at the refresh before last
        and at the last one; which refresh is next follows from the learner's step, so no step is recorded."""
        return {"network": _weights(self.network), "recent": {name: t.clone() for name, t in self._recent.items()}}

    def load_state(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        """Restore what :meth:`state` returned (a checkpoint's); tensors move to this network's device. Raises
        ``KeyError`` / ``ValueError`` / ``RuntimeError`` when the tensors do not fit the network."""
        own = self.network.state_dict()
        recent = dict(state["recent"])
        if set(recent) != set(own):
            raise KeyError(f"target network 'recent' weights name {sorted(set(recent) ^ set(own))[:3]} "
                           "that the network does not have (or lack them)")
        wrong = [name for name in own if tuple(recent[name].shape) != tuple(own[name].shape)]
        if wrong:
            raise ValueError(f"target network 'recent' weight {wrong[0]!r} has shape {tuple(recent[wrong[0]].shape)}, "
                             f"the network's {tuple(own[wrong[0]].shape)}")
        self.network.load_state_dict(state["network"])
        self._recent = {name: recent[name].detach().to(device=own[name].device, dtype=own[name].dtype, copy=True)
                        for name in own}

    def restart_from(self, network: torch.nn.Module) -> None:
        """Both the target and the next refresh take ``network``'s weights (a resume from a checkpoint that did
        not save the target)."""
        self.network.load_state_dict(network.state_dict())
        self._recent = _weights(network)


def _weights(network: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in network.state_dict().items()}


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
    if mode == "policy_search":
        ids = np.unique(bootstrap)
        if len(ids):
            buffer.refresh(ids, np.asarray(model.root(buffer.observations_at(ids)).value))
        ids = np.unique(unrolled)
        search = run_search(model, buffer.observations_at(ids), config=search_config, rng=rng)
        buffer.refresh(ids, None, search.visit_distribution)
        fresh = buffer.gather(batch.position_ids[:, 0], rng, weights=batch.weights)
        return dataclasses.replace(fresh, actions=batch.actions, unroll_observations=batch.unroll_observations)
    ids = np.unique(np.concatenate([unrolled, bootstrap]))
    search = run_search(model, buffer.observations_at(ids), config=dataclasses.replace(search_config, add_noise=False),
                        rng=rng)
    with_policy = np.isin(ids, unrolled)
    buffer.refresh(ids[~with_policy], search.root_value[~with_policy])
    buffer.refresh(ids[with_policy], search.root_value[with_policy], search.policy_target[with_policy])
    fresh = buffer.gather(batch.position_ids[:, 0], rng, weights=batch.weights)
    # same moves (keeps the random ones past the end); observations do not change
    return dataclasses.replace(fresh, actions=batch.actions, unroll_observations=batch.unroll_observations)
