"""Configuration to and from JSON, command-line overrides, validation and a stable hash.

The dataclasses in :mod:`mzlab.config` are the one source of truth; this module reads their annotated types, so
a field added there is loaded, overridden, hashed and saved without changes here. Keys are dotted paths
(``training.batch_size``; ``seed`` at the top level).

Conversions are strict: an ``int`` field takes an integer (not ``true``, not ``1.5``), a ``float`` field takes
any number, a ``bool`` field takes ``true``/``false``, tuples take lists. Keys missing from a loaded dict keep
their defaults; unknown keys are refused with the list of valid ones.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import re
import types
import typing
from pathlib import Path
from typing import Any

from mzlab.atomic_files import write_json_atomic
from mzlab.config import ExperimentConfig
from mzlab.errors import MzlabError

__all__ = [
    "config_to_dict",
    "config_from_dict",
    "apply_overrides",
    "validate",
    "config_hash",
    "config_differences",
    "load_config",
    "save_config",
    "valid_keys",
]

_DIGITS = r"[0-9](_?[0-9])*"
_INTEGER = re.compile(rf"^[+-]?{_DIGITS}$")
_DECIMAL = re.compile(rf"^[+-]?({_DIGITS}\.?({_DIGITS})?|\.{_DIGITS})([eE][+-]?{_DIGITS})?$")
"""What ``--set`` accepts as a number: plain decimal digits (a float may be a fraction ``A/B``, B not 0)."""

_TYPE_NAMES = {int: "int", float: "float", bool: "bool (true/false)", str: "str"}


# ---------------------------------------------------------------------------------------------------- to/from dict


def config_to_dict(config: Any) -> dict[str, Any]:
    """JSON-ready nested dict of a config dataclass (tuples become lists)."""
    result: dict[str, Any] = {}
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value):
            result[field.name] = config_to_dict(value)
        elif isinstance(value, tuple):
            result[field.name] = list(value)
        else:
            result[field.name] = value
    return result


def config_from_dict(data: dict[str, Any], cls: type = ExperimentConfig, *, prefix: str = "") -> Any:
    """Build ``cls`` (default :class:`ExperimentConfig`) from a nested dict; missing keys keep defaults.

    Raises MzlabError naming the dotted key for unknown keys (listing the valid ones) and for values of the
    wrong type.
    """
    if not isinstance(data, dict):
        where = f"config section {prefix[:-1]!r}" if prefix else "config"
        raise MzlabError(f"{where} must be a JSON object, got {type(data).__name__}")
    hints = _field_types(cls)
    for key in data:
        if key not in hints:
            raise _unknown_key_error(f"{prefix}{key}", cls, prefix)
    values = {}
    for name, value in data.items():
        annotation = hints[name]
        if dataclasses.is_dataclass(annotation):
            values[name] = config_from_dict(value, annotation, prefix=f"{prefix}{name}.")
        else:
            values[name] = _convert(value, annotation, f"{prefix}{name}")
    return cls(**values)


def valid_keys(cls: type = ExperimentConfig, prefix: str = "") -> list[str]:
    """Every dotted leaf key of ``cls``, e.g. ``["env.name", ..., "seed"]``."""
    keys = []
    for name, annotation in _field_types(cls).items():
        if dataclasses.is_dataclass(annotation):
            keys.extend(valid_keys(annotation, f"{prefix}{name}."))
        else:
            keys.append(f"{prefix}{name}")
    return keys


# ---------------------------------------------------------------------------------------------------- overrides


def apply_overrides(config: ExperimentConfig, overrides: list[str] | tuple[str, ...]) -> ExperimentConfig:
    """Return ``config`` with each ``"dotted.key=value"`` applied in order (later ones win).

    Values are parsed by the field's type: ``64``, ``0.005`` or ``1/3``, ``true``/``false``, a bare string, or
    a tuple written ``[1.0,0.5]`` / ``1.0,0.5`` / ``[]``. The result is not validated; call :func:`validate`.
    """
    for override in overrides:
        key, separator, text = override.partition("=")
        key = key.strip()
        if not separator or not key:
            raise MzlabError(f"override {override!r} is not of the form key=value (e.g. training.batch_size=64)")
        config = _replace_path(config, key.split("."), text.strip(), key)
    return config


def _replace_path(config: Any, parts: list[str], text: str, key: str) -> Any:
    hints = _field_types(type(config))
    name = parts[0]
    prefix = key[: len(key) - len(".".join(parts))]
    if name not in hints:
        raise _unknown_key_error(key, type(config), prefix)
    annotation = hints[name]
    if dataclasses.is_dataclass(annotation):
        if len(parts) == 1:
            raise MzlabError(
                f"config key {key!r} is a section; set one of its keys: {', '.join(valid_keys(annotation, key + '.'))}"
            )
        return dataclasses.replace(config, **{name: _replace_path(getattr(config, name), parts[1:], text, key)})
    if len(parts) > 1:
        raise MzlabError(f"config key {prefix + name!r} is a value, not a section; cannot set {key!r}")
    return dataclasses.replace(config, **{name: _parse_text(text, annotation, key)})


def _parse_text(text: str, annotation: Any, key: str) -> Any:
    inner_type = _optional_inner(annotation)
    if inner_type is not None:
        if text.strip().lower() in ("none", "null"):
            return None
        try:
            return _parse_text(text, inner_type, key)
        except MzlabError:
            raise _type_error(key, text, annotation) from None
    origin = typing.get_origin(annotation)
    if origin is tuple:
        element_type = typing.get_args(annotation)[0]
        inner = text.strip()
        if (inner.startswith("[") and inner.endswith("]")) or (inner.startswith("(") and inner.endswith(")")):
            inner = inner[1:-1]
        items = [item.strip() for item in inner.split(",")] if inner.strip() else []
        if items and items[-1] == "":
            items.pop()  # a trailing comma, as in "(16,)"
        try:
            return tuple(_parse_scalar(item, element_type) for item in items)
        except ValueError:
            raise _type_error(key, text, annotation) from None
    try:
        return _parse_scalar(text, annotation)
    except ValueError:
        raise _type_error(key, text, annotation) from None


def _parse_scalar(text: str, annotation: Any) -> Any:
    if annotation is bool:
        lowered = text.lower()
        if lowered not in ("true", "false"):
            raise ValueError(text)
        return lowered == "true"
    if annotation is int:
        if not _INTEGER.match(text):
            raise ValueError(text)
        return int(text)
    if annotation is float:
        numerator, slash, denominator = text.partition("/")
        if not _DECIMAL.match(numerator) or (slash and not _DECIMAL.match(denominator)):
            raise ValueError(text)
        if slash and float(denominator) == 0.0:
            raise ValueError(f"{text} divides by zero")
        value = float(numerator) / float(denominator) if slash else float(text)
        if not math.isfinite(value):
            raise ValueError(text)
        return value
    if annotation is str:
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            return text[1:-1]
        return text
    raise ValueError(f"unsupported field type {annotation!r}")


# ---------------------------------------------------------------------------------------------------- conversion


def _convert(value: Any, annotation: Any, key: str) -> Any:
    inner_type = _optional_inner(annotation)
    if inner_type is not None:
        if value is None:
            return None
        try:
            return _convert(value, inner_type, key)
        except MzlabError:
            raise _type_error(key, value, annotation) from None
    origin = typing.get_origin(annotation)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise _type_error(key, value, annotation)
        element_type = typing.get_args(annotation)[0]
        return tuple(_convert_scalar(item, element_type, key, annotation) for item in value)
    return _convert_scalar(value, annotation, key, annotation)


def _convert_scalar(value: Any, annotation: Any, key: str, shown: Any) -> Any:
    if annotation is bool and isinstance(value, bool):
        return value
    if annotation is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if annotation is float and isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value):
            return float(value)
    if annotation is str and isinstance(value, str):
        return value
    raise _type_error(key, value, shown)


def _optional_inner(annotation: Any) -> Any:
    """``X`` for an ``X | None`` annotation, else None."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        others = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(others) == 1 and len(typing.get_args(annotation)) == 2:
            return others[0]
    return None


def _type_name(annotation: Any) -> str:
    inner_type = _optional_inner(annotation)
    if inner_type is not None:
        return f"{_type_name(inner_type)} or none"
    if typing.get_origin(annotation) is tuple:
        element = typing.get_args(annotation)[0]
        return f"list of {_TYPE_NAMES.get(element, str(element))} (written like [1,2])"
    return _TYPE_NAMES.get(annotation, str(annotation))


def _type_error(key: str, value: Any, annotation: Any) -> MzlabError:
    return MzlabError(f"config key {key!r}: value {value!r} is not a valid {_type_name(annotation)}")


def _unknown_key_error(key: str, cls: type, prefix: str) -> MzlabError:
    section = f"of {prefix[:-1]!r}" if prefix else "at the top level"
    names = ", ".join(_field_types(cls))
    return MzlabError(f"unknown config key {key!r}; valid keys {section}: {names}")


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    """Field name -> resolved annotation, in declaration order."""
    hints = typing.get_type_hints(cls)
    result = {}
    for field in dataclasses.fields(cls):
        annotation = hints[field.name]
        if isinstance(annotation, types.UnionType) and _optional_inner(annotation) is None:
            raise TypeError(f"{cls.__name__}.{field.name}: only `X | None` unions are supported by config_io")
        result[field.name] = annotation
    return result


# ---------------------------------------------------------------------------------------------------- validation


def validate(config: ExperimentConfig) -> ExperimentConfig:
    """Return ``config`` unchanged if every value is possible; otherwise MzlabError naming the key and what is
    allowed (the rules live in :mod:`mzlab.config_rules`)."""
    from mzlab.config_rules import validate_config

    return validate_config(config)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat = {}
    for name, value in data.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


# ---------------------------------------------------------------------------------------------------- hash and files


def config_hash(config: ExperimentConfig) -> str:
    """First 16 hex digits of the sha256 of the canonical JSON (sorted keys, no spaces) of ``config``."""
    canonical = json.dumps(config_to_dict(config), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def config_differences(first: ExperimentConfig, second: ExperimentConfig) -> list[tuple[str, Any, Any]]:
    """``(dotted key, first value, second value)`` for every leaf that differs, in field order."""
    flat_first, flat_second = _flatten(config_to_dict(first)), _flatten(config_to_dict(second))
    return [(key, flat_first[key], flat_second[key]) for key in flat_first if flat_first[key] != flat_second[key]]


def load_config(path: str | os.PathLike) -> ExperimentConfig:
    """Read a config JSON file; errors name the file (missing, too large, not JSON, nested too deeply, a bad
    key or value)."""
    from mzlab.checked_files import read_json_file

    path = Path(path)
    if not path.exists():
        raise MzlabError(f"config file {str(path)!r} does not exist")
    data = read_json_file(path, what="config file", limit=2**20)
    try:
        return config_from_dict(data)
    except MzlabError as error:
        raise MzlabError(f"config file {str(path)!r}: {error}") from None


def save_config(config: ExperimentConfig, path: str | os.PathLike) -> None:
    """Write ``config`` as indented JSON, atomically (the old file stays intact if writing fails)."""
    write_json_atomic(path, config_to_dict(config))
