"""The compiled step's formulation of the loss against the eager step's (the per-step reference).

Under ``torch.compile`` the unroll runs the reward head once on the ``K`` steps stacked along the batch
(``unroll_loss(stacked_rewards=None)``), the min-max latent scaling takes its extremes from ``amin``/``amax``
and widening linear layers read their input column-major (``run_mlp``). Those switches read
``torch.compiler.is_compiling()``; here it is patched to ``True`` so the compiled formulation runs eagerly, and
its loss and gradients must equal the per-step formulation's (``False``, today's eager step: one ``dynamics``
call per step, reward head included) within 1e-6 in float64, for every objective and gradient-scaling switch.
No compilation happens in these tests (the compiled step itself: ``test_training_compiled.py``).
"""

import copy
import dataclasses

import pytest
import torch
from fakes import random_training_batch

from mzlab.config import preset
from mzlab.networks import build_network
from mzlab.training.losses import GRADIENT_SCALE_MODES, unroll_loss
from mzlab.training.objectives.registry import build_objective

K = 4
S = 5
B = 7


def tiny_config(objective, gradient_scale_mode, state_norm=True):
    config = preset("cartpole")
    return dataclasses.replace(
        config,
        network=dataclasses.replace(config.network, encoding_size=4, hidden_layers=(6,), support_size=S,
                                    state_norm=state_norm),
        training=dataclasses.replace(config.training, objective=objective, gradient_scale_mode=gradient_scale_mode,
                                     consistency_projection_size=5, consistency_predictor_hidden_size=3,
                                     reconstruction_decoder_layers=(7,)),
    )


def tiny_batch(seed=0):
    inside = torch.ones(B, K + 1, dtype=torch.bool)
    inside[2, 3:] = False
    return random_training_batch(inside, seed=seed)


def loss_and_gradients(network, objective, config, batch, *, compiled_formulation, monkeypatch):
    network, objective = copy.deepcopy(network), copy.deepcopy(objective)  # batch norm statistics move
    calls = []
    with monkeypatch.context() as patch:
        patch.setattr(torch.compiler, "is_compiling", lambda: compiled_formulation)
        for method in ("dynamics", "dynamics_reward"):
            original = getattr(network, method)
            patch.setattr(network, method, lambda *args, _method=method, _original=original: (
                calls.append(_method), _original(*args))[1])
        output = objective(network, batch, config)
    # which formulation ran: one reward head call on the stacked steps, or K dynamics calls (reward included)
    assert calls == (["dynamics_reward"] if compiled_formulation else ["dynamics", "dynamics_reward"] * K)
    return output, torch.autograd.grad(output.total, [*network.parameters(), *objective.parameters()])


@pytest.mark.parametrize("gradient_scale_mode", GRADIENT_SCALE_MODES)
@pytest.mark.parametrize("objective_name", ["muzero", "consistency", "reconstruction"])
def test_compiled_formulation_equals_the_per_step_unroll(objective_name, gradient_scale_mode, monkeypatch):
    config = tiny_config(objective_name, gradient_scale_mode)
    torch.manual_seed(3)
    network = build_network(config, (3,), 2).double()
    objective = build_objective(config, network).double()
    batch = tiny_batch()
    reference, reference_gradients = loss_and_gradients(network, objective, config, batch,
                                                        compiled_formulation=False, monkeypatch=monkeypatch)
    stacked, stacked_gradients = loss_and_gradients(network, objective, config, batch,
                                                    compiled_formulation=True, monkeypatch=monkeypatch)
    torch.testing.assert_close(stacked.total, reference.total, atol=1e-6, rtol=1e-6)
    for key, value in reference.metrics.items():
        torch.testing.assert_close(stacked.metrics[key], value, atol=1e-6, rtol=1e-6, msg=key)
    torch.testing.assert_close(stacked.predicted_values, reference.predicted_values, atol=1e-6, rtol=1e-6)
    names = [name for name, _ in network.named_parameters()] + [name for name, _ in objective.named_parameters()]
    assert len(names) == len(reference_gradients) == len(stacked_gradients)
    for name, expected, actual in zip(names, reference_gradients, stacked_gradients, strict=True):
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-6, msg=name)
    # the reward loss has a gradient (the stacked reward head is trained)
    assert reference_gradients[names.index("dynamics_reward_net.0.weight")].abs().sum() > 0


@pytest.mark.parametrize("state_norm", [True, False])
def test_stacked_rewards_switch_of_unroll_loss_changes_nothing_but_rounding(state_norm):
    config = tiny_config("muzero", "latent_hook", state_norm=state_norm)
    torch.manual_seed(5)
    network = build_network(config, (3,), 2).double()
    batch = tiny_batch(seed=1)
    results = []
    for stacked in (False, True):
        output = unroll_loss(network, batch.observations, batch.actions, batch.target_values, batch.target_rewards,
                             batch.target_policies, batch.weights, value_loss_weight=0.25, support_size=S,
                             gradient_scale_mode="latent_hook", stacked_rewards=stacked)
        results.append((output, torch.autograd.grad(output.total, list(network.parameters()))))
    (per_step, per_step_gradients), (stacked, stacked_gradients) = results
    for term in ("total", "value", "reward", "policy", "predicted_values"):
        torch.testing.assert_close(getattr(stacked, term), getattr(per_step, term), atol=1e-6, rtol=1e-6)
    for expected, actual in zip(per_step_gradients, stacked_gradients, strict=True):
        torch.testing.assert_close(actual, expected, atol=1e-6, rtol=1e-6)


def test_the_learner_puts_a_network_left_in_eval_mode_back_into_training(monkeypatch):
    from mzlab.training.learner import Learner

    config = tiny_config("consistency", "dynamics_input")
    network = build_network(config, (3,), 2)
    learner = Learner(network, config)
    network.eval()
    learner.objective.projection[1].eval()
    seen = []
    original = learner.objective.forward

    def spy(*args):
        seen.append(all(module.training for module in [*network.modules(), *learner.objective.modules()]))
        return original(*args)

    monkeypatch.setattr(learner.objective, "forward", spy)
    batch = tiny_batch()
    replay_batch = type("Batch", (), {
        "observations": batch.observations.float().numpy(), "actions": batch.actions.numpy(),
        "target_values": batch.target_values.float().numpy(), "target_rewards": batch.target_rewards.float().numpy(),
        "target_policies": batch.target_policies.float().numpy(), "weights": batch.weights.float().numpy(),
        "inside": batch.inside.numpy(), "unroll_observations": batch.unroll_observations.float().numpy()})()
    learner.train_step(replay_batch)
    assert seen == [True]
