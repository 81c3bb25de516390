"""The two model adapters: the learned network and the ground truth (Cart Pole against gymnasium)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from fakes import deceptive_chain

from mzlab.config import EnvConfig, NetworkConfig, SearchConfig
from mzlab.envs.registry import make_simulator
from mzlab.envs.simulator import Simulator
from mzlab.errors import MzlabError
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.networks.support import support_to_scalar
from mzlab.search import LearnedModel, TrueModel, run_search


def _network(seed: int = 0) -> FullyConnectedMuZero:
    torch.manual_seed(seed)
    return FullyConnectedMuZero(4, 2, NetworkConfig()).eval()


@pytest.mark.parametrize("fast", [False, True])
def test_learned_model_decodes_the_network_heads(fast):
    network = _network()
    model = LearnedModel(network, discount=0.997, fast=fast)
    assert (model._fast is not None) == fast
    observations = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    root = model.root(observations)
    actions = np.array([0, 1, 1, 0, 1])
    step, latent = model.step(root.state, actions)
    with torch.no_grad():
        first = network.initial_inference(torch.as_tensor(observations))
        second = network.recurrent_inference(first.latent, torch.as_tensor(actions))
    np.testing.assert_allclose(root.value, support_to_scalar(first.value_logits, 10).numpy(), rtol=1e-6)
    np.testing.assert_allclose(root.prior_logits, first.policy_logits.numpy(), rtol=1e-6)
    # the fast kernel decodes in float64, torch in float32: agreement to float32 rounding of the heads
    np.testing.assert_allclose(step.reward, support_to_scalar(second.reward_logits, 10).numpy(), atol=1e-3)
    np.testing.assert_allclose(step.value, support_to_scalar(second.value_logits, 10).numpy(), atol=1e-3)
    np.testing.assert_allclose(step.prior_logits, second.policy_logits.numpy(), atol=1e-5)
    np.testing.assert_allclose(latent, second.latent.numpy(), atol=1e-5)
    np.testing.assert_array_equal(step.discount, 0.997)


def test_fast_path_sees_weight_updates_and_matches_torch_search():
    network = _network(2)
    observations = np.random.default_rng(2).normal(scale=0.1, size=(8, 4)).astype(np.float32)
    config = SearchConfig(num_simulations=30)
    fast, slow = LearnedModel(network, discount=0.997), LearnedModel(network, discount=0.997, fast=False)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.mul_(3.0)  # an in-place update, as an optimiser step
    a = run_search(fast, observations, config=config, rng=np.random.default_rng(0))
    b = run_search(slow, observations, config=config, rng=np.random.default_rng(0))
    np.testing.assert_allclose(a.root_value, b.root_value, atol=1e-3)
    assert (a.visit_counts == b.visit_counts).mean() > 0.9  # float rounding may flip a rare near-tie


@pytest.mark.parametrize("kernel", ["python", "auto"])
def test_learned_model_search_backs_up_decoded_rewards_and_values(kernel):
    # one simulation per root: the root value is exactly r + γ v of the edge the search took (from the root
    # the search used: torch's, or the numba forward's for the fused search)
    network = _network(1)
    model = LearnedModel(network, discount=0.9)
    observations = np.random.default_rng(1).normal(size=(3, 4)).astype(np.float32)
    out = run_search(model, observations, config=SearchConfig(num_simulations=1, add_noise=False, kernel=kernel),
                     rng=np.random.default_rng(0), record_paths=True)
    actions = out.path_actions[:, 0, 0]
    root = model.root(observations) if kernel == "python" else model.fused_root(observations)[0]
    step, _ = model.step(root.state, actions)
    np.testing.assert_allclose(out.root_value, step.reward + 0.9 * step.value, rtol=1e-9)


def test_true_model_uses_network_prior_and_value_or_zeros():
    simulator = make_simulator(EnvConfig(name="cartpole"))
    snapshots, observations = simulator.reset_snapshots(np.arange(3))
    plain = TrueModel(simulator).root(observations, snapshots)
    np.testing.assert_array_equal(plain.prior_logits, 0.0)
    np.testing.assert_array_equal(plain.value, 0.0)
    network = _network()
    guided = TrueModel(simulator, network=network).root(observations, snapshots)
    with torch.no_grad():
        expected = network.initial_inference(torch.as_tensor(observations))
    np.testing.assert_allclose(guided.prior_logits, expected.policy_logits.numpy(), rtol=1e-6)
    with pytest.raises(MzlabError, match="snapshots"):
        TrueModel(simulator).root(observations)
    with pytest.raises(MzlabError, match="2 snapshots for 3 observations"):
        TrueModel(simulator).root(observations, snapshots[:2])


def test_true_model_discount_is_zero_from_the_step_that_ends_the_episode():
    simulator = deceptive_chain(length=2, num_actions=2, seed=0)
    model = TrueModel(simulator, discount=0.5)
    snapshots, _ = simulator.reset_snapshots(np.array([0]))
    cash = int(simulator.reward[0].argmax())
    step, after = model.step(snapshots, np.array([cash]))
    assert step.reward[0] == 1.0 and step.discount[0] == 0.0
    step, _ = model.step(after, np.array([0]))
    assert step.reward[0] == 0.0 and step.discount[0] == 0.0  # absorbing


def _gym_return(seed: int, prefix: list[int], actions: tuple[int, ...], discount: float) -> float:
    env = gym.make("CartPole-v1")
    env.reset(seed=seed)
    for action in prefix:
        env.step(action)
    total, weight = 0.0, 1.0
    for action in actions:
        _, reward, terminated, truncated, _ = env.step(action)
        total += weight * reward
        weight *= discount
        if terminated or truncated:
            break
    env.close()
    return total


def test_cartpole_true_model_backs_up_gymnasium_returns():
    discount = 0.9
    simulator = make_simulator(EnvConfig(name="cartpole", discount=discount))
    seeds = np.arange(4)
    snapshots, _ = simulator.reset_snapshots(seeds)
    prefix = [1] * 6  # push the pole over so that some simulated paths terminate
    for action in prefix:
        snapshots = simulator.step_snapshots(snapshots, np.full(len(seeds), action)).snapshots
    observations = simulator.observe_snapshots(snapshots)
    config = SearchConfig(num_simulations=60, add_noise=False)
    out = run_search(TrueModel(simulator), observations, config=config, rng=np.random.default_rng(0),
                     snapshots=snapshots, record_paths=True)
    for b, seed in enumerate(seeds):
        paths = out.paths(b)
        returns = np.array([_gym_return(int(seed), prefix, path, discount) for path in paths])
        # zero-value leaves: what each simulation backs up is exactly the discounted return along its path
        np.testing.assert_allclose(out.path_values[b], returns, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(out.path_rewards[b], returns, rtol=1e-12, atol=1e-12)
        for a in range(2):
            mask = np.array([p[0] == a for p in paths])
            np.testing.assert_allclose(out.q_values[b, a], returns[mask].mean(), rtol=1e-12)
        assert np.any(returns < (1 - discount ** np.array([len(p) for p in paths])) / (1 - discount) - 1e-9)


def test_object_snapshot_batches_search_like_numeric_ones():
    # the base class's looping batched methods keep snapshots in dtype=object arrays (Atari, Lunar Lander)
    class ObjectSnapshots(type(deceptive_chain())):
        reset_snapshots = Simulator.reset_snapshots
        step_snapshots = Simulator.step_snapshots

    numeric = deceptive_chain(length=3, seed=1)
    boxed = ObjectSnapshots(numeric.next_state, numeric.reward, numeric.terminal, discount=numeric.discount)
    config = SearchConfig(num_simulations=40, prior="uniform", add_noise=False)
    outs = []
    for simulator in (numeric, boxed):
        snapshots, observations = simulator.reset_snapshots(np.arange(3))
        outs.append(run_search(TrueModel(simulator), observations, config=config, rng=np.random.default_rng(0),
                               snapshots=snapshots))
    assert outs[1].visit_counts.dtype.kind == "i"
    np.testing.assert_array_equal(outs[0].visit_counts, outs[1].visit_counts)
    np.testing.assert_array_equal(outs[0].root_value, outs[1].root_value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_learned_model_on_cuda_matches_cpu():
    network = _network(3)
    observations = np.random.default_rng(3).normal(scale=0.1, size=(16, 4)).astype(np.float32)
    config = SearchConfig(num_simulations=20, add_noise=False)
    cpu = run_search(LearnedModel(network, discount=0.997, fast=False), observations, config=config,
                     rng=np.random.default_rng(0))
    gpu = run_search(LearnedModel(network.to("cuda"), discount=0.997), observations, config=config,
                     rng=np.random.default_rng(0))
    np.testing.assert_allclose(gpu.root_value, cpu.root_value, atol=1e-3)


def test_true_model_rollout_leaves_do_not_depend_on_the_network():
    # uniform prior + rollout leaves: the network must play no part at all, so the search with a (random)
    # network equals the search without one; with value leaves the network changes the result
    simulator = make_simulator(EnvConfig(name="cartpole", discount=0.99))
    snapshots, observations = simulator.reset_snapshots(np.arange(4))
    network = _network(4)
    results = {}
    for leaf in ("rollout", "value"):
        config = SearchConfig(num_simulations=30, prior="uniform", leaf=leaf, rollout_horizon=20, add_noise=False)
        results[leaf] = [
            run_search(model, observations, config=config, rng=np.random.default_rng(0), snapshots=snapshots)
            for model in (TrueModel(simulator), TrueModel(simulator, network=network))
        ]
    plain, guided = results["rollout"]
    np.testing.assert_array_equal(plain.visit_counts, guided.visit_counts)
    np.testing.assert_array_equal(plain.root_value, guided.root_value)
    plain, guided = results["value"]
    assert not np.array_equal(plain.root_value, guided.root_value)


def test_torch_tensor_states_search_like_numpy_states():
    # on CUDA the latents stay torch tensors; exercise that storage path on CPU by keeping tensors here too
    network = _network(5)
    observations = np.random.default_rng(5).normal(scale=0.1, size=(6, 4)).astype(np.float32)
    config = SearchConfig(num_simulations=25, leaf="rollout", rollout_horizon=3)
    numpy_states = LearnedModel(network, discount=0.997, fast=False)
    tensor_states = LearnedModel(network, discount=0.997, fast=False)
    tensor_states._on_cpu = False  # keep states as torch tensors, as on CUDA
    assert isinstance(tensor_states.root(observations).state, torch.Tensor)
    a, b = (run_search(model, observations, config=config, rng=np.random.default_rng(0), record_paths=True)
            for model in (numpy_states, tensor_states))
    np.testing.assert_array_equal(a.visit_counts, b.visit_counts)
    np.testing.assert_allclose(a.root_value, b.root_value, rtol=1e-12)
