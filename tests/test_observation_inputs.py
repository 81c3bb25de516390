"""uint8 frames reach the network as uint8 and are scaled once, by the network, in acting and in learning."""

import numpy as np
import torch

from mzlab.config import NetworkConfig
from mzlab.networks import build_network
from mzlab.networks.inputs import observations_to_tensor
from mzlab.search.learned_model import LearnedModel


def test_uint8_frames_stay_uint8_and_vectors_become_float32():
    frames = np.arange(2 * 12 * 96 * 96, dtype=np.int64).reshape(2, 12, 96, 96).astype(np.uint8)
    assert observations_to_tensor(frames).dtype == torch.uint8
    assert observations_to_tensor(np.ones((3, 4), dtype=np.float64)).dtype == torch.float32


def test_learned_model_root_on_uint8_frames_equals_the_network_on_frames_over_255():
    torch.manual_seed(0)
    network = build_network(NetworkConfig(kind="resnet", support_size=5, num_channels=8), (12, 96, 96), 4).eval()
    frames = np.random.default_rng(0).integers(0, 256, size=(2, 12, 96, 96), dtype=np.uint8)
    root = LearnedModel(network, discount=0.997).root(frames)
    with torch.inference_mode():
        expected = network.initial_inference(torch.as_tensor(frames, dtype=torch.float32) / 255.0)
    np.testing.assert_allclose(root.prior_logits, expected.policy_logits.double().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(root.state, expected.latent.numpy(), rtol=1e-5, atol=1e-6)
