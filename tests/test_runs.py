"""The run directory: config guard, complete-only checkpoint history, verified and code-free loading, metrics."""

import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from mzlab.config import preset
from mzlab.config_io import apply_overrides, config_hash, config_to_dict
from mzlab.errors import MzlabError
from mzlab.networks import build_network
from mzlab.runs import RunDirectory, metadata_checksum
from mzlab.state_codec import decode_state, encode_state

CARTPOLE = preset("cartpole")


def small_network(seed=0):
    torch.manual_seed(seed)
    return build_network(CARTPOLE, (4,), 2)


def save(run, step, network=None, **kwargs):
    return run.save_checkpoint(step, network or small_network(step), env_steps=10 * step, **kwargs)


# ---------------------------------------------------------------------------------------------------- config guard


def test_create_writes_config_and_resume_accepts_the_same(tmp_path):
    path = tmp_path / "run"
    run = RunDirectory.create_or_resume(path, CARTPOLE)
    assert json.loads((path / "config.json").read_text()) == config_to_dict(CARTPOLE)
    assert (path / "checkpoints").is_dir() and run.tensorboard_dir.is_dir()
    save(run, 1000)
    again = RunDirectory.create_or_resume(path, preset("cartpole"))
    assert again.config == CARTPOLE and again.checkpoint_steps() == [1000]


def test_resume_with_a_different_config_is_refused_and_nothing_changes(tmp_path):
    path = tmp_path / "run"
    RunDirectory.create_or_resume(path, CARTPOLE)
    before = (path / "config.json").read_bytes()
    other = apply_overrides(CARTPOLE, ["training.batch_size=64", "seed=3"])
    with pytest.raises(MzlabError) as info:
        RunDirectory.create_or_resume(path, other)
    message = str(info.value)
    assert str(path) in message and "training.batch_size: 128 in the run, 64 now" in message and "seed" in message
    assert (path / "config.json").read_bytes() == before


def test_a_non_empty_foreign_directory_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(MzlabError, match="not an mzlab run directory"):
        RunDirectory.create_or_resume(tmp_path, CARTPOLE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_invalid_config_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(MzlabError, match="'training.batch_size'"):
        RunDirectory.create_or_resume(tmp_path / "run", apply_overrides(CARTPOLE, ["training.batch_size=0"]))
    assert not (tmp_path / "run").exists()


def test_open_errors_and_read_only(tmp_path):
    with pytest.raises(MzlabError, match="does not exist"):
        RunDirectory.open(tmp_path / "nothing")
    with pytest.raises(MzlabError, match="no config.json"):
        RunDirectory.open(tmp_path)
    RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    reader = RunDirectory.open(tmp_path / "run")
    assert reader.config == CARTPOLE and reader.config_hash == config_hash(CARTPOLE)
    with pytest.raises(MzlabError, match="read-only"):
        save(reader, 5)
    with pytest.raises(MzlabError, match="read-only"):
        reader.append_metrics([{"step": 1}])


# ---------------------------------------------------------------------------------------------------- checkpoints


def test_checkpoint_round_trip_and_metadata(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    network = small_network(1)
    save(run, 2000, network, extra={"loss": 0.25})
    save(run, 1000)
    assert run.checkpoint_steps() == [1000, 2000] and run.latest_checkpoint_step() == 2000
    tensors, metadata = RunDirectory.open(run.path).load_checkpoint(2000)
    expected = network.state_dict()
    assert tensors.keys() == expected.keys()
    assert all(torch.equal(tensors[key], expected[key]) for key in expected)
    assert metadata["step"] == 2000 and metadata["env_steps"] == 20000 and metadata["seed"] == 0
    assert metadata["config_hash"] == config_hash(CARTPOLE) and metadata["extra"] == {"loss": 0.25}
    assert metadata["mzlab_version"] and metadata["created"].endswith("+00:00")
    weights_file = run.checkpoint_dir / "step_00002000.safetensors"
    assert metadata["files"]["weights"]["sha256"] == hashlib.sha256(weights_file.read_bytes()).hexdigest()


def test_load_network_reproduces_the_saved_network(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    network = small_network(3).eval()
    save(run, 500, network)
    loaded = RunDirectory.open(run.path).load_network()
    observations, actions = torch.randn(6, 4), torch.tensor([0, 1, 1, 0, 1, 0])
    with torch.no_grad():
        first, second = network.initial_inference(observations), loaded.initial_inference(observations)
        assert torch.equal(first.value_logits, second.value_logits)
        step_a = network.recurrent_inference(first.latent, actions)
        step_b = loaded.recurrent_inference(second.latent, actions)
    assert torch.equal(step_a.reward_logits, step_b.reward_logits) and not loaded.training


def test_resnet_batch_norm_buffers_survive_the_round_trip(tmp_path):
    cfg = apply_overrides(preset("breakout"), ["network.num_channels=8", "network.num_blocks=1"])
    run = RunDirectory.create_or_resume(tmp_path / "run", cfg)
    torch.manual_seed(0)
    network = build_network(cfg, (2, 32, 32), 4)
    network.initial_inference(torch.rand(4, 2, 32, 32))  # training mode: updates the running statistics
    network.eval()
    run.save_checkpoint(10, network, env_steps=0)
    observations = torch.rand(3, 2, 32, 32)
    with torch.no_grad():
        expected = network.initial_inference(observations).value_logits
        assert torch.equal(run.load_network(10).initial_inference(observations).value_logits, expected)


def test_trainer_state_restores_optimizer_and_random_generators(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    network = small_network(0)
    optimizer = torch.optim.Adam(network.parameters(), lr=0.01, weight_decay=1e-4)
    batch = torch.randn(8, 4)

    def train_step(net, opt):
        opt.zero_grad()
        net.initial_inference(batch).value_logits.square().mean().backward()
        opt.step()

    train_step(network, optimizer)
    generator = np.random.default_rng(5)
    state = {
        "optimizer": optimizer.state_dict(),
        "numpy": generator.bit_generator.state,
        "torch": torch.get_rng_state(),
        "array": np.arange(3.0),
        "pair": (1, float("inf")),
    }
    save(run, 1, network, trainer_state=state)
    restored_network = run.load_network(1).train()
    restored_optimizer = torch.optim.Adam(restored_network.parameters(), lr=0.01, weight_decay=1e-4)
    restored = run.load_trainer_state(1)
    restored_optimizer.load_state_dict(restored["optimizer"])
    train_step(network, optimizer)
    train_step(restored_network, restored_optimizer)
    for a, b in zip(network.parameters(), restored_network.parameters(), strict=True):
        assert torch.equal(a, b)  # Adam moments and step count came back exactly
    other = np.random.default_rng(0)
    other.bit_generator.state = restored["numpy"]
    assert np.array_equal(other.random(4), generator.random(4))
    assert torch.equal(restored["torch"], state["torch"])
    assert np.array_equal(restored["array"], np.arange(3.0)) and restored["pair"] == (1, float("inf"))
    save(run, 2)
    assert run.load_trainer_state(2) is None


def test_weights_without_metadata_are_an_incomplete_checkpoint(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    save(run, 1000)
    (run.checkpoint_dir / "step_00002000.safetensors").write_bytes(b"half a file")
    (run.checkpoint_dir / ".step_00003000.json.tmp-123").write_text("{")
    assert run.checkpoint_steps() == [1000] and run.latest_checkpoint_step() == 1000
    save(run, 2000)  # the interrupted step can be written again
    assert run.checkpoint_steps() == [1000, 2000]
    run.load_checkpoint(2000)


def test_a_crash_before_the_metadata_leaves_no_checkpoint(tmp_path, monkeypatch):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    real_replace = os.replace

    def crash_on_metadata(source, target):
        if str(target).endswith(".json"):
            raise OSError("killed")
        real_replace(source, target)

    monkeypatch.setattr("mzlab.atomic_files.os.replace", crash_on_metadata)
    with pytest.raises(OSError):
        save(run, 1000)
    monkeypatch.undo()
    assert run.checkpoint_steps() == []
    assert not [name for name in os.listdir(run.checkpoint_dir) if ".tmp-" in name]


def test_existing_checkpoints_are_never_overwritten(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    save(run, 1000)
    before = (run.checkpoint_dir / "step_00001000.safetensors").read_bytes()
    for bad_extra in ({"loss": float("nan")}, {1: "a", "b": 2}, {"f": print}):
        with pytest.raises(MzlabError, match="extra metadata must be JSON"):
            save(run, 3000, extra=bad_extra)
    assert run.checkpoint_steps() == [1000]
    with pytest.raises(MzlabError, match="already exists"):
        save(run, 1000, small_network(99))
    assert (run.checkpoint_dir / "step_00001000.safetensors").read_bytes() == before


def test_missing_steps_list_the_available_ones(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    for step in (1000, 2000):
        save(run, step)
    for call in (lambda: run.load_checkpoint(1500), lambda: run.select_steps([1000, 1500])):
        with pytest.raises(MzlabError, match="no checkpoint at step 1500; available steps: 1000, 2000"):
            call()
    assert run.select_steps(None) == [1000, 2000] and run.select_steps([2000]) == [2000]
    empty = RunDirectory.create_or_resume(tmp_path / "empty", CARTPOLE)
    with pytest.raises(MzlabError, match="no complete checkpoint"):
        empty.load_network()


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda data: data[: len(data) // 2], "truncated"),
        (lambda data: data[:-9] + bytes(9), "corrupted"),
        (lambda data: b"", "truncated"),
    ],
)
def test_damaged_weights_are_refused_naming_the_file(tmp_path, damage, fragment):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    save(run, 1000)
    weights = run.checkpoint_dir / "step_00001000.safetensors"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(MzlabError) as info:
        run.load_network(1000)
    assert str(weights) in str(info.value) and fragment in str(info.value)


def test_missing_weights_and_broken_metadata_name_the_file(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    save(run, 1000)
    save(run, 2000)
    (run.checkpoint_dir / "step_00001000.safetensors").unlink()
    with pytest.raises(MzlabError, match="step_00001000.safetensors' is missing"):
        run.load_checkpoint(1000)
    metadata = run.checkpoint_dir / "step_00002000.json"
    metadata.write_text(metadata.read_text()[:40])
    with pytest.raises(MzlabError, match="step_00002000.json' is corrupted"):
        run.load_checkpoint(2000)


class _Payload:
    """Unpickling this object touches ``marker``: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.parametrize("kind", ["pickle", "torch.save"])
def test_a_pickle_disguised_as_a_checkpoint_cannot_run_code(tmp_path, kind):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    save(run, 1000)
    marker = tmp_path / "code_ran"
    weights = run.checkpoint_dir / "step_00001000.safetensors"
    if kind == "pickle":
        weights.write_bytes(pickle.dumps({"weight": _Payload(str(marker))}))
    else:
        torch.save({"weight": _Payload(str(marker))}, weights)
    # first as a plain swap (the hash check refuses it), then with forged metadata (the parser refuses it)
    with pytest.raises(MzlabError, match="corrupted|truncated"):
        run.load_network(1000)
    metadata_path = run.checkpoint_dir / "step_00001000.json"
    metadata = json.loads(metadata_path.read_text())
    data = weights.read_bytes()
    metadata["files"]["weights"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    metadata["checksum"] = metadata_checksum(metadata)  # a deliberate forger can recompute the checksum
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(MzlabError) as info:
        run.load_network(1000)
    assert "not a valid safetensors file" in str(info.value) and str(weights) in str(info.value)
    assert not marker.exists()


def test_metadata_cannot_point_outside_the_checkpoint_directory(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    save(run, 1000)
    metadata_path = run.checkpoint_dir / "step_00001000.json"
    metadata = json.loads(metadata_path.read_text())
    metadata["files"]["weights"]["name"] = "../../elsewhere.safetensors"
    metadata["checksum"] = metadata_checksum(metadata)
    metadata_path.write_text(json.dumps(metadata))
    with pytest.raises(MzlabError, match="no valid entry for its weights file"):
        run.load_checkpoint(1000)


# ---------------------------------------------------------------------------------------------------- metrics


def test_metrics_append_read_and_export(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    assert run.read_metrics().empty
    run.append_metrics([{"step": 1, "loss": np.float32(0.5)}, {"step": 2, "loss": 0.25, "tag": "eval"}])
    run.append_metrics([{"step": 3, "return": torch.tensor(9.0)}])
    frame = RunDirectory.open(run.path).read_metrics()
    assert frame["step"].tolist() == [1, 2, 3]
    assert frame["loss"].tolist()[:2] == [0.5, 0.25] and np.isnan(frame["loss"][2])
    assert frame["return"][2] == 9.0 and frame["tag"][1] == "eval"
    path = run.write_metrics_parquet()
    exported = __import__("pandas").read_parquet(path)
    assert exported["step"].tolist() == [1, 2, 3] and exported["return"][2] == 9.0


def test_torn_metrics_line_is_skipped_and_repaired_on_resume(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    run.append_metrics([{"step": 1, "loss": 1.0}, {"step": 2, "loss": 0.5}])
    with open(run.metrics_path, "a") as handle:
        handle.write('{"step": 3, "lo')  # killed mid-append
    assert run.read_metrics()["step"].tolist() == [1, 2]
    resumed = RunDirectory.create_or_resume(run.path, CARTPOLE)
    resumed.append_metrics([{"step": 3, "loss": 0.25}])
    assert resumed.read_metrics()["loss"].tolist() == [1.0, 0.5, 0.25]


def test_discard_metrics_after_the_resumed_step(tmp_path):
    run = RunDirectory.create_or_resume(tmp_path / "run", CARTPOLE)
    run.append_metrics([{"step": s, "loss": 1.0 / s} for s in (100, 200, 300)] + [{"note": "no step"}])
    run.discard_metrics_after(200)
    frame = run.read_metrics()
    assert frame["step"].dropna().tolist() == [100, 200] and len(frame) == 3


def test_state_codec_keeps_key_types_and_refuses_objects():
    value = {0: {"step": torch.tensor(3.0)}, "groups": [{"betas": (0.9, 0.999), "fused": None}], 1.5: np.int64(2)}
    structure, tensors = encode_state(value)
    json.dumps(structure, allow_nan=False)  # plain JSON
    assert decode_state(json.loads(json.dumps(structure)), tensors) == {
        0: {"step": torch.tensor(3.0)},
        "groups": [{"betas": (0.9, 0.999), "fused": None}],
        1.5: 2,
    }
    for bad in ({"f": lambda: 0}, np.array([object()], dtype=object)):
        with pytest.raises(MzlabError, match="trainer state holds only"):
            encode_state(bad, where="trainer_state")
