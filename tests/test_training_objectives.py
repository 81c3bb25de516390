"""The training objectives against hand computations on a fixed batch.

``muzero`` must be :func:`unroll_loss` exactly. ``consistency`` adds, per unrolled step, minus the cosine of
predictor(projection(s_k)) and the stop-gradient projection(h(o_{t+k})), masked past the game and scaled by
weight / K: the reference spells the heads out as matrix products and batch-norm formulas and the cosine as
dot / (norm * norm). ``reconstruction`` adds the decoder's mean squared error per step and sample, written as
loops; its ``probe`` mode must leave the network's gradient exactly MuZero's.
"""

import dataclasses

import numpy as np
import pytest
import torch
from fakes import random_training_batch

from mzlab.config import ReplayConfig, preset
from mzlab.config_io import apply_overrides, validate
from mzlab.errors import MzlabError
from mzlab.networks import build_network
from mzlab.training.losses import scale_gradient, unroll_loss
from mzlab.training.objectives.registry import build_objective, objective_names
from mzlab.training.replay import ReplayBuffer

K = 3
S = 4
B = 6


def tiny_config(objective, **training):
    config = preset("cartpole")
    return dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, encoding_size=4, hidden_layers=(6,), support_size=S),
        # the references below spell out the default loss conventions (the cartpole preset takes muzero-general's)
        training=dataclasses.replace(config.training, objective=objective, value_loss_weight=0.5,
                                     consistency_projection_size=5, consistency_predictor_hidden_size=3,
                                     reconstruction_decoder_layers=(7,), gradient_scale_mode="dynamics_input",
                                     unroll_loss_scale="fixed", **training),
    )


def tiny_batch(seed=0, *, inside=None):
    if inside is None:  # sample 1 ends after step 1, sample 4 after step 2: their later steps are past the end
        inside = torch.ones(B, K + 1, dtype=torch.bool)
        inside[1, 2:] = False
        inside[4, 3:] = False
    return random_training_batch(inside, seed=seed)


def network_and_objective(config, seed=0):
    torch.manual_seed(seed)
    network = build_network(config, (3,), 2).double()
    objective = build_objective(config, network).double()
    network.train()
    objective.train()
    return network, objective


def muzero_reference(network, batch, config):
    return unroll_loss(network, batch.observations, batch.actions, batch.target_values, batch.target_rewards,
                       batch.target_policies, batch.weights, value_loss_weight=config.training.value_loss_weight,
                       support_size=S)


def unrolled_latents(network, batch):
    """s_0 .. s_K by hand, with MuZero's 1/2 gradient scale entering each dynamics step."""
    latents = [network.representation(batch.observations)]
    for k in range(K):
        latents.append(network.dynamics(scale_gradient(latents[-1], 0.5), batch.actions[:, k])[0])
    return latents


def batch_norm(x, layer):
    """Training-mode batch norm by its formula (biased variance over the batch)."""
    mean = x.mean(0)
    variance = ((x - mean) ** 2).mean(0)
    return (x - mean) / torch.sqrt(variance + layer.eps) * layer.weight + layer.bias


def linear(x, layer):
    return x @ layer.weight.T + layer.bias


def projection_by_hand(x, heads):
    p = heads.projection
    x = torch.relu(batch_norm(linear(x, p[0]), p[1]))
    x = torch.relu(batch_norm(linear(x, p[3]), p[4]))
    return batch_norm(linear(x, p[6]), p[7])


def predictor_by_hand(x, heads):
    q = heads.predictor
    return linear(torch.relu(batch_norm(linear(x, q[0]), q[1])), q[3])


def cosine_by_hand(a, b):
    return (a * b).sum(1) / (a.norm(dim=1).clamp_min(1e-5) * b.norm(dim=1).clamp_min(1e-5))


def gradients(loss, modules):
    parameters = [p for module in modules for p in module.parameters()]
    return torch.autograd.grad(loss, parameters, allow_unused=True, retain_graph=True)


# --------------------------------------------------------------------------------------------------- registry


def test_registry_lists_every_objective_file_with_muzero_first():
    """muzero first, then every other file of the package (but base and registry) alphabetically: a new
    objective is its file alone."""
    from pathlib import Path

    import mzlab.training.objectives as package

    files = sorted(path.stem for path in Path(package.__file__).parent.glob("*.py")
                   if not path.stem.startswith("_") and path.stem not in ("base", "registry", "muzero"))
    assert objective_names() == ("muzero", *files)
    assert {"consistency", "reconstruction"} <= set(files)


@pytest.mark.parametrize("override, key, allowed", [
    ("training.objective=world_model", "training.objective", ", ".join(objective_names())),
    ("training.reconstruction_mode=frozen", "training.reconstruction_mode", "joint, probe"),
    ("network.kind=transformer", "network.kind", "fully_connected, resnet"),
])
def test_unknown_registered_value_is_one_line_naming_the_allowed(override, key, allowed):
    with pytest.raises(MzlabError) as info:
        validate(apply_overrides(preset("cartpole"), [override]))
    message = str(info.value)
    assert f"'{key}'" in message and allowed in message and "\n" not in message


# --------------------------------------------------------------------------------------------------- muzero


def test_muzero_objective_is_unroll_loss():
    config = tiny_config("muzero")
    network, objective = network_and_objective(config)
    batch = tiny_batch()
    output = objective(network, batch, config)
    expected = muzero_reference(network, batch, config)
    assert list(objective.parameters()) == [] and objective.batch_fields == frozenset()
    torch.testing.assert_close(output.total, expected.total, rtol=0, atol=0)
    torch.testing.assert_close(output.predicted_values, expected.predicted_values, rtol=0, atol=0)
    assert {k: float(v) for k, v in output.metrics.items()} == {
        "losses/total": float(expected.total.detach()), "losses/value": float(expected.value),
        "losses/reward": float(expected.reward), "losses/policy": float(expected.policy)}


# --------------------------------------------------------------------------------------------------- consistency


def consistency_by_hand(network, heads, batch, config):
    latents = unrolled_latents(network, batch)
    per_sample = torch.zeros(B, dtype=torch.float64)
    for k in range(1, K + 1):
        online = predictor_by_hand(projection_by_hand(latents[k], heads), heads)
        target = projection_by_hand(network.representation(batch.unroll_observations[:, k]), heads).detach()
        per_sample = per_sample - cosine_by_hand(online, target) * batch.inside[:, k] / K
    return config.training.consistency_weight * (batch.weights * per_sample).mean(), per_sample


def test_consistency_loss_and_gradient_match_the_hand_computation():
    config = tiny_config("consistency", consistency_weight=2.0)
    network, objective = network_and_objective(config)
    batch = tiny_batch()
    output = objective(network, batch, config)
    extra, per_sample = consistency_by_hand(network, objective, batch, config)
    expected = muzero_reference(network, batch, config).total + extra
    torch.testing.assert_close(output.total, expected, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(output.metrics["losses/consistency"], per_sample.mean(), rtol=1e-10, atol=1e-12)
    assert float(per_sample[1].detach()) >= -1.0 / K - 1e-12  # only step 1 of sample 1 lies inside its game
    # the target branch carries no gradient: same gradients as the reference whose target is detached
    for actual, wanted in zip(gradients(output.total, [network, objective]),
                              gradients(expected, [network, objective]), strict=True):
        if wanted is None:
            assert actual is None or torch.count_nonzero(actual) == 0
        else:
            torch.testing.assert_close(actual, wanted, rtol=1e-9, atol=1e-12)
    # the predictor and the projection are trained; the projection's last batch norm too
    assert torch.count_nonzero(torch.autograd.grad(output.total, objective.predictor[0].weight, retain_graph=True)[0])


def test_consistency_is_zero_when_no_unrolled_step_lies_inside_the_game():
    config = tiny_config("consistency")
    network, objective = network_and_objective(config)
    only_first = torch.zeros(B, K + 1, dtype=torch.bool)
    only_first[:, 0] = True
    batch = tiny_batch(inside=only_first)
    output = objective(network, batch, config)
    torch.testing.assert_close(output.metrics["losses/consistency"], torch.zeros((), dtype=torch.float64))
    torch.testing.assert_close(output.total, muzero_reference(network, batch, config).total)


# --------------------------------------------------------------------------------------------------- reconstruction


def reconstruction_by_hand(network, heads, batch, config):
    latents = unrolled_latents(network, batch)
    per_sample = []
    for b in range(B):
        total = 0.0
        for k in range(K + 1):
            if not batch.inside[b, k]:
                continue
            decoded = heads.decoder(latents[k][b : b + 1])[0]
            error = sum((decoded[i] - batch.unroll_observations[b, k, i]) ** 2 for i in range(3)) / 3
            total = total + (1.0 if k == 0 else 1.0 / K) * error
        per_sample.append(total)
    per_sample = torch.stack(per_sample)
    return config.training.reconstruction_weight * (batch.weights * per_sample).mean(), per_sample


@pytest.mark.parametrize("mode", ["joint", "probe"])
def test_reconstruction_loss_matches_the_hand_computation(mode):
    config = tiny_config("reconstruction", reconstruction_weight=0.7, reconstruction_mode=mode)
    network, objective = network_and_objective(config)
    batch = tiny_batch(1)
    output = objective(network, batch, config)
    extra, per_sample = reconstruction_by_hand(network, objective, batch, config)
    torch.testing.assert_close(output.total, muzero_reference(network, batch, config).total + extra,
                               rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(output.metrics["losses/reconstruction"], per_sample.mean(), rtol=1e-10, atol=1e-12)


def test_probe_mode_leaves_the_agent_gradient_exactly_muzero_and_joint_changes_it():
    batch = tiny_batch(2)
    muzero_config = tiny_config("muzero")
    network, _ = network_and_objective(muzero_config)
    muzero_grads = gradients(muzero_reference(network, batch, muzero_config).total, [network])
    for mode, same in (("probe", True), ("joint", False)):
        config = tiny_config("reconstruction", reconstruction_mode=mode)
        network, objective = network_and_objective(config)
        output = objective(network, batch, config)
        network_grads = torch.autograd.grad(output.total, list(network.parameters()), retain_graph=True)
        equal = all(torch.equal(a, b) for a, b in zip(network_grads, muzero_grads, strict=True))
        assert equal == same, mode
        decoder_grad = torch.autograd.grad(output.total, objective.decoder[0].weight)[0]
        assert torch.count_nonzero(decoder_grad) > 0


def test_objectives_refuse_a_batch_without_unroll_observations():
    config = tiny_config("consistency")
    network, objective = network_and_objective(config)
    with pytest.raises(MzlabError, match="unroll_observations"):
        objective(network, dataclasses.replace(tiny_batch(), unroll_observations=None), config)


# --------------------------------------------------------------------------------------------------- replay


def test_replay_gives_the_observation_of_every_unroll_step_only_when_asked():
    config = ReplayConfig(num_unroll_steps=K, td_steps=2, prioritized=False)
    buffer = ReplayBuffer(config, observation_shape=(2,), observation_dtype=np.float32, num_actions=2,
                          discount=0.9)
    games = [np.arange(10, dtype=np.float32).reshape(5, 2), 100 + np.arange(6, dtype=np.float32).reshape(3, 2)]
    for observations in games:
        length = len(observations)
        buffer.add_game(observations, np.zeros(length, np.int64), np.ones(length), np.zeros(length),
                        np.full((length, 2), 0.5))
    rng = np.random.default_rng(0)
    assert buffer.sample(4, rng).unroll_observations is None
    ids = np.array([0, 3, 4, 5, 7])  # game 1 positions 0, 3, 4; game 2 positions 0, 2
    batch = buffer.gather(ids, rng, fields={"unroll_observations"})
    starts, lengths = np.array([0, 0, 0, 5, 5]), np.array([5, 5, 5, 3, 3])
    for b, position_id in enumerate(ids):
        game = games[0] if starts[b] == 0 else games[1]
        for k in range(K + 1):
            t = position_id - starts[b] + k
            expected = game[t] if t < lengths[b] else np.zeros(2)
            np.testing.assert_array_equal(batch.unroll_observations[b, k], expected)
            assert batch.inside[b, k] == (t < lengths[b])
    with pytest.raises(MzlabError, match="'next_frames'"):
        buffer.gather(ids, rng, fields={"next_frames"})
