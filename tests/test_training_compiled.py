"""The compiled learner step against today's eager step: same losses, priorities and weights after 10 steps from
the same state (``training.compile=on`` vs ``off``), and the ``auto`` rule."""

import copy
import dataclasses

import numpy as np
import pytest
import torch

from mzlab.config import TrainingConfig, preset
from mzlab.config_io import apply_overrides, validate
from mzlab.errors import MzlabError
from mzlab.networks import build_network
from mzlab.training.compiled_step import use_compiled_step
from mzlab.training.learner import Learner
from mzlab.training.replay import Batch

SMALL = ["network.encoding_size=4", "network.hidden_layers=[8]", "training.batch_size=8", "replay.num_unroll_steps=3"]


def random_batch(rng, *, batch, unroll, num_actions, observation_size=4) -> Batch:
    policies = rng.dirichlet(np.ones(num_actions), size=(batch, unroll + 1)).astype(np.float32)
    rewards = rng.normal(size=(batch, unroll + 1)).astype(np.float32)
    rewards[:, 0] = 0.0
    return Batch(
        observations=rng.normal(size=(batch, observation_size)).astype(np.float32),
        actions=rng.integers(0, num_actions, size=(batch, unroll)),
        target_values=rng.normal(scale=20.0, size=(batch, unroll + 1)).astype(np.float32),
        target_rewards=rewards,
        target_policies=policies,
        weights=rng.uniform(0.2, 1.0, size=batch).astype(np.float32),
        position_ids=np.zeros((batch, unroll + 1), dtype=np.int64),
        inside=np.ones((batch, unroll + 1), dtype=bool),
    )


@pytest.mark.slow  # inductor's first compilation takes 2-10 minutes on the loaded 2-core machine
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_compiled_step_matches_the_eager_step_for_ten_steps(optimizer):
    config = validate(apply_overrides(preset("cartpole"), SMALL + [f"training.optimizer={optimizer}",
                                                                     "training.learning_rate=0.01"]))
    torch.manual_seed(0)
    network = build_network(config, (4,), 2)
    eager = Learner(copy.deepcopy(network), config, compiled=False)
    compiled = Learner(copy.deepcopy(network), config, compiled=True)
    rng = np.random.default_rng(1)
    for step in range(10):
        batch = random_batch(rng, batch=8, unroll=3, num_actions=2)
        eager_metrics, eager_priorities = eager.train_step(batch)
        compiled_metrics, compiled_priorities = compiled.train_step(batch)
        for key in eager_metrics:
            assert compiled_metrics[key] == pytest.approx(eager_metrics[key], abs=1e-5, rel=1e-5), (step, key)
        np.testing.assert_allclose(compiled_priorities, eager_priorities, atol=1e-5, rtol=1e-5)
    for (name, expected), actual in zip(eager.network.state_dict().items(), compiled.network.state_dict().values(),
                                        strict=True):
        torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5, msg=name)
    # the weights moved: the comparison is not between two untouched networks
    assert not torch.allclose(eager.network.state_dict()["prediction_value_net.0.weight"],
                              network.state_dict()["prediction_value_net.0.weight"])
    # the optimiser state round-trips between the two (a run can change training.compile on resume)
    compiled.load_optimizer_tensors(eager.optimizer_tensors())
    assert compiled.step == eager.step == 10


def test_auto_compiles_only_the_fully_connected_network():
    cpu = torch.device("cpu")
    assert use_compiled_step("on", network_kind="resnet", device=cpu)
    assert not use_compiled_step("off", network_kind="fully_connected", device=cpu)
    assert not use_compiled_step("auto", network_kind="resnet", device=cpu)
    assert use_compiled_step("auto", network_kind="fully_connected", device=torch.device("cuda"))


def test_short_runs_stay_eager_under_auto(tmp_path):
    from mzlab.runs import RunDirectory
    from mzlab.training.loop import AUTO_COMPILE_MIN_STEPS, Trainer

    config = validate(apply_overrides(preset("cartpole"), SMALL + ["training.training_steps=12",
                                                                     "training.device=cpu", "training.compile=auto"]))
    assert config.training.compile == "auto" and config.training.training_steps < AUTO_COMPILE_MIN_STEPS
    trainer = Trainer(config, RunDirectory.create_or_resume(tmp_path / "run", config), progress=False)
    assert not trainer.compiled and not trainer.learner.compiled


@pytest.mark.parametrize("override, key", [
    ("training.compile=yes", "training.compile"),
    ("training.self_play_mode=async", "training.self_play_mode"),
    ("training.acting_weights_refresh=step", "training.acting_weights_refresh"),
])
def test_engine_switches_are_validated(override, key):
    with pytest.raises(MzlabError, match=key):
        validate(apply_overrides(preset("cartpole"), [override]))
    # the defaults are today's eager lock-step run; the vector presets refresh once per game like muzero-general
    assert dataclasses.asdict(TrainingConfig())[key.split(".")[1]] in ("off", "lockstep", "move")


def test_vector_presets_refresh_acting_weights_once_per_game_as_muzero_general():
    assert preset("cartpole").training.acting_weights_refresh == "game"
    assert preset("lunarlander").training.acting_weights_refresh == "game"
    assert preset("cartpole").training.num_actors == preset("lunarlander").training.num_actors == 1


def test_auto_falls_back_to_the_eager_step_when_compiling_fails(capsys):
    config = validate(apply_overrides(preset("cartpole"), SMALL))
    torch.manual_seed(0)
    network = build_network(config, (4,), 2)
    eager = Learner(copy.deepcopy(network), config, compiled=False)
    failing = Learner(copy.deepcopy(network), config, compiled=True, fallback_to_eager=True)

    def broken_compiler(*tensors):
        raise RuntimeError("no C++ compiler")

    failing._compiled_loss = broken_compiler
    batch = random_batch(np.random.default_rng(2), batch=8, unroll=3, num_actions=2)
    expected, _ = eager.train_step(batch)
    actual, _ = failing.train_step(batch)
    assert failing._compiled_loss is None and "using the eager step" in capsys.readouterr().err
    for key in expected:
        assert actual[key] == pytest.approx(expected[key], abs=1e-6)
    for mine, theirs in zip(failing.network.parameters(), eager.network.parameters(), strict=True):
        torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=1e-6)
