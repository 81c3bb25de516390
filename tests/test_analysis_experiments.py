"""Cross-step matrix, search-prior metrics, episodes, schedules, options and cache on the hand-built ring MDP."""

import math

import numpy as np
import pandas as pd
import pytest
from analysis_fakes import ERRORS, REWARDS, RingSimulator, TableModel, TablePolicy, learned_model, start_states

from mzlab.analysis.cache import ResultCache
from mzlab.analysis.cross_step import cross_step_frame
from mzlab.analysis.episodes import run_episodes
from mzlab.analysis.on_policy import draw_states
from mzlab.analysis.options import AnalysisOptions, default_sequence_length
from mzlab.analysis.policies import behaviour_policy
from mzlab.analysis.search_prior import kl_divergence, path_errors, search_prior_frame, total_variation
from mzlab.analysis.sequence_rank import evaluate_all_sequences
from mzlab.analysis.value_error import policy_value_error, sample_sequences
from mzlab.config import SearchConfig, preset
from mzlab.errors import MzlabError
from mzlab.search import TrueModel, run_search
from mzlab.search.acting import visit_temperature

GAMMA = 0.9
ALWAYS_0 = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
ALTERNATE = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])


def test_cross_step_matrix_equals_hand_values():
    # model 0 has the errors E; model 1 is exact except +1 on (s=1, a=0).
    model_1 = TableModel(REWARDS + np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]), GAMMA)
    snapshots, observations = start_states([0])
    frame = cross_step_frame(
        RingSimulator(),
        {0: learned_model(), 1: model_1},
        {0: TablePolicy(ALWAYS_0), 1: TablePolicy(ALTERNATE)},
        {0: (snapshots, observations), 1: (snapshots, observations)},
        horizons=[1, 2, 3],
        num_samples=2,
        discount=GAMMA,
        rng_for=lambda x, y: np.random.default_rng(x * 10 + y),
    )
    errors = frame.set_index(["model_step", "policy_step", "horizon"])["policy_error"]
    # always 0 from s=0 visits (0,0) -> 1 -> (1,0) -> 2 -> (2,0); alternate visits (0,0) -> (1,1) -> (0,0)
    # model 0 errors per step: always-0: 0.5, 0, 0.25; alternate: 0.5, -1, 0.5
    expected = {
        (0, 0): [0.5, 0.5, 0.5 + 0.81 * 0.25],
        (0, 1): [0.5, abs(0.5 - 0.9), abs(0.5 - 0.9 + 0.81 * 0.5)],
        (1, 0): [0.0, 0.9, 0.9],
        (1, 1): [0.0, 0.0, 0.0],
    }
    for (x, y), values in expected.items():
        np.testing.assert_allclose([errors[(x, y, k)] for k in (1, 2, 3)], values, atol=1e-12)


def test_ground_truth_model_as_learned_model_gives_zero_error_everywhere():
    simulator = RingSimulator()
    perfect = TrueModel(simulator, discount=GAMMA)
    snapshots, observations = start_states([0, 1, 2])
    rng = np.random.default_rng(0)
    sequences = sample_sequences(simulator, TablePolicy(), snapshots, observations, num_samples=8, length=6, rng=rng)
    error = policy_value_error(perfect, snapshots, observations, sequences, discount=GAMMA)
    assert np.all(error.policy_error == 0) and np.all(error.mean_sequence_error == 0)
    evaluation = evaluate_all_sequences(
        simulator, TablePolicy(), perfect, snapshots, observations, length=5, discount=GAMMA, rng=rng
    )
    assert np.all(evaluation.errors == 0)
    frame = search_prior_frame(
        simulator, perfect, snapshots, observations, search_config=SearchConfig(), simulations=[4, 16],
        discount=GAMMA, rng=rng,
    )
    assert np.all(frame["path_error"] == 0)


def test_total_variation_and_kl_match_hand_values():
    visits = np.array([[0.75, 0.25], [1.0, 0.0]])
    prior = np.array([[0.5, 0.5], [0.2, 0.8]])
    np.testing.assert_allclose(total_variation(visits, prior), [0.25, 0.8])
    np.testing.assert_allclose(kl_divergence(visits, prior), [0.75 * math.log(1.5) + 0.25 * math.log(0.5), math.log(5)])


def test_path_errors_match_hand_values():
    snapshots, observations = start_states([0])
    paths = np.array([[[0, -1], [0, 1], [1, -1]]])
    lengths = np.array([[1, 2, 1]])
    errors = path_errors(RingSimulator(), learned_model(), snapshots, observations, paths, lengths, discount=GAMMA)
    np.testing.assert_allclose(errors, [[0.5, 0.4, 0.0]], atol=1e-12)


def test_search_prior_frame_agrees_with_the_search_it_ran():
    simulator = RingSimulator(horizon=20)
    model = learned_model()
    snapshots, observations = start_states([0, 1])
    config = SearchConfig(num_simulations=12, tie_break="first")  # rng-free, so the replay below agrees
    frame = search_prior_frame(
        simulator, model, snapshots, observations, search_config=config, simulations=[12], discount=GAMMA,
        rng=np.random.default_rng(0), priors=("policy", "uniform"),
    )
    prior = np.exp(model.prior_logits[[0, 1]])
    prior /= prior.sum(axis=1, keepdims=True)
    for prior_name in ("policy", "uniform"):
        rows = frame[frame["prior"] == prior_name].sort_values("state_index")
        search = SearchConfig(num_simulations=12, prior=prior_name, add_noise=False, tie_break="first")
        output = run_search(model, observations, config=search, rng=np.random.default_rng(0), snapshots=snapshots,
                            record_paths=True)
        for b, state in enumerate([0, 1]):
            errors = []
            for path in output.paths(b):
                true, predicted, s = 0.0, 0.0, state
                for i, action in enumerate(path):
                    true += GAMMA**i * REWARDS[s, action]
                    predicted += GAMMA**i * (REWARDS + ERRORS)[s, action]
                    s = (s + 1 + action) % 3
                errors.append(abs(true - predicted))
            assert rows["path_error"].iloc[b] == pytest.approx(np.mean(errors))
            tv = 0.5 * np.abs(output.visit_distribution[b] - prior[b]).sum()
            assert rows["tv_distance"].iloc[b] == pytest.approx(tv)
            assert rows["prior_entropy"].iloc[b] == pytest.approx(-(prior[b] * np.log(prior[b])).sum())
            favourite = int(np.argmax(prior[b]))
            assert rows["prior_top"].iloc[b] == pytest.approx(prior[b, favourite])
            assert rows["visits_on_prior_top"].iloc[b] == pytest.approx(output.visit_distribution[b, favourite])


def test_episodes_and_on_policy_pool_follow_the_policy():
    simulator = RingSimulator()
    episodes = run_episodes(simulator, TablePolicy(ALTERNATE), [0, 1], rng=np.random.default_rng(0),
                            record_states=True)
    # from 0: (0,0) r1 -> 1: (1,1) r2 -> 0: (0,0) r1 ; from 1: (1,1) r2 -> 0: (0,0) r1 -> 1: (1,1) r2
    np.testing.assert_allclose(episodes.returns, [4.0, 5.0])
    np.testing.assert_array_equal(episodes.lengths, [3, 3])
    assert len(episodes.snapshots) == 6 and set(episodes.time.tolist()) == {0, 1, 2}
    first = draw_states(episodes, 4, np.random.default_rng(3))
    again = draw_states(episodes, 4, np.random.default_rng(3))
    np.testing.assert_array_equal(first.snapshots, again.snapshots)
    assert len(set(map(tuple, first.snapshots.tolist()))) == 4  # without replacement
    capped = run_episodes(simulator, TablePolicy(ALTERNATE), [0], rng=np.random.default_rng(0), max_steps=2)
    np.testing.assert_allclose(capped.returns, [3.0])


def test_temperature_schedule_and_behaviour_policy_settings():
    config = preset("cartpole")
    assert [visit_temperature(s, config.training) for s in (0, 49_999, 50_000, 74_999, 75_000, 10**6)] == [
        1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert visit_temperature(123, preset("lunarlander").training) == 0.35
    sampled = behaviour_policy(learned_model(), config, 60_000)
    greedy = behaviour_policy(learned_model(), config, 60_000, greedy=True)
    assert (sampled.temperature, sampled.search_config.add_noise) == (0.5, True)
    assert (greedy.temperature, greedy.search_config.add_noise) == (0.0, False)
    assert behaviour_policy(learned_model(), config, 0, noise=False).search_config.add_noise is False


def test_option_defaults_and_errors():
    assert [default_sequence_length(a) for a in (2, 4, 18)] == [10, 5, 2]
    resolved = AnalysisOptions().resolve(preset("lunarlander"), 4)
    assert resolved.horizons == tuple(range(1, 11)) and resolved.sequence_length == 5
    assert resolved.planning_horizon == 30
    assert AnalysisOptions().resolve(preset("breakout"), 4).horizons == (1, 2, 3, 4, 5)
    for bad in (AnalysisOptions(horizons=(0, 3)), AnalysisOptions(num_states=0), AnalysisOptions(noise="loud")):
        with pytest.raises(MzlabError):
            bad.validate()


def test_cache_reuses_units_and_keys_on_options(tmp_path):
    cache = ResultCache(tmp_path)
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"x": [len(calls)]})

    first = cache.get_or_compute("value-error", {"run": "r", "options": {"n": 1}}, compute)
    second = cache.get_or_compute("value-error", {"run": "r", "options": {"n": 1}}, compute)
    third = cache.get_or_compute("value-error", {"run": "r", "options": {"n": 2}}, compute)
    assert len(calls) == 2 and first.equals(second) and third["x"].iloc[0] == 2
    assert (cache.hits, cache.misses) == (1, 2)


def test_quick_budget_keeps_explicit_choices_and_checkpoint_selection_is_even():
    from mzlab.analysis.planning import planning_settings
    from mzlab.analysis.session import evenly_spaced

    quick = AnalysisOptions(quick=True, horizons=(50,), num_states=2).with_quick()
    assert quick.num_states == 2 and quick.num_samples == 3 and quick.simulations == (2, 4)
    assert quick.resolve(preset("cartpole"), 2).horizons == (50,)
    assert AnalysisOptions(quick=True).with_quick().resolve(preset("cartpole"), 2).horizons == (1, 2, 3)
    assert evenly_spaced(list(range(0, 11000, 1000)), 5) == [0, 2000, 5000, 8000, 10000]
    assert evenly_spaced([0, 10], 5) == [0, 10]
    settings = planning_settings([5, 10], ["rollout"])
    assert settings[0] == ("none", "policy", "none", 0) and len(settings) == 1 + 2 * 2 * 2
