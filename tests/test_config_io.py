"""Config JSON round trips, ``--set`` overrides, validation messages, the stable hash and atomic saving."""

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mzlab import config_rules
from mzlab.config import PRESETS, ExperimentConfig, preset
from mzlab.config_io import (
    apply_overrides,
    config_differences,
    config_from_dict,
    config_hash,
    config_to_dict,
    load_config,
    save_config,
    valid_keys,
    validate,
)
from mzlab.errors import MzlabError


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_json_text(name):
    cfg = preset(name)
    text = json.dumps(config_to_dict(cfg))
    again = config_from_dict(json.loads(text))
    assert again == cfg
    assert isinstance(again.training.temperatures, tuple)
    assert isinstance(again.network.hidden_layers, tuple)
    assert validate(cfg) is cfg


def test_to_dict_is_plain_json_with_lists():
    data = config_to_dict(preset("cartpole"))
    assert data["training"]["temperatures"] == [1.0, 0.5, 0.25]
    assert data["training"]["temperature_steps"] == [50_000, 75_000]
    assert data["seed"] == 0
    assert set(data) == {"env", "network", "search", "replay", "training", "seed"}


def test_missing_keys_keep_defaults_and_ints_become_floats():
    cfg = config_from_dict({"training": {"learning_rate": 1, "batch_size": 7}, "seed": 3})
    assert cfg.training.learning_rate == 1.0 and isinstance(cfg.training.learning_rate, float)
    assert cfg.training.batch_size == 7 and cfg.seed == 3
    assert cfg.search == ExperimentConfig().search


@pytest.mark.parametrize(
    "data, fragment",
    [
        ({"training": {"batchsize": 3}}, "'training.batchsize'"),
        ({"trainin": {}}, "'trainin'"),
        ({"network": {"kind": "resnet", "depth": 3}}, "'network.depth'"),
    ],
)
def test_unknown_keys_are_refused_with_valid_keys(data, fragment):
    with pytest.raises(MzlabError) as info:
        config_from_dict(data)
    message = str(info.value)
    assert fragment in message and "valid keys" in message and "\n" not in message
    section = fragment.strip("'").split(".")[0] if "." in fragment else None
    if section == "training":
        assert "batch_size" in message
    if section is None:
        assert "env, network, search, replay, training, seed" in message


@pytest.mark.parametrize(
    "data, key",
    [
        ({"training": {"batch_size": "64"}}, "training.batch_size"),
        ({"training": {"batch_size": True}}, "training.batch_size"),
        ({"training": {"batch_size": 1.5}}, "training.batch_size"),
        ({"search": {"add_noise": 1}}, "search.add_noise"),
        ({"training": {"temperatures": 1.0}}, "training.temperatures"),
        ({"training": {"temperatures": [1.0, "x"]}}, "training.temperatures"),
        ({"search": {"prior": 3}}, "search.prior"),
        ({"env": 3}, "env"),
    ],
)
def test_wrong_types_name_the_key(data, key):
    with pytest.raises(MzlabError, match=f"'{key}'"):
        config_from_dict(data)


def test_overrides_parse_by_field_type():
    base = preset("cartpole")
    cfg = apply_overrides(
        base,
        [
            "training.batch_size=64",
            "training.training_steps=100_000",
            "search.prior=uniform",
            "training.temperatures=[1.0,0.5]",
            "training.temperature_steps=[100]",
            "network.hidden_layers=(32, 32,)",
            "network.representation_layers=[]",
            "search.add_noise=False",
            "env.reward_scale=1/3",
            "env.name='lunarlander'",
            "seed=7",
            "training.learning_rate=0.1",
            "training.learning_rate=5e-3",  # later overrides win
        ],
    )
    assert cfg.training.batch_size == 64
    assert cfg.search.prior == "uniform"
    assert cfg.training.temperatures == (1.0, 0.5) and cfg.training.temperature_steps == (100,)
    assert cfg.network.hidden_layers == (32, 32) and cfg.network.representation_layers == ()
    assert cfg.search.add_noise is False
    assert cfg.env.reward_scale == pytest.approx(1 / 3)
    assert cfg.env.name == "lunarlander" and cfg.seed == 7
    assert cfg.training.learning_rate == 0.005
    assert base == preset("cartpole")  # the input is not changed
    assert validate(cfg) is cfg


@pytest.mark.parametrize(
    "override, fragments",
    [
        ("training.batchsize=64", ["'training.batchsize'", "valid keys of 'training'", "batch_size", "device"]),
        ("foo=1", ["'foo'", "env, network, search, replay, training, seed"]),
        ("training.batch_size=abc", ["'training.batch_size'", "'abc'", "int"]),
        ("training.batch_size=64.5", ["'training.batch_size'", "'64.5'", "int"]),
        ("search.add_noise=yes", ["'search.add_noise'", "'yes'", "true/false"]),
        ("training.learning_rate=fast", ["'training.learning_rate'", "'fast'", "float"]),
        ("training.learning_rate=nan", ["'training.learning_rate'", "float"]),
        ("training.temperatures=[1.0,x]", ["'training.temperatures'", "list of float"]),
        ("training=3", ["'training' is a section", "training.batch_size"]),
        ("seed.value=3", ["'seed' is a value"]),
        ("training.batch_size", ["key=value"]),
        # numbers only: no division by zero, no Python expressions, no exotic digits (issue 15)
        ("training.learning_rate=1/0", ["'training.learning_rate'", "'1/0'", "float"]),
        ("training.learning_rate=1/0.0", ["'training.learning_rate'", "float"]),
        ("training.learning_rate=2**3", ["'training.learning_rate'", "float"]),
        ("training.batch_size=1__000", ["'training.batch_size'", "int"]),
        ("training.batch_size=\u0663", ["'training.batch_size'", "int"]),
        ("env.reward_scale=1/3/3", ["'env.reward_scale'", "float"]),
    ],
)
def test_bad_overrides_are_refused_in_one_line(override, fragments):
    with pytest.raises(MzlabError) as info:
        apply_overrides(preset("cartpole"), [override])
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    "override, key, allowed",
    [
        ("training.batch_size=0", "training.batch_size", "[1, 65536]"),
        ("training.batch_size=1000000000", "training.batch_size", "fit in memory"),
        ("training.training_steps=-5", "training.training_steps", "[1, 10**9]"),
        ("search.num_simulations=0", "search.num_simulations", "[1, 100000]"),
        ("replay.num_unroll_steps=1001", "replay.num_unroll_steps", "[1, 1000]"),
        ("replay.td_steps=100000000", "replay.td_steps", "[1, 10**7]"),
        ("env.discount=0", "env.discount", "(0, 1]"),
        ("env.discount=1.5", "env.discount", "(0, 1]"),
        ("search.dirichlet_fraction=1.2", "search.dirichlet_fraction", "[0, 1]"),
        ("replay.reanalyse_fraction=-0.1", "replay.reanalyse_fraction", "[0, 1]"),
        ("search.prior=random", "search.prior", "policy, uniform"),
        ("search.leaf=mc", "search.leaf", "value, rollout"),
        ("search.q_convention=paper", "search.q_convention", "implementation, pseudocode"),
        ("replay.capacity_unit=steps", "replay.capacity_unit", "games, transitions"),
        ("network.kind=transformer", "network.kind", "fully_connected, resnet"),
        ("training.device=tpu", "training.device", "cpu, cuda, auto"),
        ("training.optimizer=rmsprop", "training.optimizer", "adam, sgd"),
        ("training.temperature_steps=[10,5]", "training.temperature_steps", "increasing"),
        ("training.temperatures=[1.0,-1.0,0.5]", "training.temperatures", ">= 0"),
        ("network.hidden_layers=[16,0]", "network.hidden_layers", "[1, 65536]"),
        ("seed=-1", "seed", "2**63"),
    ],
)
def test_validation_names_the_key_and_what_is_allowed(override, key, allowed):
    cfg = apply_overrides(preset("cartpole"), [override])
    with pytest.raises(MzlabError) as info:
        validate(cfg)
    message = str(info.value)
    assert f"'{key}'" in message and allowed in message and "\n" not in message


def test_temperatures_need_one_more_value_than_steps():
    cfg = apply_overrides(preset("cartpole"), ["training.temperatures=[1.0,0.5]"])  # 2 steps need 3 values
    with pytest.raises(MzlabError, match="'training.temperatures'.*exactly 3"):
        validate(cfg)


def test_validation_catches_wrong_types_built_in_code():
    cfg = dataclasses.replace(preset("cartpole"), seed="0")
    with pytest.raises(MzlabError, match="'seed'"):
        validate(cfg)


def test_every_validation_rule_names_a_real_key():
    keys = set(valid_keys())
    assert set(config_rules._RULES) <= keys
    assert set(config_rules._CHOICES) <= keys


def test_hash_is_sha256_of_canonical_json_and_changes_with_any_value():
    cfg = preset("lunarlander")
    canonical = json.dumps(config_to_dict(cfg), sort_keys=True, separators=(",", ":"))
    assert config_hash(cfg) == hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert config_hash(config_from_dict(json.loads(json.dumps(config_to_dict(cfg))))) == config_hash(cfg)
    assert config_hash(apply_overrides(cfg, ["seed=1"])) != config_hash(cfg)
    assert config_hash(apply_overrides(cfg, ["search.c1=1.2500001"])) != config_hash(cfg)


def test_hash_is_the_same_in_another_process():
    code = (
        "from mzlab.config import preset; from mzlab.config_io import config_hash; "
        "print(config_hash(preset('breakout')))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert output.stdout.strip() == config_hash(preset("breakout"))


def test_differences_list_dotted_keys():
    first = preset("cartpole")
    second = apply_overrides(first, ["training.batch_size=64", "seed=2"])
    assert config_differences(first, second) == [("training.batch_size", 128, 64), ("seed", 0, 2)]


def test_save_and_load_round_trip(tmp_path):
    cfg = apply_overrides(preset("breakout"), ["seed=4"])
    path = tmp_path / "config.json"
    save_config(cfg, path)
    assert load_config(path) == cfg
    assert json.loads(path.read_text())["network"]["kind"] == "resnet"


def test_load_errors_name_the_file(tmp_path):
    with pytest.raises(MzlabError, match="missing.json.*does not exist"):
        load_config(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"seed": ')
    with pytest.raises(MzlabError, match="broken.json.*not valid JSON"):
        load_config(broken)
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"search": {"simulations": 5}}')
    with pytest.raises(MzlabError, match="unknown.json.*'search.simulations'.*num_simulations"):
        load_config(unknown)


def test_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "config.json"
    save_config(preset("cartpole"), path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("mzlab.atomic_files.os.replace", crash)
    with pytest.raises(OSError):
        save_config(preset("lunarlander"), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]  # no temp file left behind


def test_docs_describe_every_field():
    text = (Path(__file__).resolve().parents[1] / "docs" / "config.md").read_text()
    table = text.split("## Every field", 1)[1]
    missing = [key for key in valid_keys() if f"| `{key}` |" not in table]
    assert not missing, f"docs/config.md lacks rows for {missing}"


def test_optional_fields_take_none():
    @dataclasses.dataclass(frozen=True)
    class Section:
        limit: int | None = None
        sizes: tuple[int, ...] | None = (1,)

    @dataclasses.dataclass(frozen=True)
    class Top:
        section: Section = dataclasses.field(default_factory=Section)

    assert config_from_dict({"section": {"limit": 5, "sizes": None}}, Top) == Top(Section(5, None))
    assert apply_overrides(Top(), ["section.limit=7", "section.sizes=[2,3]"]) == Top(Section(7, (2, 3)))
    assert apply_overrides(Top(Section(7)), ["section.limit=none"]) == Top(Section(None))
    with pytest.raises(MzlabError, match="'section.limit'.*int or none"):
        apply_overrides(Top(), ["section.limit=x"])
