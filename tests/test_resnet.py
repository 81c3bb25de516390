"""Residual MuZero network: EfficientZero's shapes, scaled latents, zero-initialised heads, the action plane, and
that it learns a fixed batch; plus the ``build_network`` factory."""

import math

import pytest
import torch
from torch.nn import functional

from mzlab.config import NetworkConfig, preset
from mzlab.config_io import apply_overrides
from mzlab.errors import MzlabError
from mzlab.networks import build_network
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.networks.resnet import ResidualMuZero, downsampled_size
from mzlab.networks.support import scalar_to_support, support_to_scalar

SMALL = NetworkConfig(kind="resnet", support_size=5, num_blocks=1, num_channels=8)


@pytest.fixture(autouse=True)
def one_torch_thread():
    """These tiny convolutions are overhead-bound: on a busy 2-core machine two threads run ~100x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_downsampling_takes_96_to_6_as_efficientzero():
    assert [downsampled_size(n) for n in (96, 84, 64, 16)] == [6, 6, 4, 1]
    torch.manual_seed(0)
    network = build_network(SMALL, (4, 3, 96, 96), 4)  # 4 stacked RGB frames
    observations = torch.randint(0, 256, (3, 4, 3, 96, 96), dtype=torch.uint8)
    output = network.initial_inference(observations)
    assert output.latent.shape == (3, 8, 6, 6) and network.latent_shape == (8, 6, 6)
    assert output.policy_logits.shape == (3, 4) and output.value_logits.shape == (3, 11)
    assert output.reward_logits.shape == (3, 11)
    assert torch.allclose(support_to_scalar(output.reward_logits, 5), torch.zeros(3))
    step = network.recurrent_inference(output.latent, torch.tensor([0, 3, 1]))
    assert step.latent.shape == (3, 8, 6, 6) and step.reward_logits.shape == (3, 11)


def test_without_downsampling_the_latent_keeps_the_frame_size():
    network = build_network(
        NetworkConfig(kind="resnet", num_blocks=1, num_channels=4, downsample=False), (2, 10, 12), 3
    )
    assert network.initial_inference(torch.rand(2, 2, 10, 12)).latent.shape == (2, 4, 10, 12)


def test_latents_are_min_max_scaled_per_sample():
    torch.manual_seed(1)
    network = build_network(SMALL, (2, 32, 32), 3)
    observations = torch.rand(5, 2, 32, 32) * torch.tensor([1.0, 5.0, 0.1, 2.0, 30.0]).view(5, 1, 1, 1)
    latent = network.representation(observations)
    next_latent, _ = network.dynamics(latent, torch.tensor([0, 1, 2, 0, 1]))
    for tensor in (latent, next_latent):
        flat = tensor.flatten(1)
        assert torch.allclose(flat.min(1).values, torch.zeros(5), atol=1e-6)
        assert torch.allclose(flat.max(1).values, torch.ones(5), atol=1e-6)


def test_heads_start_at_zero_uniform_policy_and_zero_value():
    network = build_network(SMALL, (2, 32, 32), 3).eval()
    with torch.no_grad():
        output = network.initial_inference(torch.rand(4, 2, 32, 32))
        step = network.recurrent_inference(output.latent, torch.tensor([0, 1, 2, 1]))
    assert torch.equal(output.policy_logits, torch.zeros(4, 3))
    assert torch.equal(output.value_logits, torch.zeros(4, 11)) and torch.equal(step.reward_logits, torch.zeros(4, 11))
    assert torch.allclose(support_to_scalar(output.value_logits, 5), torch.zeros(4), atol=1e-4)


def test_uint8_frames_are_scaled_by_1_over_255():
    torch.manual_seed(2)
    network = build_network(SMALL, (2, 32, 32), 3).eval()
    frames = torch.randint(0, 256, (2, 2, 32, 32), dtype=torch.uint8)
    with torch.no_grad():
        assert torch.allclose(network.representation(frames), network.representation(frames.float() / 255.0))


def test_the_action_enters_as_a_constant_plane_a_over_A():
    torch.manual_seed(3)
    network = build_network(SMALL, (2, 32, 32), 4).eval()
    latent = torch.rand(1, 8, 2, 2)
    captured = []
    hook = network.dynamics_conv.register_forward_hook(lambda module, inputs, output: captured.append(inputs[0]))
    with torch.no_grad():
        outputs = [network.dynamics(latent, torch.tensor([action]))[0] for action in range(4)]
    hook.remove()
    for action, conv_input in enumerate(captured):
        assert torch.equal(conv_input[:, :8], latent)
        assert torch.allclose(conv_input[:, 8], torch.full((1, 2, 2), action / 4))
    assert not torch.allclose(outputs[0], outputs[3])


def unrolled_loss(network, observations, actions, policy_targets, value_targets, reward_targets):
    """MuZero's loss on a K-step unroll: policy + value (k = 0..K) + reward (k >= 1) terms, steps k >= 1 scaled by
    1/K, half the gradient into each dynamics step. Each term is the KL divergence (cross-entropy minus the target's
    entropy), so a perfect fit scores 0."""
    num_unroll = actions.shape[1]
    output = network.initial_inference(observations)
    support = network.support_size

    def cross_entropy(logits, target):
        return (torch.xlogy(target, target) - target * functional.log_softmax(logits, dim=-1)).sum(-1).mean()

    loss = cross_entropy(output.policy_logits, policy_targets[:, 0])
    loss = loss + cross_entropy(output.value_logits, scalar_to_support(value_targets[:, 0], support))
    latent = output.latent
    for k in range(1, num_unroll + 1):
        output = network.recurrent_inference(latent, actions[:, k - 1])
        step_loss = cross_entropy(output.policy_logits, policy_targets[:, k])
        step_loss = step_loss + cross_entropy(output.value_logits, scalar_to_support(value_targets[:, k], support))
        step_loss = step_loss + cross_entropy(output.reward_logits, scalar_to_support(reward_targets[:, k], support))
        loss = loss + step_loss / num_unroll
        latent = output.latent
        latent.register_hook(lambda grad: grad * 0.5)
    return loss


def test_a_few_optimiser_steps_reduce_the_loss_on_a_fixed_batch():
    torch.manual_seed(4)
    batch, num_actions, num_unroll = 8, 4, 3
    network = build_network(SMALL, (2, 16, 16), num_actions)
    observations = torch.randint(0, 256, (batch, 2, 16, 16), dtype=torch.uint8)
    actions = torch.randint(0, num_actions, (batch, num_unroll))
    policy_targets = torch.softmax(3 * torch.randn(batch, num_unroll + 1, num_actions), dim=-1)
    value_targets = 4 * torch.randn(batch, num_unroll + 1)
    reward_targets = torch.randint(0, 3, (batch, num_unroll + 1)).float()
    optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
    targets = (observations, actions, policy_targets, value_targets, reward_targets)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = unrolled_loss(network, *targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert math.isfinite(losses[-1])
    assert losses[-1] < 0.5 * losses[0]


def test_build_network_dispatches_on_kind():
    cartpole = build_network(preset("cartpole"), (4,), 2)
    assert isinstance(cartpole, FullyConnectedMuZero) and cartpole.observation_shape == (4,)
    assert cartpole.num_actions == 2 and cartpole.support_size == 10
    breakout = build_network(apply_overrides(preset("breakout"), ["network.num_channels=8"]), (4, 96, 96), 4)
    assert isinstance(breakout, ResidualMuZero) and breakout.support_size == 300
    assert breakout.observation_shape == (4, 96, 96) and breakout.num_actions == 4
    with pytest.raises(MzlabError, match="'network.kind'"):
        build_network(NetworkConfig(kind="transformer"), (4,), 2)
    with pytest.raises(MzlabError, match="'resnet' needs image observations"):
        build_network(NetworkConfig(kind="resnet"), (4,), 2)
