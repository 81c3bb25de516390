"""``mzlab sweep`` argument errors: one line, exit status 2, nothing written."""

from __future__ import annotations

import pytest

from mzlab.cli import main
from mzlab.errors import MzlabError
from mzlab.sweep import parse_seeds, resolve_analyses, study_jobs
from mzlab.sweep.study import EXPERIMENTS, StudyPlan


@pytest.mark.parametrize(("text", "seeds"), [("0-4", [0, 1, 2, 3, 4]), ("7", [7]), ("0-2,5, 9-10", [0, 1, 2, 5, 9, 10]),
                                             ("3-3,1", [1, 3])])
def test_seed_ranges_expand_inclusively(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(("text", "message"), [
    ("0-", "--seeds: malformed item '0-'"),
    ("a-b", "--seeds: malformed item 'a-b'"),
    ("3-1", "--seeds: range '3-1' runs backwards; write it as 1-3"),
    ("", "--seeds: malformed item ''"),
    ("-1", "--seeds: malformed item '-1'"),
])
def test_malformed_seed_ranges_are_one_line_errors_with_exit_status_2(tmp_path, capsys, text, message):
    out = tmp_path / "study"
    assert main(["sweep", "--env", "cartpole", "--seeds", text, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mzlab: error: {message}") and err.count("\n") == 1
    assert not out.exists()


def test_unknown_executor_is_a_one_line_error_naming_the_valid_ones(tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["sweep", "--env", "cartpole", "--seeds", "0-1", "--out", str(out), "--executor", "slurm"]) == 2
    err = capsys.readouterr().err
    assert err == "mzlab: error: --executor: unknown executor 'slurm'; valid executors: local, ray\n"
    assert not out.exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--analyses", "value-error,bogus"], "--analyses: unknown experiment 'bogus'; valid: all, none, "),
    (["--max-workers", "0"], "--max-workers: must be at least 1, got 0"),
    (["--ray-address", "auto"], "--ray-address is only valid with --executor ray"),
    (["--train-gpus", "1"], "--train-gpus/--analysis-gpus reserve GPUs per Ray task; they need --executor ray"),
])
def test_other_bad_options_are_one_line_errors(tmp_path, capsys, argv, message):
    out = tmp_path / "study"
    assert main(["sweep", "--env", "cartpole", "--seeds", "0", "--out", str(out), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mzlab: error: {message}") and err.count("\n") == 1
    assert not (out / "jobs").exists()


def test_unknown_env_is_refused_before_anything_runs(tmp_path, capsys):
    assert main(["sweep", "--env", "pong", "--seeds", "0", "--out", str(tmp_path / "s")]) == 2
    assert "mzlab: error: --env: unknown preset 'pong'; valid presets: " in capsys.readouterr().err


def test_study_plan_is_train_per_seed_then_each_analysis_depending_on_it():
    jobs = study_jobs(StudyPlan(env="cartpole", seeds=(0, 3), overrides=("training.training_steps=10",),
                                analyses=resolve_analyses("value-error,planning"), quick=True))
    assert [job.job_id for job in jobs] == ["seed-0.train", "seed-0.value-error", "seed-0.planning",
                                             "seed-3.train", "seed-3.value-error", "seed-3.planning"]
    train, value_error = jobs[3], jobs[4]
    assert train.paths == {"run_dir": "runs/seed-3"} and train.kwargs["overrides"] == ["training.training_steps=10"]
    assert value_error.depends_on == ("seed-3.train",)
    assert value_error.paths == {"run_dir": "runs/seed-3", "out": "analysis/seed-3/value-error"}
    assert resolve_analyses("all") == resolve_analyses(None) and set(EXPERIMENTS) <= set(resolve_analyses("all"))
    assert resolve_analyses("none") == ()


def test_a_study_cannot_be_resumed_with_a_different_configuration(tmp_path):
    from mzlab.sweep.study import write_study_file

    plan = StudyPlan(env="cartpole", seeds=(0,), overrides=("training.training_steps=10",), analyses=())
    write_study_file(tmp_path, plan, jobs=study_jobs(plan), command="first", executor="local")
    grown = StudyPlan(env="cartpole", seeds=(1, 2), overrides=plan.overrides, analyses=())
    stored = write_study_file(tmp_path, grown, jobs=study_jobs(grown), command="second", executor="local")
    assert stored["seeds"] == [0, 1, 2] and [s["command"] for s in stored["sweeps"]] == ["first", "second"]
    expected = f"mzlab train --env cartpole --seed 2 --run-dir {tmp_path}/runs/seed-2 --set training.training_steps=10"
    assert stored["commands"]["seed-2.train"] == expected
    changed = StudyPlan(env="cartpole", seeds=(0,), overrides=("training.training_steps=20",), analyses=())
    with pytest.raises(MzlabError, match="the study was made with overrides=.*use a new --out directory"):
        write_study_file(tmp_path, changed, jobs=study_jobs(changed), command="third", executor="local")


def test_analysis_args_are_split_and_passed_to_every_analysis_and_bad_quoting_is_refused(tmp_path, capsys):
    assert main(["sweep", "--env", "cartpole", "--seeds", "0", "--out", str(tmp_path / "s"),
                 "--analysis-args", '"--num-states 5']) == 2
    assert capsys.readouterr().err.startswith("mzlab: error: --analysis-args: cannot split ")
    plan = StudyPlan(env="cartpole", seeds=(0,), analyses=("value-error",), analysis_options=("--num-states", "5"))
    [_, analysis] = study_jobs(plan)
    assert analysis.kwargs["options"] == ["--num-states", "5"]


@pytest.mark.parametrize(("address", "message"), [
    ("nonsense", "--ray-address 'nonsense': expected auto, HOST:PORT or ray://HOST:PORT"),
    ("127.0.0.1:1", "--ray-address '127.0.0.1:1': cannot connect ("),
])
def test_an_unreachable_ray_address_fails_fast_with_one_line(tmp_path, capsys, address, message):
    pytest.importorskip("ray")
    out = tmp_path / "study"
    assert main(["sweep", "--env", "cartpole", "--seeds", "0", "--out", str(out), "--executor", "ray",
                 "--ray-address", address]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mzlab: error: {message}") and err.count("\n") == 1
    assert not out.exists()
