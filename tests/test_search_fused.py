"""The fused search (``search.kernel = auto``): every simulation in one numba call, against the Python loop.

The reference is the Python loop over simulations (``search.kernel = python``) from the same root: a wrapper
model offers the learned model's root and step but not ``fused_root``, so the search runs its loop. The fused
root itself (the numba ``h`` then ``f``) is checked against torch's ``initial_inference``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mzlab.config import NetworkConfig, SearchConfig, preset
from mzlab.config_io import apply_overrides, validate
from mzlab.errors import MzlabError
from mzlab.jit import HAVE_NUMBA
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.networks.support import support_to_scalar
from mzlab.search import LearnedModel, run_search
from mzlab.search.mcts import check_search_config

pytestmark = pytest.mark.skipif(not HAVE_NUMBA, reason="the fused search needs numba")

FIELDS = ("visit_counts", "visit_distribution", "root_value", "q_values", "prior", "model_value", "path_actions",
          "path_lengths", "path_values", "path_rewards")


def _network(seed: int, *, observation_size: int = 4, num_actions: int = 2, **network) -> FullyConnectedMuZero:
    torch.manual_seed(seed)
    config = NetworkConfig(**{"encoding_size": 6, "hidden_layers": [12], "support_size": 5, **network})
    network = FullyConnectedMuZero(observation_size, num_actions, config).eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.mul_(2.0)  # livelier values and priors than the default initialisation
    return network


class LoopOnly:
    """The learned model's fused root and its step, without ``fused_root``: the search runs its Python loop."""

    def __init__(self, model: LearnedModel):
        self.model = model
        self.num_actions = model.num_actions
        self.discount = model.discount
        self.root_calls = 0

    def root(self, observations, snapshots=None):
        self.root_calls += 1
        return self.model.fused_root(observations, snapshots)[0]

    def step(self, state, actions):
        return self.model.step(state, actions)


def _assert_identical(a, b):
    for name in FIELDS:
        left, right = getattr(a, name), getattr(b, name)
        assert (left is None) == (right is None), name
        if left is not None:
            np.testing.assert_array_equal(left, right, err_msg=name)


@pytest.mark.parametrize("batch", [1, 8])
@pytest.mark.parametrize("add_noise", [True, False])
@pytest.mark.parametrize("tie_break", ["random", "first"])
@pytest.mark.parametrize("q_convention", ["implementation", "pseudocode"])
def test_fused_search_is_bit_identical_to_the_python_loop(batch, add_noise, tie_break, q_convention):
    shapes = [{}, {}, {"num_actions": 3},  # Cart Pole-like, then Lunar Lander's sizes
              {"observation_size": 8, "num_actions": 4, "encoding_size": 10, "hidden_layers": [64], "support_size": 10}]
    for seed, shape in enumerate(shapes):
        network = _network(seed, **shape)
        model = LearnedModel(network, discount=0.95)
        size = shape.get("observation_size", 4)
        observations = np.random.default_rng(seed).normal(size=(batch, size)).astype(np.float32)
        config = SearchConfig(num_simulations=40, add_noise=add_noise, tie_break=tie_break, q_convention=q_convention)
        fused = run_search(model, observations, config=config, rng=np.random.default_rng(seed), record_paths=True)
        reference = LoopOnly(model)
        loop = run_search(reference, observations, config=dataclasses.replace(config, kernel="python"),
                          rng=np.random.default_rng(seed), record_paths=True)
        assert reference.root_calls == 1
        _assert_identical(fused, loop)
        assert fused.visit_counts.sum(axis=1).tolist() == [40] * batch
        assert fused.path_lengths.max() > 1  # the searches went deeper than the root's children


def test_fused_search_consumes_the_rng_as_the_loop():
    network = _network(4)
    model = LearnedModel(network, discount=0.99)
    observations = np.random.default_rng(4).normal(size=(2, 4)).astype(np.float32)
    rngs = {kernel: np.random.default_rng(9) for kernel in ("auto", "python")}
    run_search(model, observations, config=SearchConfig(num_simulations=12), rng=rngs["auto"])
    run_search(LoopOnly(model), observations, config=SearchConfig(num_simulations=12, kernel="python"),
               rng=rngs["python"])
    assert rngs["auto"].random() == rngs["python"].random()


def test_uniform_prior_and_a_single_simulation_run_fused_identically():
    network = _network(5)
    model = LearnedModel(network, discount=0.9)
    observations = np.random.default_rng(5).normal(size=(3, 4)).astype(np.float32)
    for config in (SearchConfig(num_simulations=25, prior="uniform"), SearchConfig(num_simulations=1)):
        fused = run_search(model, observations, config=config, rng=np.random.default_rng(1), record_paths=True)
        loop = run_search(LoopOnly(model), observations, config=config, rng=np.random.default_rng(1),
                          record_paths=True)
        _assert_identical(fused, loop)


def test_fused_root_matches_torch_and_sees_weight_updates():
    network = _network(6, representation_layers=[10])
    model = LearnedModel(network, discount=0.997)
    observations = np.random.default_rng(6).normal(size=(5, 4)).astype(np.float32)

    def check():
        root, step = model.fused_root(observations)
        with torch.no_grad():
            expected = network.initial_inference(torch.as_tensor(observations))
        np.testing.assert_allclose(root.state, expected.latent.numpy(), atol=1e-5)
        np.testing.assert_allclose(root.prior_logits, expected.policy_logits.numpy(), atol=1e-5)
        # float64 decoding against torch's float32, as the fast step (test_search_models)
        np.testing.assert_allclose(root.value, support_to_scalar(expected.value_logits, 5).numpy(), atol=1e-3)
        assert root.state.dtype == np.float32 and step.discount == 0.997 and step.num_actions == 2
        return root

    before = check()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.mul_(1.5)  # in place, as an optimiser step or load_state_dict
    after = check()
    assert not np.array_equal(before.prior_logits, after.prior_logits)
    layer = network.representation_net[0]
    layer.weight = torch.nn.Parameter(torch.randn_like(layer.weight))  # a replaced parameter
    replaced = check()
    assert not np.array_equal(after.state, replaced.state)


def test_fused_search_agrees_with_the_torch_model_search():
    network = _network(7)
    observations = np.random.default_rng(7).normal(size=(8, 4)).astype(np.float32)
    config = SearchConfig(num_simulations=30)
    fused = run_search(LearnedModel(network, discount=0.997), observations, config=config,
                       rng=np.random.default_rng(0))
    torch_model = LearnedModel(network, discount=0.997, fast=False)
    assert torch_model.fused_root(observations) is None
    slow = run_search(torch_model, observations, config=config, rng=np.random.default_rng(0))
    np.testing.assert_allclose(fused.root_value, slow.root_value, atol=1e-3)
    assert (fused.visit_counts == slow.visit_counts).mean() > 0.9  # float rounding may flip a rare near-tie


class Spy(LoopOnly):
    """A model that offers ``fused_root`` and counts whether the search took it."""

    fused_calls = 0

    def fused_root(self, observations, snapshots=None):
        self.fused_calls += 1
        return self.model.fused_root(observations, snapshots)


@pytest.mark.parametrize("options, fused", [
    ({}, True),
    ({"kernel": "python"}, False),
    ({"algorithm": "gumbel"}, False),
    ({"leaf": "rollout", "rollout_horizon": 3}, False),
])
def test_the_fused_kernel_runs_only_where_supported(options, fused):
    model = Spy(LearnedModel(_network(8), discount=0.99))
    observations = np.random.default_rng(8).normal(size=(2, 4)).astype(np.float32)
    run_search(model, observations, config=SearchConfig(num_simulations=6, **options), rng=np.random.default_rng(0))
    assert (model.fused_calls, model.root_calls) == ((1, 0) if fused else (0, 1))


def test_without_numba_the_search_keeps_its_loop(monkeypatch):
    import mzlab.search.mcts as mcts

    monkeypatch.setattr(mcts, "FUSED_AVAILABLE", False)
    model = Spy(LearnedModel(_network(8), discount=0.99))
    observations = np.random.default_rng(8).normal(size=(2, 4)).astype(np.float32)
    run_search(model, observations, config=SearchConfig(num_simulations=6), rng=np.random.default_rng(0))
    assert (model.fused_calls, model.root_calls) == (0, 1)


def test_a_bad_kernel_is_one_clear_error():
    with pytest.raises(MzlabError, match=r"search\.kernel must be 'auto' or 'python', got 'numba'"):
        check_search_config(SearchConfig(kernel="numba"))
    with pytest.raises(MzlabError) as caught:
        validate(apply_overrides(preset("cartpole"), ["search.kernel=fused"]))
    message = str(caught.value)
    assert "search.kernel" in message and "auto" in message and "python" in message and "\n" not in message


TINY_TRAINING = ["network.encoding_size=4", "network.hidden_layers=[8]", "search.num_simulations=6",
                 "training.batch_size=8", "replay.num_unroll_steps=3", "replay.td_steps=5", "training.num_actors=2",
                 "training.warmup_games=2", "training.training_steps=30", "training.checkpoint_interval=10"]


def _train(run_dir, kernel: str):
    from mzlab.cli import main
    from mzlab.runs import RunDirectory

    argv = ["train", "--env", "cartpole", "--seed", "5", "--run-dir", str(run_dir), "--no-progress"]
    for override in [*TINY_TRAINING, f"search.kernel={kernel}"]:
        argv += ["--set", override]
    assert main(argv) == 0
    run = RunDirectory.open(run_dir)
    metrics = run.read_metrics()
    return run.load_checkpoint(30)[0], metrics[[c for c in metrics.columns if not c.startswith("time/")]]


def test_training_with_the_fused_kernel_repeats_the_python_loop(tmp_path, monkeypatch, capsys):
    # the fused root differs from torch's by float rounding; with torch's root the whole run must be identical
    def fused_with_torch_root(self, observations, snapshots=None):
        fused = original(self, observations, snapshots)
        return None if fused is None else (self.root(observations, snapshots), fused[1])

    calls = []
    original = LearnedModel.fused_root
    monkeypatch.setattr(LearnedModel, "fused_root", lambda *a: calls.append(1) or fused_with_torch_root(*a))
    fused_weights, fused_metrics = _train(tmp_path / "auto", "auto")
    assert len(calls) > 10  # the self-play (and reanalyse) searches went fused
    count = len(calls)
    loop_weights, loop_metrics = _train(tmp_path / "python", "python")
    assert len(calls) == count
    capsys.readouterr()
    assert fused_weights.keys() == loop_weights.keys()
    for name in fused_weights:
        torch.testing.assert_close(fused_weights[name], loop_weights[name], rtol=0, atol=0)
    assert fused_metrics.equals(loop_metrics) and len(fused_metrics) >= 3
