"""The unrolled MuZero loss: it falls on a fixed batch, and its gradient has the 1/K and 1/2 scalings.

The reference gradient unties the network: step ``i`` of the unroll runs on its own copy of the parameters, so
plain autograd gives each step's contribution separately. MuZero's rule then says: the loss of step ``k``
reaches the parameters used at step ``i <= k`` through ``k - i`` dynamics inputs, each halving the gradient,
and every unrolled step's loss (``k >= 1``) is scaled by ``1/K``. Summing those pieces by hand must equal the
gradient of :func:`unroll_loss` on the tied network.
"""

import copy

import numpy as np
import torch

from mzlab.config import NetworkConfig, ReplayConfig, TrainingConfig, preset
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.networks.support import scalar_to_support
from mzlab.training.learner import Learner, learning_rate
from mzlab.training.losses import cross_entropy, unroll_loss
from mzlab.training.replay import ReplayBuffer

K = 3
S = 4


def tiny_inputs(seed=0, batch=5):
    generator = torch.Generator().manual_seed(seed)
    observations = torch.randn(batch, 3, generator=generator, dtype=torch.float64)
    actions = torch.randint(0, 2, (batch, K), generator=generator)
    values = torch.randn(batch, K + 1, generator=generator, dtype=torch.float64) * 3
    rewards = torch.randn(batch, K + 1, generator=generator, dtype=torch.float64)
    policies = torch.softmax(torch.randn(batch, K + 1, 2, generator=generator, dtype=torch.float64), -1)
    weights = torch.rand(batch, generator=generator, dtype=torch.float64)
    return observations, actions, values, rewards, policies, weights


def tiny_network(seed=0):
    torch.manual_seed(seed)
    config = NetworkConfig(encoding_size=4, hidden_layers=(6,), support_size=S)
    return FullyConnectedMuZero(3, 2, config).double()


def step_losses_untied(copies, observations, actions, values, rewards, policies, weights, value_weight):
    """Loss of each unroll step k (weighted batch mean), step i computed with ``copies[i]``."""
    value_targets = scalar_to_support(values, S)
    reward_targets = scalar_to_support(rewards, S)
    out = copies[0].initial_inference(observations)
    losses = [(weights * (value_weight * cross_entropy(out.value_logits, value_targets[:, 0])
                          + cross_entropy(out.policy_logits, policies[:, 0]))).mean()]
    latent = out.latent
    for k in range(1, K + 1):
        out = copies[k].recurrent_inference(latent, actions[:, k - 1])
        latent = out.latent
        per_sample = (value_weight * cross_entropy(out.value_logits, value_targets[:, k])
                      + cross_entropy(out.reward_logits, reward_targets[:, k])
                      + cross_entropy(out.policy_logits, policies[:, k]))
        losses.append((weights * per_sample).mean())
    return losses


def test_gradient_matches_hand_scaled_untied_gradients():
    network = tiny_network()
    inputs = tiny_inputs()
    value_weight = 0.25
    loss = unroll_loss(network, *inputs, value_loss_weight=value_weight, support_size=S)
    names = [name for name, _ in network.named_parameters()]
    actual = torch.autograd.grad(loss.total, list(network.parameters()))

    copies = [copy.deepcopy(network) for _ in range(K + 1)]
    losses = step_losses_untied(copies, *inputs, value_weight)
    expected = {name: torch.zeros_like(p) for name, p in network.named_parameters()}
    for k, step_loss in enumerate(losses):
        scale = 1.0 if k == 0 else 1.0 / K
        for i in range(k + 1):
            params = list(copies[i].parameters())
            grads = torch.autograd.grad(step_loss, params, retain_graph=True, allow_unused=True)
            for name, grad in zip(names, grads, strict=True):
                if grad is not None:
                    expected[name] += scale * 0.5 ** (k - i) * grad
    for name, grad in zip(names, actual, strict=True):
        torch.testing.assert_close(grad, expected[name], rtol=1e-9, atol=1e-12, msg=name)


def test_forward_loss_value_is_scaled_sum():
    network = tiny_network(1)
    inputs = tiny_inputs(1)
    loss = unroll_loss(network, *inputs, value_loss_weight=1.0, support_size=S)
    losses = step_losses_untied([network] * (K + 1), *inputs, 1.0)
    expected = losses[0] + sum(losses[1:]) / K
    torch.testing.assert_close(loss.total, expected)


def test_loss_falls_on_a_fixed_batch():
    config = preset("cartpole")
    config = type(config)(
        network=config.network, replay=ReplayConfig(num_unroll_steps=5, td_steps=10),
        training=TrainingConfig(learning_rate=0.01, lr_decay_rate=1.0),
    )
    torch.manual_seed(0)
    network = FullyConnectedMuZero(4, 2, config.network)
    buffer = ReplayBuffer(config.replay, observation_shape=(4,), observation_dtype=np.float32, num_actions=2,
                          discount=0.997)
    rng = np.random.default_rng(0)
    for length in (20, 35, 50):
        buffer.add_game(rng.normal(size=(length, 4)).astype(np.float32), rng.integers(0, 2, length),
                        np.ones(length), rng.normal(size=length) * 5 + 10, rng.dirichlet([1, 1], size=length))
    batch = buffer.sample(64, rng)
    learner = Learner(network, config)
    first, _ = learner.train_step(batch)
    for _ in range(300):
        last, _ = learner.train_step(batch)
    assert last["losses/total"] < 0.5 * first["losses/total"]
    assert last["losses/value"] < 0.5 * first["losses/value"]


def test_exponential_learning_rate_decay():
    assert learning_rate(0, initial=0.02, decay_rate=0.1, decay_steps=50_000) == 0.02
    assert np.isclose(learning_rate(50_000, initial=0.02, decay_rate=0.1, decay_steps=50_000), 0.002)
    assert np.isclose(learning_rate(25_000, initial=0.02, decay_rate=0.1, decay_steps=50_000), 0.02 / np.sqrt(10))
