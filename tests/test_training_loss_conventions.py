"""The paper's agents' loss conventions, pinned against their formulas on a two-step (K = 2) toy network.

Reference: the network is untied (step ``i`` of the unroll runs on its own copy), every loss term (value +
policy of step ``k``, reward of step ``k``) is differentiated on its own, and each piece of gradient is
multiplied by the number of 1/2 factors its path crosses, counted by hand from where each convention puts them:

- ``dynamics_input``: on the latent entering every dynamics step ``g_1 .. g_K``;
- ``pseudocode``: on the latent entering ``g_2 .. g_K`` (MuZero's pseudocode scales after each recurrent step);
- ``latent_hook``: on every dynamics output ``s_1 .. s_K`` (muzero-general ``trainer.py``: ``hidden_state.
  register_hook(lambda grad: grad * 0.5)`` after each ``recurrent_inference``); the reward head reads the latent
  before that point, the prediction function after it.

and by the step weights: ``fixed`` 1/K for k >= 1, ``steps_left`` 1/min(K, T - t + 1) for k >= 1
(muzero-general ``replay_buffer.py``: ``min(num_unroll_steps, len(action_history) - game_pos)``, the action
history holding one dummy action more than the moves), ``whole`` 1/K on everything (EfficientZero ``train.py``:
``total_loss.register_hook(lambda grad: grad * gradient_scale)`` with ``gradient_scale = 1 / num_unroll_steps``).
"""

import copy

import numpy as np
import pytest
import torch

from mzlab.config import NetworkConfig, ReplayConfig
from mzlab.networks.fully_connected import FullyConnectedMuZero
from mzlab.networks.support import scalar_to_support
from mzlab.training.learner import learning_rate
from mzlab.training.losses import cross_entropy, moves_left, unroll_loss, unroll_step_weights
from mzlab.training.replay import ReplayBuffer

K = 2
S = 3


def toy_inputs(batch=4):
    generator = torch.Generator().manual_seed(3)
    observations = torch.randn(batch, 3, generator=generator, dtype=torch.float64)
    actions = torch.randint(0, 2, (batch, K), generator=generator)
    values = torch.randn(batch, K + 1, generator=generator, dtype=torch.float64) * 2
    rewards = torch.randn(batch, K + 1, generator=generator, dtype=torch.float64)
    policies = torch.softmax(torch.randn(batch, K + 1, 2, generator=generator, dtype=torch.float64), -1)
    weights = torch.rand(batch, generator=generator, dtype=torch.float64) + 0.5
    return observations, actions, values, rewards, policies, weights


def toy_network():
    torch.manual_seed(5)
    return FullyConnectedMuZero(3, 2, NetworkConfig(encoding_size=3, hidden_layers=(4,), support_size=S)).double()


def group(name: str) -> str:
    """Which function a parameter belongs to: ``h``, ``g`` (state and reward nets) or ``f``."""
    return "h" if name.startswith("representation") else "g" if name.startswith("dynamics") else "f"


def halvings(mode: str, term: str, k: int, copy_index: int, function: str) -> int:
    """How many 1/2 factors the gradient of ``term`` (``pred`` or ``reward``) of step ``k`` crosses on its way to
    the parameters of ``function`` in the copy used at step ``copy_index`` (``h``/``f`` at 0, ``g``/``f`` after)."""
    i = copy_index
    if mode == "dynamics_input":  # inputs of g_{i+1} .. g_k
        return k - i
    if mode == "pseudocode":  # inputs of g_j, j >= 2, among g_{i+1} .. g_k
        return len([j for j in range(i + 1, k + 1) if j >= 2])
    assert mode == "latent_hook"  # outputs s_j, j >= 1, crossed on the way back from the term
    if term == "pred":  # f reads s_k: crosses s_k .. s_{i} for g_i (i >= 1), s_k .. s_1 for h; none for f_k
        if function == "f":
            return 0
        return k - i + 1 if i >= 1 else k
    # reward of step k is read inside g_k before s_k: crosses s_{k-1} .. s_i (g_i), s_{k-1} .. s_1 (h)
    if i == k:
        return 0
    return k - i if i >= 1 else k - 1


def untied_terms(copies, observations, actions, values, rewards, policies, weights):
    """``[(term, k, weighted per-sample loss [B])]``, step ``k`` computed with ``copies[k]``."""
    value_targets, reward_targets = scalar_to_support(values, S), scalar_to_support(rewards, S)
    out = copies[0].initial_inference(observations)
    terms = [("pred", 0, weights * (cross_entropy(out.value_logits, value_targets[:, 0])
                                    + cross_entropy(out.policy_logits, policies[:, 0])))]
    latent = out.latent
    for k in range(1, K + 1):
        out = copies[k].recurrent_inference(latent, actions[:, k - 1])
        latent = out.latent
        terms.append(("pred", k, weights * (cross_entropy(out.value_logits, value_targets[:, k])
                                            + cross_entropy(out.policy_logits, policies[:, k]))))
        terms.append(("reward", k, weights * cross_entropy(out.reward_logits, reward_targets[:, k])))
    return terms


@pytest.mark.parametrize("mode", ["dynamics_input", "pseudocode", "latent_hook"])
@pytest.mark.parametrize("scale", ["fixed", "steps_left", "whole"])
def test_gradient_matches_each_convention_by_hand(mode, scale):
    network = toy_network()
    inputs = toy_inputs()
    moves = torch.tensor([1, 2, 3, 9])  # T - t: the last move, two before the end, ...
    step_weights = unroll_step_weights(scale, K, moves).double()
    loss = unroll_loss(network, *inputs, value_loss_weight=1.0, support_size=S, gradient_scale_mode=mode,
                       step_weights=step_weights)
    names = [name for name, _ in network.named_parameters()]
    actual = torch.autograd.grad(loss.total, list(network.parameters()))

    by_hand = {  # the step factor of each convention, per sample, written out for K = 2
        "fixed": lambda k: torch.full((4,), 1.0 if k == 0 else 1 / K, dtype=torch.float64),
        "steps_left": lambda k: torch.ones(4, dtype=torch.float64) if k == 0 else
        torch.tensor([1 / min(K, m + 1) for m in (1, 2, 3, 9)], dtype=torch.float64),
        "whole": lambda k: torch.full((4,), 1 / K, dtype=torch.float64),
    }[scale]
    copies = [copy.deepcopy(network) for _ in range(K + 1)]
    expected = {name: torch.zeros_like(p) for name, p in network.named_parameters()}
    for term, k, per_sample in untied_terms(copies, *inputs):
        term_loss = (by_hand(k) * per_sample).mean()
        for i in range(k + 1):
            grads = torch.autograd.grad(term_loss, list(copies[i].parameters()), retain_graph=True,
                                        allow_unused=True)
            for name, grad in zip(names, grads, strict=True):
                if grad is not None:
                    expected[name] += 0.5 ** halvings(mode, term, k, i, group(name)) * grad
    for name, grad in zip(names, actual, strict=True):
        torch.testing.assert_close(grad, expected[name], rtol=1e-9, atol=1e-12, msg=f"{mode} {scale} {name}")


def test_latent_hook_halves_what_reaches_dynamics_from_prediction():
    """The one-line difference: f's gradient into g_k's parameters is 1/2 with the hook, 1 without."""
    network = toy_network()
    inputs = toy_inputs()
    grads = {}
    for mode in ("dynamics_input", "latent_hook"):
        network.zero_grad()
        observations, actions, values, rewards, policies, weights = inputs
        loss = unroll_loss(network, observations, actions, values, torch.zeros_like(rewards), policies, weights,
                           value_loss_weight=1.0, support_size=S, gradient_scale_mode=mode)
        grads[mode] = torch.autograd.grad(loss.total, [network.dynamics_state_net[0].weight])[0]
    assert not torch.allclose(grads["dynamics_input"], grads["latent_hook"])


def test_steps_left_matches_muzero_general_on_a_stored_game():
    """muzero-general: scale = min(K, len(action_history) - game_pos), action_history = [dummy] + T moves."""
    num_unroll = 3
    length = 7
    buffer = ReplayBuffer(ReplayConfig(num_unroll_steps=num_unroll, td_steps=2, prioritized=False),
                          observation_shape=(2,), observation_dtype=np.float32, num_actions=2, discount=0.9)
    buffer.add_game(np.zeros((length, 2), np.float32), np.zeros(length, np.int64), np.ones(length),
                    np.zeros(length), np.full((length, 2), 0.5))
    batch = buffer.gather(np.arange(length), np.random.default_rng(0))
    weights = unroll_step_weights("steps_left", num_unroll, torch.as_tensor(moves_left(batch.inside)))
    action_history_length = length + 1
    muzero_general = [min(num_unroll, action_history_length - pos) for pos in range(length)]
    np.testing.assert_allclose(weights[1:].numpy(), np.tile(1.0 / np.array(muzero_general), (num_unroll, 1)),
                               rtol=1e-6)
    np.testing.assert_array_equal(weights[0].numpy(), np.ones(length))


def test_efficientzero_learning_rate_warm_up_then_staircase():
    """EfficientZero core/train.py adjust_lr: lr_init * step / warm_step, then lr_init * rate ** ((s - warm) // d)."""
    def adjust_lr(step, *, lr_init=0.2, warm=1000, rate=0.1, decay=100_000):
        if step < warm:
            return lr_init * step / warm
        return lr_init * rate ** ((step - warm) // decay)

    for step in (0, 1, 500, 999, 1000, 1001, 100_999, 101_000, 250_000, 499_999):
        ours = learning_rate(step, initial=0.2, decay_rate=0.1, decay_steps=100_000, warmup_steps=1000,
                             staircase=True)
        assert ours == pytest.approx(adjust_lr(step), rel=1e-12), step
    assert learning_rate(30_000, initial=0.02, decay_rate=0.1, decay_steps=50_000) == pytest.approx(
        0.02 * 0.1 ** 0.6)
