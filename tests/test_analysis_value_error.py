"""Eqs. 3-7 on the hand-built ring MDP against hand-computed numbers and a brute-force reference."""

import itertools

import numpy as np
import pytest
from analysis_fakes import ERRORS, POLICY, REWARDS, RingSimulator, TableModel, TablePolicy, learned_model, start_states

from mzlab.analysis.returns import predicted_returns, true_returns
from mzlab.analysis.sequence_rank import evaluate_all_sequences, rank_sequences, sequence_rank_frame
from mzlab.analysis.value_error import policy_value_error, sample_sequences, value_error_frame

GAMMA = 0.9


def reference_returns(state, actions, table, *, horizon=3, stop_at_end=True):
    """Plain-Python Eq. 3 (``stop_at_end``) or the never-terminating table model's Eq. 4, every prefix."""
    total, returns = 0.0, []
    for i, action in enumerate(actions):
        ended = stop_at_end and i >= horizon
        total += 0.0 if ended else GAMMA**i * table[state, action]
        state = (state + 1 + action) % 3
        returns.append(total)
    return returns


def reference_probability(state, actions, *, horizon=3):
    probability = 1.0
    for i, action in enumerate(actions):
        probability *= 0.5 if i >= horizon else POLICY[state, action]
        state = (state + 1 + action) % 3
    return probability


def test_true_and_predicted_returns_match_hand_computation():
    snapshots, observations = start_states([0])
    actions = np.array([[0, 1, 1, 0]])
    true = true_returns(RingSimulator(), snapshots, actions, discount=GAMMA)
    predicted = predicted_returns(learned_model(), observations, actions, discount=GAMMA)
    # r = 1, 2, 0 then the episode has ended (reward 0); the model says 1.5, 1, 0, then 3.25 past the end.
    np.testing.assert_allclose(true[0], [1.0, 2.8, 2.8, 2.8])
    np.testing.assert_allclose(predicted[0], [1.5, 2.4, 2.4, 2.4 + 0.729 * 3.25])


def test_perfect_model_has_zero_error_for_every_sequence_and_policy():
    snapshots, observations = start_states([0, 1, 2])
    perfect = TableModel(REWARDS, GAMMA)
    simulator = RingSimulator(horizon=10)  # no termination inside the horizon: the table model is exact
    evaluation = evaluate_all_sequences(
        simulator, TablePolicy(), perfect, snapshots, observations, length=4, discount=GAMMA,
        rng=np.random.default_rng(0),
    )
    assert np.all(evaluation.errors == 0.0)
    sequences = sample_sequences(
        simulator, TablePolicy(), snapshots, observations, num_samples=16, length=5, rng=np.random.default_rng(1)
    )
    error = policy_value_error(perfect, snapshots, observations, sequences, discount=GAMMA)
    assert np.all(error.policy_error == 0.0) and np.all(error.mean_sequence_error == 0.0)


def test_def2_with_deterministic_policy_equals_hand_values():
    snapshots, observations = start_states([0])
    policy = TablePolicy(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    sequences = sample_sequences(
        RingSimulator(), policy, snapshots, observations, num_samples=3, length=3, rng=np.random.default_rng(0)
    )
    np.testing.assert_array_equal(sequences.actions[0], [[0, 1, 0]] * 3)
    error = policy_value_error(learned_model(), snapshots, observations, sequences, discount=GAMMA)
    np.testing.assert_allclose(error.true_value[0], [1.0, 2.8, 3.61])
    np.testing.assert_allclose(error.predicted_value[0], [1.5, 2.4, 3.615])
    np.testing.assert_allclose(error.policy_error[0], [0.5, 0.4, 0.005], atol=1e-12)
    np.testing.assert_allclose(error.mean_sequence_error[0], [0.5, 0.4, 0.005], atol=1e-12)
    frame = value_error_frame(error, [1, 3], step=7)
    assert list(frame.columns) == [
        "step", "horizon", "state_index", "true_value", "predicted_value", "policy_error",
        "mean_sequence_error", "num_samples",
    ]
    np.testing.assert_allclose(frame["policy_error"], [0.5, 0.005], atol=1e-12)


def test_sequence_probabilities_returns_and_ranks_match_brute_force():
    snapshots, observations = start_states([0, 2])
    length = 4  # one step past the episode end (horizon 3): uniform actions there
    evaluation = evaluate_all_sequences(
        RingSimulator(), TablePolicy(), learned_model(), snapshots, observations, length=length, discount=GAMMA,
        rng=np.random.default_rng(0),
    )
    sequences = list(itertools.product([0, 1], repeat=length))
    np.testing.assert_array_equal(evaluation.sequences, sequences)
    for row, state in enumerate([0, 2]):
        expected_p = [reference_probability(state, seq) for seq in sequences]
        expected_g = [reference_returns(state, seq, REWARDS)[-1] for seq in sequences]
        expected_hat = [reference_returns(state, seq, REWARDS + ERRORS, stop_at_end=False)[-1] for seq in sequences]
        np.testing.assert_allclose(evaluation.probabilities[row], expected_p)
        np.testing.assert_allclose(evaluation.true_returns[row], expected_g)
        np.testing.assert_allclose(evaluation.predicted_returns[row], expected_hat)
        assert evaluation.probabilities[row].sum() == pytest.approx(1.0)
    # hand value: from state 0, (0, 1, 1, *) has probability 0.5 * 0.75 * 0.5 * 0.5
    assert evaluation.probabilities[0, 0b0110] == pytest.approx(0.09375)
    # from state 2 the policy always plays 0 first: every sequence starting with 1 has probability 0
    assert np.all(evaluation.probabilities[1, 8:] == 0.0)


def test_ranks_order_least_to_most_likely_with_stable_ties():
    ranks = rank_sequences(np.array([[0.2, 0.1, 0.2, 0.5], [0.25, 0.25, 0.25, 0.25]]))
    np.testing.assert_array_equal(ranks, [[1, 0, 2, 3], [0, 1, 2, 3]])


def test_sequence_rank_frame_columns_and_rank_of_most_likely():
    snapshots, observations = start_states([1])
    evaluation = evaluate_all_sequences(
        RingSimulator(), TablePolicy(), learned_model(), snapshots, observations, length=2, discount=GAMMA,
        rng=np.random.default_rng(0),
    )
    frame = sequence_rank_frame(evaluation, step=3)
    assert list(frame.columns) == [
        "step", "state_index", "sequence", "rank", "probability", "true_return", "predicted_return", "error",
    ]
    # from state 1: pi(1|1) = 0.75 -> state 1+2 = 0 -> pi(.|0) = 0.5 each: "10" and "11" tie at 0.375, the
    # later one in enumeration order gets the top rank; "00" = 0.25 * 0.5 -> state 2 -> pi(0|2) = 1.
    top = frame.sort_values("rank").iloc[-1]
    assert top["sequence"] == "11" and top["probability"] == pytest.approx(0.375)
    assert frame.set_index("sequence").loc["01", "probability"] == 0.0


def test_monte_carlo_def2_converges_to_exact_enumeration():
    snapshots, observations = start_states([0, 1])
    model = learned_model()
    exact = evaluate_all_sequences(
        RingSimulator(), TablePolicy(), model, snapshots, observations, length=3, discount=GAMMA,
        rng=np.random.default_rng(0),
    )
    sequences = sample_sequences(
        RingSimulator(), TablePolicy(), snapshots, observations, num_samples=20_000, length=3,
        rng=np.random.default_rng(5),
    )
    error = policy_value_error(model, snapshots, observations, sequences, discount=GAMMA)
    np.testing.assert_allclose(error.policy_error[:, -1], exact.policy_error(), atol=0.03)
    np.testing.assert_allclose(error.mean_sequence_error[:, -1], exact.mean_sequence_error(), atol=0.03)
    np.testing.assert_allclose(error.true_value[:, -1], (exact.probabilities * exact.true_returns).sum(1), atol=0.05)


def test_chunked_evaluation_equals_one_batch():
    from mzlab.analysis.sequence_rank import concatenate_evaluations, states_per_chunk

    assert states_per_chunk(2, 10, 16) == 61035 and states_per_chunk(4, 5, 4 * 96 * 96 * 4) == 6
    snapshots, observations = start_states([0, 1, 2])
    arguments = dict(length=3, discount=GAMMA, rng=np.random.default_rng(0))
    model = learned_model()
    whole = evaluate_all_sequences(RingSimulator(), TablePolicy(), model, snapshots, observations, **arguments)
    parts = [
        evaluate_all_sequences(RingSimulator(), TablePolicy(), learned_model(), snapshots[i : i + 2],
                               observations[i : i + 2], **arguments)
        for i in (0, 2)
    ]
    joined = concatenate_evaluations(parts)
    np.testing.assert_array_equal(joined.probabilities, whole.probabilities)
    np.testing.assert_array_equal(joined.predicted_returns, whole.predicted_returns)
