"""Seed lists from the command line: ``"0-4"``, ``"7"``, ``"0-2,5,9-10"``."""

from __future__ import annotations

import re

from mzlab.errors import MzlabError

__all__ = ["parse_seeds"]

_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")


def parse_seeds(text: str) -> list[int]:
    """Expand a seed range into a sorted list of distinct non-negative seeds.

    Items are separated by commas; each is a seed ``N`` or an inclusive range ``A-B`` with ``A <= B``.
    Anything else (``"0-"``, ``"a-b"``, ``"3-1"``, an empty string) raises :class:`MzlabError`.
    """
    seeds: set[int] = set()
    items = [item.strip() for item in str(text).split(",")]
    for item in items:
        match = _ITEM.match(item)
        if match is None:
            raise MzlabError(f"--seeds: malformed item {item!r} in {text!r}; use N, A-B (A <= B) or a comma list")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise MzlabError(f"--seeds: range {item!r} runs backwards; write it as {last}-{first}")
        seeds.update(range(first, last + 1))
    return sorted(seeds)
