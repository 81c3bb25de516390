"""The fully connected MuZero network: min-max scaled latents and the reference's reward wiring."""

import torch

from mzlab.config import NetworkConfig
from mzlab.networks.fully_connected import FullyConnectedMuZero, scale_latent
from mzlab.networks.support import support_to_scalar


def test_scale_latent_matches_hand_computation():
    latent = torch.tensor([[1.0, 3.0, 2.0], [5.0, 5.0, 5.0]])
    scaled = scale_latent(latent)
    torch.testing.assert_close(scaled[0], torch.tensor([0.0, 1.0, 0.5]))
    torch.testing.assert_close(scaled[1], torch.zeros(3))  # a constant row maps to 0


def test_inference_shapes_and_scaling():
    torch.manual_seed(0)
    net = FullyConnectedMuZero(4, 2, NetworkConfig())
    out = net.initial_inference(torch.randn(5, 4))
    assert out.latent.shape == (5, 8) and out.policy_logits.shape == (5, 2) and out.value_logits.shape == (5, 21)
    assert torch.all(out.latent.min(1).values == 0) and torch.allclose(out.latent.max(1).values, torch.ones(5))
    torch.testing.assert_close(support_to_scalar(out.reward_logits, 10), torch.zeros(5))  # no reward at the root
    step = net.recurrent_inference(out.latent, torch.tensor([0, 1, 0, 1, 1]))
    assert step.latent.shape == (5, 8) and step.reward_logits.shape == (5, 21)
    assert torch.all(step.latent >= 0) and torch.all(step.latent <= 1)


def test_reward_reads_the_unscaled_dynamics_output():
    torch.manual_seed(0)
    net = FullyConnectedMuZero(4, 2, NetworkConfig())
    latent = torch.rand(3, 8)
    actions = torch.tensor([0, 1, 1])
    one_hot = torch.nn.functional.one_hot(actions, 2).float()
    raw = net.dynamics_state_net(torch.cat([latent, one_hot], 1))
    _, reward_logits = net.dynamics(latent, actions)
    torch.testing.assert_close(reward_logits, net.dynamics_reward_net(raw))
