"""One batched MCTS faithful to MuZero over any :class:`~mzlab.search.types.Model`.

``B`` independent roots share the Python loop over simulations; selection and backup are numba kernels over
the whole batch and the model is called once per simulation with a batch of ``B`` edges.
"""

from __future__ import annotations

import numpy as np

from mzlab.config import SearchConfig
from mzlab.errors import MzlabError
from mzlab.search.acting import mix_dirichlet, softmax
from mzlab.search.fused import FUSED_AVAILABLE, fused_simulations
from mzlab.search.gumbel import GumbelSelector
from mzlab.search.output import SearchOutput
from mzlab.search.selection import IMPLEMENTATION, PSEUDOCODE, select_leaves
from mzlab.search.tree import StateStore, children_q, expand_and_backup, new_tree, node_paths
from mzlab.search.types import Model

__all__ = ["run_search", "rollout_values", "check_search_config"]

_CONVENTIONS = {"implementation": IMPLEMENTATION, "pseudocode": PSEUDOCODE}


class PuctSelector:
    """MuZero's pUCT (Eq. 2) at every node, root included, with the tree-global min-max statistics."""

    def __init__(self, config: SearchConfig, tie_keys: np.ndarray):
        self.config = config
        self.convention = _CONVENTIONS[config.q_convention]
        self.tie_keys = tie_keys

    def select(self, tree, simulation: int, parents: np.ndarray, actions: np.ndarray) -> None:
        select_leaves(tree.visits, tree.value_sum, tree.reward, tree.discount, tree.children, tree.prior,
                      tree.min_max, self.config.c1, self.config.c2, self.convention, self.tie_keys, parents, actions)

    def record_leaf(self, node: int, leaf_value: np.ndarray) -> None:
        pass

    def summary(self, tree) -> tuple[None, None]:
        return None, None


def check_search_config(config: SearchConfig) -> None:
    """Raise :class:`MzlabError` naming the first search option outside its allowed values."""
    if config.prior not in ("policy", "uniform"):
        raise MzlabError(f"search.prior must be 'policy' or 'uniform', got {config.prior!r}")
    if config.leaf not in ("value", "rollout"):
        raise MzlabError(f"search.leaf must be 'value' or 'rollout', got {config.leaf!r}")
    if config.q_convention not in _CONVENTIONS:
        raise MzlabError(f"search.q_convention must be 'implementation' or 'pseudocode', got {config.q_convention!r}")
    if config.tie_break not in ("random", "first"):
        raise MzlabError(f"search.tie_break must be 'random' or 'first', got {config.tie_break!r}")
    if config.num_simulations < 1:
        raise MzlabError(f"search.num_simulations must be >= 1, got {config.num_simulations}")
    if config.leaf == "rollout" and config.rollout_horizon < 1:
        raise MzlabError(f"search.rollout_horizon must be >= 1, got {config.rollout_horizon}")
    if not 0.0 <= config.dirichlet_fraction <= 1.0 or config.dirichlet_alpha <= 0:
        raise MzlabError("search.dirichlet_fraction must lie in [0, 1] and search.dirichlet_alpha be > 0")
    if config.kernel not in ("auto", "python"):
        raise MzlabError(f"search.kernel must be 'auto' or 'python', got {config.kernel!r}")
    if config.algorithm not in ("puct", "gumbel"):
        raise MzlabError(f"search.algorithm must be 'puct' or 'gumbel', got {config.algorithm!r}")
    if config.max_num_considered_actions < 1:
        raise MzlabError(f"search.max_num_considered_actions must be >= 1, got {config.max_num_considered_actions}")
    if not (0.0 <= config.gumbel_scale < np.inf and 0.0 <= config.gumbel_c_visit < np.inf
            and 0.0 < config.gumbel_c_scale < np.inf):
        raise MzlabError("search.gumbel_scale and search.gumbel_c_visit must be finite and >= 0, "
                         "search.gumbel_c_scale finite and > 0")


def rollout_values(model: Model, state, *, horizon: int, rng: np.random.Generator | None,
                   actions: np.ndarray | None = None) -> np.ndarray:
    """``[B]`` discounted reward sums of ``horizon`` uniformly random actions from ``state`` in ``model``.

    ``Σ_{i<H} (Π_{j<i} d_j) r_i`` with the model's per-step discounts (0 after termination stops the sum); no
    value bootstrap, the model's value outputs are ignored. ``actions[H, B]``, when given, are the random
    actions (else drawn from ``rng``, ``[B]`` per step).

    Uses the model's optional ``rollout_returns(state, actions[H, B]) -> [B] | None`` (the whole rollout in one
    call; the actions are then drawn at once, the same numbers as ``H`` draws of ``[B]``), else its optional
    ``rollout_step(state, actions) -> (reward, discount, next_state)`` (a step without prior and value), else
    ``step``.
    """
    batch = len(state)
    whole = getattr(model, "rollout_returns", None)
    if whole is not None:
        drawn = rng.integers(model.num_actions, size=(horizon, batch)) if actions is None else actions
        result = whole(state, drawn)
        if result is not None:
            return np.asarray(result, dtype=np.float64)
        actions = drawn
    total = np.zeros(batch)
    running = np.ones(batch)
    rollout_step = getattr(model, "rollout_step", None)
    for i in range(horizon):
        actions_now = rng.integers(model.num_actions, size=batch) if actions is None else actions[i]
        if rollout_step is not None:
            reward, discount, state = rollout_step(state, actions_now)
        else:
            output, state = model.step(state, actions_now)
            reward, discount = output.reward, output.discount
        total += running * np.asarray(reward, dtype=np.float64)
        running *= np.asarray(discount, dtype=np.float64)
    return total


def _fused_root(model: Model, config: SearchConfig, observations: np.ndarray, snapshots: np.ndarray | None):
    """The model's ``fused_root(observations, snapshots)`` when this search may run fused, else ``None``."""
    if config.kernel != "auto" or config.algorithm != "puct" or config.leaf != "value" or not FUSED_AVAILABLE:
        return None
    offer = getattr(model, "fused_root", None)
    return offer(observations, snapshots) if offer is not None else None


def _python_simulations(model: Model, tree, selector, root_state, *, config: SearchConfig, rng: np.random.Generator,
                        path_values: np.ndarray, path_rewards: np.ndarray) -> None:
    """Every simulation as one Python iteration: select, one model step of the batch, expand and back up."""
    convention = _CONVENTIONS[config.q_convention]
    uniform = config.prior == "uniform"
    batch = tree.visits.shape[0]
    states = StateStore(config.num_simulations + 1, root_state)
    parents = np.zeros(batch, dtype=np.int64)
    actions = np.zeros(batch, dtype=np.int64)
    for simulation in range(config.num_simulations):
        selector.select(tree, simulation, parents, actions)
        output, next_state = model.step(states.gather(parents), actions)
        node = simulation + 1
        states.put(node, next_state)
        if config.leaf == "rollout":
            leaf_value = rollout_values(model, next_state, horizon=config.rollout_horizon, rng=rng)
        else:
            leaf_value = np.asarray(output.value, dtype=np.float64)
        selector.record_leaf(node, leaf_value)
        expand_and_backup(tree.visits, tree.value_sum, tree.reward, tree.discount, tree.prior, tree.children,
                          tree.parent, tree.action, tree.min_max, node, parents, actions,
                          np.asarray(output.reward, dtype=np.float64), np.asarray(output.discount, dtype=np.float64),
                          np.asarray(output.prior_logits, dtype=np.float64), uniform, leaf_value, convention,
                          path_values[simulation], path_rewards[simulation])


def run_search(
    model: Model,
    observations: np.ndarray,
    *,
    config: SearchConfig,
    rng: np.random.Generator,
    snapshots: np.ndarray | None = None,
    record_paths: bool = False,
) -> SearchOutput:
    """Search from ``observations[B, ...]`` (and the simulator ``snapshots[B]`` of the same states).

    ``config.algorithm`` picks the selection rules (a selector with ``select`` / ``record_leaf`` /
    ``summary``): ``puct`` (:class:`PuctSelector`) or ``gumbel`` (:class:`~mzlab.search.gumbel.GumbelSelector`);
    the tree, expansion, backup and model calls are shared.

    Random numbers, in this order: pUCT: Dirichlet noise ``[B, A]`` (when ``config.add_noise``), tie-break keys
    ``[B, N, A]`` (when ``config.tie_break == "random"``); Gumbel: standard Gumbel noise ``[B, A]`` (when
    ``config.add_noise``; no Dirichlet noise, no tie-break keys); then per simulation the rollout actions (when
    ``config.leaf == "rollout"``). The same ``rng`` state gives the same result.

    With ``config.kernel == "auto"``, pUCT, value leaves and a model offering ``fused_root`` (the learned
    model's numba forward), the root comes from it and all simulations run in one numba call
    (:mod:`mzlab.search.fused`), bit-identical to the Python loop over simulations from the same root; every
    other case (and ``kernel = "python"``) calls ``model.root`` and runs the Python loop.
    """
    check_search_config(config)
    convention = _CONVENTIONS[config.q_convention]
    uniform = config.prior == "uniform"
    gumbel = config.algorithm == "gumbel"
    num_simulations = config.num_simulations

    fused_root = _fused_root(model, config, observations, snapshots)
    root, fused = fused_root if fused_root is not None else (model.root(observations, snapshots), None)
    logits = np.asarray(root.prior_logits, dtype=np.float64)
    batch, num_actions = logits.shape
    if uniform:
        logits = np.zeros_like(logits)
    root_prior = softmax(logits)
    if gumbel:
        noise = rng.gumbel(size=(batch, num_actions)) * config.gumbel_scale if config.add_noise else np.zeros_like(
            logits)
        selector = GumbelSelector(logits, noise, np.asarray(root.value, dtype=np.float64), num_simulations + 1,
                                  config)
    else:
        if config.add_noise:
            noise = rng.dirichlet(np.full(num_actions, config.dirichlet_alpha), size=batch)
            root_prior = mix_dirichlet(root_prior, noise, config.dirichlet_fraction)
        if config.tie_break == "random":
            tie_keys = rng.random((batch, num_simulations + 1, num_actions))
        else:
            tie_keys = np.zeros((batch, num_simulations + 1, num_actions))
        selector = PuctSelector(config, tie_keys)

    tree = new_tree(batch, num_simulations + 1, root_prior, float(model.discount))
    path_values = np.zeros((num_simulations, batch))
    path_rewards = np.zeros((num_simulations, batch))
    if fused is not None:
        fused_simulations(tree, root.state, fused, c1=config.c1, c2=config.c2, convention=convention,
                          tie_keys=selector.tie_keys, uniform_prior=uniform, path_values=path_values,
                          path_rewards=path_rewards)
    else:
        _python_simulations(model, tree, selector, root.state, config=config, rng=rng, path_values=path_values,
                            path_rewards=path_rewards)

    action, improved_policy = selector.summary(tree)
    path_actions, path_lengths = node_paths(tree) if record_paths else (None, None)
    visit_counts = tree.visits[np.arange(batch)[:, None], tree.children[:, 0]] * (tree.children[:, 0] >= 0)
    return SearchOutput(
        visit_counts=visit_counts,
        visit_distribution=visit_counts / visit_counts.sum(axis=1, keepdims=True),
        root_value=tree.value_sum[:, 0] / tree.visits[:, 0],
        q_values=children_q(tree),
        prior=root_prior,
        model_value=np.asarray(root.value, dtype=np.float64),
        action=action,
        improved_policy=improved_policy,
        path_actions=path_actions,
        path_lengths=path_lengths,
        path_values=path_values.T.copy() if record_paths else None,
        path_rewards=path_rewards.T.copy() if record_paths else None,
    )
