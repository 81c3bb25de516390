"""Variants of one study: named sets of config overrides run over the same seeds and analyses.

``--variant NAME:KEY=VALUE[,KEY=VALUE...]`` (repeatable): each variant trains every seed with the study's
``--set`` overrides followed by its own, into ``runs/variant-NAME/seed-N`` and analyses into
``analysis/variant-NAME/seed-N/<experiment>``; the report reads the variant from that folder name. Objectives
(``training.objective=consistency``) and hyperparameters (``replay.num_unroll_steps=5``) alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mzlab.errors import MzlabError

__all__ = ["Variant", "parse_variant", "parse_variants", "check_variant_configs", "VARIANT_FOLDER_PREFIX"]

VARIANT_FOLDER_PREFIX = "variant-"
"""Folder ``variant-<name>`` under ``runs/`` and ``analysis/`` holds one variant's seeds."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_FORM = "NAME:KEY=VALUE[,KEY=VALUE...] (e.g. consistency:training.objective=consistency)"
# split on the commas that start a new KEY=, so list values like network.hidden_layers=[8,8] stay whole
_NEXT_OVERRIDE = re.compile(r",\s*(?=[A-Za-z_][A-Za-z0-9_.]*\s*=)")


@dataclass(frozen=True)
class Variant:
    name: str
    """Letters, digits, ``-`` and ``_`` (it names folders and job ids)."""
    overrides: tuple[str, ...]
    """``key=value`` overrides applied after the study's own ``--set`` ones."""

    def to_json(self) -> dict:
        return {"name": self.name, "overrides": list(self.overrides)}


def parse_variant(text: str) -> Variant:
    """``"NAME:k=v,k2=v2"`` -> :class:`Variant`; MzlabError (one line, the expected form) otherwise."""
    name, colon, rest = text.partition(":")
    name = name.strip()
    if not colon or not _NAME.match(name):
        raise MzlabError(f"--variant {text!r}: expected {_FORM}; NAME is letters, digits, '-' and '_'")
    overrides = tuple(item.strip() for item in _NEXT_OVERRIDE.split(rest.strip()) if item.strip())
    if not overrides or any("=" not in item or not item.split("=", 1)[0].strip() for item in overrides):
        raise MzlabError(f"--variant {text!r}: expected {_FORM}")
    return Variant(name, overrides)


def parse_variants(texts: Sequence[str]) -> tuple[Variant, ...]:
    """Every ``--variant``; names must differ."""
    variants = tuple(parse_variant(text) for text in texts)
    names = [variant.name for variant in variants]
    duplicate = next((name for name in names if names.count(name) > 1), None)
    if duplicate is not None:
        raise MzlabError(f"--variant: the name {duplicate!r} is given twice; each variant needs its own name")
    return variants


def check_variant_configs(env: str, overrides: Sequence[str], variants: Sequence[Variant]) -> None:
    """Build and validate every variant's config now, so a bad key or value fails before any job runs."""
    from mzlab.config_io import apply_overrides, validate
    from mzlab.envs.generic_preset import experiment_preset

    base = experiment_preset(env)  # a paper preset or the generic gym: preset
    for variant in variants or (None,):
        extra = () if variant is None else variant.overrides
        try:
            validate(apply_overrides(base, [*overrides, *extra]))
        except MzlabError as error:
            where = "--set" if variant is None else f"--variant {variant.name}"
            raise MzlabError(f"{where}: {error}") from None
