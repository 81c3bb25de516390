"""``mzlab analyze`` on real Cart Pole checkpoints from a short training run: tables, figures, reuse, errors."""

import numpy as np
import pandas as pd
import pytest
import torch

from mzlab.analysis.policies import UniformPolicy
from mzlab.analysis.sequence_rank import evaluate_all_sequences
from mzlab.analysis.value_error import policy_value_error, sample_sequences
from mzlab.cli import main
from mzlab.envs.registry import make_simulator
from mzlab.runs import RunDirectory
from mzlab.search import TrueModel

COLUMNS = {
    "learning-curves": ["step", "policy", "actions", "episode", "return"],
    "value-error": ["step", "horizon", "state_index", "true_value", "predicted_value", "policy_error",
                    "mean_sequence_error", "num_samples"],
    "sequence-rank": ["step", "state_index", "sequence", "rank", "probability", "true_return", "predicted_return",
                      "error"],
    "cross-step": ["model_step", "policy_step", "horizon", "policy_error", "mean_sequence_error"],
    "search-prior": ["step", "prior", "leaf", "num_simulations", "path_error", "tv_distance", "kl_divergence",
                     "mean_depth", "prior_entropy", "prior_top", "visits_on_prior_top"],
    "search-prior-depth": ["step", "prior", "leaf", "num_simulations", "depth", "path_error", "path_fraction"],
    "planning": ["step", "model", "prior", "leaf", "num_simulations", "episode", "return"],
}


@pytest.fixture(scope="session")
def cartpole_run(tmp_path_factory):
    """A real Cart Pole run: 40 learner steps with a tiny budget, checkpoints at 0, 20 and 40."""
    run_dir = tmp_path_factory.mktemp("analysis") / "cartpole_run"
    overrides = ["training.training_steps=40", "training.checkpoint_interval=20", "training.batch_size=16",
                 "search.num_simulations=4", "training.warmup_games=1", "training.num_actors=2"]
    args = ["train", "--env", "cartpole", "--seed", "3", "--run-dir", str(run_dir), "--no-progress"]
    for override in overrides:
        args += ["--set", override]
    assert main(args) == 0
    assert RunDirectory.open(run_dir).checkpoint_steps() == [0, 20, 40]
    return run_dir


@pytest.fixture(autouse=True)
def single_thread():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_all_experiments_quick_write_tables_and_figures_then_reuse_them(cartpole_run, tmp_path, capsys, monkeypatch):
    import mzlab.analysis.session as session_module

    samples = []
    original = session_module.sample_on_policy_states
    monkeypatch.setattr(session_module, "sample_on_policy_states",
                        lambda *a, **k: samples.append(1) or original(*a, **k))
    out = tmp_path / "results"
    args = ["analyze", "all", "--run-dir", str(cartpole_run), "--out", str(out), "--quick", "--steps", "0", "40"]
    assert main(args) == 0
    assert len(samples) == 2  # one on-policy sample per checkpoint, shared by every experiment of `all`
    for experiment, columns in COLUMNS.items():
        table = pd.read_parquet(out / f"{experiment}.parquet")
        assert set(["env", "seed", *columns]) <= set(table.columns), experiment
        assert len(table) > 0 and (table["env"] == "cartpole").all() and (table["seed"] == 3).all()
        assert (out / f"{experiment}.png").stat().st_size > 0 and (out / f"{experiment}.svg").stat().st_size > 0
    value_error = pd.read_parquet(out / "value-error.parquet")
    assert sorted(value_error["horizon"].unique()) == [1, 2, 3] and sorted(value_error["step"].unique()) == [0, 40]
    assert np.isfinite(value_error["policy_error"]).all() and (value_error["policy_error"] >= 0).all()
    ranks = pd.read_parquet(out / "sequence-rank.parquet")
    assert ranks.groupby(["step", "state_index"])["probability"].sum().to_numpy() == pytest.approx(1.0)
    assert ranks.groupby(["step", "state_index"]).size().eq(8).all()  # 2^3 sequences in the quick budget
    cross = pd.read_parquet(out / "cross-step.parquet")
    assert set(zip(cross["model_step"], cross["policy_step"], strict=True)) == {(0, 0), (0, 40), (40, 0), (40, 40)}
    assert sorted(cross["horizon"].unique()) == [1, 2, 3, 5]  # Fig. 5's horizons and Fig. 9's (quick: 5)
    search = pd.read_parquet(out / "search-prior.parquet")
    assert set(search["leaf"]) == {"rollout"}  # the paper's Section 4 leaves by default
    capsys.readouterr()

    before = value_error.copy()
    assert main(["analyze", "value-error", "--run-dir", str(cartpole_run), "--out", str(out), "--quick",
                 "--steps", "0", "40"]) == 0
    assert "2 reused, 0 computed" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "value-error.parquet"), before)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["value-error", "--horizons", "0"], "--horizons must be integers in [1, 1000000]"),
        (["value-error", "--horizons", "1000000"], "--horizons 1000000 is longer than an episode"),
        (["value-errors"], "unknown experiment 'value-errors'"),
        (["value-error", "--steps", "7"], "has no checkpoint at step 7"),
        (["planning", "--num-states", "0"], "--num-states must be an integer in [1, 1000000]"),
        (["sequence-rank", "--noise-draws", "0"], "--noise-draws must be an integer in [1, 1000000]"),
        (["cross-step", "--long-horizon", "-1"], "--long-horizon must be an integer in [0, 1000000]"),
    ],
)
def test_invalid_options_give_one_line_errors_and_touch_nothing(cartpole_run, tmp_path, capsys, extra, message):
    out = tmp_path / "results"
    out.mkdir()
    (out / "value-error.parquet").write_bytes(b"keep me")
    code = main(["analyze", extra[0], "--run-dir", str(cartpole_run), "--out", str(out), "--quick", *extra[1:]])
    error = capsys.readouterr().err.strip()
    assert code == 2 and error.startswith("mzlab: error: ") and message in error and "\n" not in error
    assert (out / "value-error.parquet").read_bytes() == b"keep me"


def test_ground_truth_model_has_zero_error_on_cartpole(cartpole_run):
    run = RunDirectory.open(cartpole_run)
    simulator = make_simulator(run.config.env)
    perfect = TrueModel(simulator, network=run.load_network(40))
    snapshots, observations = simulator.reset_snapshots(np.arange(4))
    rng = np.random.default_rng(0)
    gamma = run.config.env.discount
    policy = UniformPolicy(2)
    sequences = sample_sequences(simulator, policy, snapshots, observations, num_samples=4, length=30, rng=rng)
    error = policy_value_error(perfect, snapshots, observations, sequences, discount=gamma)
    assert error.true_value[:, 0] == pytest.approx(1.0)  # Cart Pole pays 1 per step
    assert np.all(error.policy_error == 0) and np.all(error.mean_sequence_error == 0)
    evaluation = evaluate_all_sequences(simulator, policy, perfect, snapshots, observations, length=6,
                                        discount=gamma, rng=rng)
    assert np.all(evaluation.errors == 0) and evaluation.probabilities == pytest.approx(1 / 64)


def test_checkpoint_behaviour_policy_follows_run_config_and_options(cartpole_run, tmp_path):
    from mzlab.analysis import AnalysisOptions, AnalysisSession

    def behaviour(greedy=False, **options):
        session = AnalysisSession([cartpole_run], tmp_path, AnalysisOptions(**options))
        return session.checkpoint(session.runs[0], 40).behaviour(greedy=greedy)

    default = behaviour()
    assert (default.temperature, default.search_config.add_noise, default.search_config.num_simulations) == (
        1.0, True, 4)  # the run's schedule at step 40, its noise setting and its simulations
    assert behaviour(noise="off").search_config.add_noise is False
    greedy = behaviour(greedy=True, noise="on", behaviour_simulations=7)
    assert (greedy.temperature, greedy.search_config.add_noise, greedy.search_config.num_simulations) == (0.0, False, 7)


@pytest.mark.slow
@pytest.mark.parametrize("preset_name", ["lunarlander", "breakout"])
def test_every_experiment_runs_quick_on_the_other_environments(preset_name, tmp_path):
    """Object snapshots (Lunar Lander replay, ALE states) and the ResNet through every experiment."""
    from mzlab.config import preset
    from mzlab.networks import build_network

    config = preset(preset_name)
    simulator = make_simulator(config.env)
    run = RunDirectory.create_or_resume(tmp_path / "run", config)
    for step in (0, 10):
        torch.manual_seed(step)
        run.save_checkpoint(step, build_network(config, simulator.observation_shape, simulator.num_actions),
                            env_steps=step)
    out = tmp_path / "results"
    assert main(["analyze", "all", "--run-dir", str(tmp_path / "run"), "--out", str(out), "--quick"]) == 0
    for experiment in COLUMNS:
        table = pd.read_parquet(out / f"{experiment}.parquet")
        assert len(table) > 0 and (table["env"] == preset_name).all()
    ranks = pd.read_parquet(out / "sequence-rank.parquet")
    assert ranks.groupby(["step", "state_index"]).size().eq(4**3).all()
