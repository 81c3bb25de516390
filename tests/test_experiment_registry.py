"""One registration is all an experiment needs: a new experiment from a single module gets its flags in
``mzlab analyze``, runs through the runner and the cache, joins ``all`` and the sweep, and the report
summarises and draws it. The module is the worked example of docs/extending.md."""

import argparse
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import reward_error_experiment
import torch

from mzlab.analysis.experiment import Experiment, ResultTable
from mzlab.analysis.options import AnalysisOptions
from mzlab.analysis.registry import experiment_names, register_experiment, unregister_experiment
from mzlab.cli import main
from mzlab.option_flags import add_flags, from_namespace, option

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def reward_error():
    register_experiment(reward_error_experiment.EXPERIMENT)
    yield reward_error_experiment.EXPERIMENT
    unregister_experiment("reward-error")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """An untrained Cart Pole run (seed 3) with checkpoints at steps 0 and 10."""
    import dataclasses

    from mzlab.config import preset
    from mzlab.envs.registry import make_simulator
    from mzlab.networks import build_network
    from mzlab.runs import RunDirectory

    config = dataclasses.replace(preset("cartpole"), seed=3)
    simulator = make_simulator(config.env)
    path = tmp_path_factory.mktemp("registry") / "run"
    run = RunDirectory.create_or_resume(path, config)
    for step in (0, 10):
        torch.manual_seed(step)
        run.save_checkpoint(step, build_network(config, simulator.observation_shape, simulator.num_actions),
                            env_steps=step)
    run.close()
    return path


def hand_reward(network, observations: np.ndarray, action: int) -> np.ndarray:
    """``g``'s reward for ``action`` after ``h(observations)``, decoded by hand: the expectation over the support
    ``[-S, S]`` of the softmax, then ``h^-1(y) = sign(y) (((sqrt(1 + 4 eps (|y| + 1 + eps)) - 1) / (2 eps))^2 - 1)``."""
    with torch.no_grad():
        latent = network.initial_inference(torch.as_tensor(observations)).latent
        logits = network.recurrent_inference(latent, torch.full((len(observations),), action)).reward_logits
    logits = logits.double().numpy()
    probabilities = np.exp(logits - logits.max(1, keepdims=True))
    probabilities /= probabilities.sum(1, keepdims=True)
    size = network.support_size
    y = probabilities @ np.arange(-size, size + 1)
    eps = 0.001
    root = (np.sqrt(1 + 4 * eps * (np.abs(y) + 1 + eps)) - 1) / (2 * eps)
    return np.sign(y) * (root**2 - 1)


def test_its_flags_are_generated_and_listed_by_analyze_help(reward_error, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["analyze", "reward-error", "--help"])
    text = capsys.readouterr().out
    assert exit_.value.code == 0
    assert "reward-error options:" in text and "--reward-error-actions A [A ...]" in text
    assert "the actions scored at each state (default: every action)" in " ".join(text.split())
    assert "planning, reward-error or all" in " ".join(text.split())  # order 100: after the paper's six
    unregister_experiment("reward-error")
    with pytest.raises(SystemExit):
        main(["analyze", "planning", "--help"])
    assert "reward-error" not in capsys.readouterr().out


def test_the_runner_computes_it_and_the_cache_keys_on_its_options(reward_error, tiny_run, tmp_path, capsys):
    from mzlab.analysis.session import AnalysisSession

    out = tmp_path / "results"
    args = ["analyze", "reward-error", "--run-dir", str(tiny_run), "--out", str(out), "--quick"]
    assert main([*args, "--reward-error-actions", "1"]) == 0
    table = pd.read_parquet(out / "reward-error.parquet")
    assert (out / "reward-error.png").stat().st_size > 0 and (out / "reward-error.svg").stat().st_size > 0
    assert sorted(table["step"].unique()) == [0, 10] and set(table["action"]) == {1}
    assert len(table) == 2 * 3 and (table["env"] == "cartpole").all() and (table["seed"] == 3).all()  # quick: 3 states
    assert (table["true_reward"] == 1.0).all()  # Cart Pole pays 1 for every step from a live state
    session = AnalysisSession([tiny_run], tmp_path / "reference", AnalysisOptions(quick=True))
    for step in (0, 10):
        checkpoint = session.checkpoint(session.runs[0], step)
        expected = hand_reward(checkpoint.network, session.states(checkpoint).observations, 1)
        rows = table[table["step"] == step].sort_values("state_index")
        np.testing.assert_allclose(rows["predicted_reward"], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(rows["error"], np.abs(1.0 - expected), rtol=1e-5, atol=1e-6)
    capsys.readouterr()

    assert main([*args, "--reward-error-actions", "1"]) == 0
    assert "cache: 2 reused, 0 computed" in capsys.readouterr().err
    assert main(args) == 0  # other options of its own: a new cache key
    assert "cache: 0 reused, 2 computed" in capsys.readouterr().err
    assert set(pd.read_parquet(out / "reward-error.parquet")["action"]) == {0, 1}  # default: every action

    assert main([*args, "--reward-error-actions", "-1"]) == 2  # its validate() runs
    assert "--reward-error-actions must be >= 0" in capsys.readouterr().err


def test_it_joins_all_and_the_sweep(reward_error):
    from mzlab.analysis.runner import check_experiment
    from mzlab.sweep.study import resolve_analyses

    assert check_experiment("all")[-1] == "reward-error"
    assert resolve_analyses("reward-error") == ("reward-error",) and resolve_analyses("all")[-1] == "reward-error"


def test_the_report_summarises_and_draws_it(reward_error, tiny_run, tmp_path):
    from mzlab.report import build_report

    out = tmp_path / "results"
    assert main(["analyze", "reward-error", "--run-dir", str(tiny_run), "--out", str(out), "--quick"]) == 0
    study = tmp_path / "study"
    (study / "analysis" / "seed-3" / "reward-error").mkdir(parents=True)
    shutil.copy(out / "reward-error.parquet", study / "analysis" / "seed-3" / "reward-error")
    page = build_report(study).read_text()
    assert "One-step reward prediction error of the learned model" in page  # the spec's title
    assert "Figure: mzlab.plots" in page and (study / "report" / "figures" / "reward-error.png").is_file()
    summary = pd.read_csv(study / "report" / "tables" / "reward-error-summary.csv")
    assert list(summary.columns) == ["step", "action", "error_mean", "error_se", "num_seeds"]  # the spec's keys
    table = pd.read_parquet(out / "reward-error.parquet")
    for row in summary.itertuples():  # one seed: the mean over its 3 states, no standard error
        part = table[(table["step"] == row.step) & (table["action"] == row.action)]
        assert row.error_mean == pytest.approx(part["error"].mean()) and np.isnan(row.error_se)
        assert row.num_seeds == 1
    assert len(summary) == 4


def test_registration_refuses_clashes_and_bad_specs(reward_error):
    @dataclass(frozen=True)
    class Clashing:
        num_states: int = option(3, "clashes with the shared --num-states")

    with pytest.raises(ValueError, match="already registered"):
        register_experiment(reward_error_experiment.EXPERIMENT)
    with pytest.raises(ValueError, match="'num_states' is already a flag"):
        register_experiment(Experiment("other", run=print, tables=(ResultTable("other"),), options=Clashing))
    with pytest.raises(ValueError, match="unknown option 'horizon'"):
        register_experiment(Experiment("other", run=print, tables=(ResultTable("other"),), uses=("horizon",)))
    with pytest.raises(ValueError, match="belongs to another experiment"):
        register_experiment(Experiment("other", run=print, tables=(ResultTable("other"), ResultTable("planning"))))
    with pytest.raises(ValueError, match="first table must be named"):
        Experiment("other", run=print, tables=(ResultTable("planning"),))
    assert "other" not in experiment_names()


def test_generated_flags_give_the_options_defaults_and_parse_values():
    parser = argparse.ArgumentParser()
    add_flags(parser, AnalysisOptions)
    assert from_namespace(AnalysisOptions, parser.parse_args([])) == AnalysisOptions()
    parsed = from_namespace(AnalysisOptions, parser.parse_args(
        ["--horizons", "1", "5", "--quick", "--noise", "off", "--planning-leaves", "value", "--num-states", "7"]))
    assert parsed == AnalysisOptions(horizons=(1, 5), quick=True, noise="off", planning_leaves=("value",),
                                     num_states=7)


def test_the_worked_example_of_the_docs_is_this_module():
    text = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    block = re.search(r"the whole of `mzlab/analysis/experiments/reward_error.py`:\n\n```python\n(.*?)```", text, re.S)
    assert block and block.group(1) == Path(reward_error_experiment.__file__).read_text(encoding="utf-8")


def test_the_papers_experiments_name_functions_that_exist():
    from mzlab.analysis.registry import experiments, run_function
    from mzlab.plots import analysis_figures
    from mzlab.plots.experiment_figures import figure_function

    specs = experiments()
    assert [spec.name for spec in specs] == ["learning-curves", "value-error", "sequence-rank", "cross-step",
                                             "search-prior", "planning"]
    for spec in specs:
        # the version their caches were made with (search-prior 4: prior_entropy, prior_top, visits_on_prior_top)
        assert callable(run_function(spec)) and spec.cache_version == (4 if spec.name == "search-prior" else 2)
        for table in spec.tables:
            function = figure_function(table.name)
            assert function is getattr(analysis_figures, "plot_" + table.name.replace("-", "_"))
            assert table.summary is not None and table.caption
    assert [spec.name for spec in specs if spec.every_checkpoint] == ["learning-curves"]


def test_cache_keys_carry_each_experiments_version(reward_error, tmp_path):
    """The key is the sha256 of the canonical JSON of the parts with the experiment's cache version: 2 for the
    paper's experiments (the keys their existing caches have), the spec's for a new one (1 here)."""
    import hashlib
    import json

    from mzlab.analysis.cache import ResultCache

    parts = {"run": "/runs/a", "steps": [10], "options": {"num_states": 3}}
    cache = ResultCache(tmp_path)
    for experiment, version in (("value-error", 2), ("reward-error", 1), ("not-an-experiment", 2)):
        cache.get_or_compute(experiment, parts, lambda: pd.DataFrame({"x": [1.0]}))
        text = json.dumps({"version": version, "experiment": experiment, **parts}, sort_keys=True)
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        assert (tmp_path / experiment / f"{key}.parquet").is_file(), experiment
