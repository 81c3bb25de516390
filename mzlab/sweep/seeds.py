"""Seed lists from the command line: ``"0-4"``, ``"7"``, ``"0-2,5,9-10"``."""

from __future__ import annotations

import re

from mzlab.errors import MzlabError

__all__ = ["parse_seeds"]

_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")
MAX_SEEDS = 1000
"""Most seeds one study may hold (each is a training run and its analyses)."""


def parse_seeds(text: str) -> list[int]:
    """Expand a seed range into a sorted list of distinct non-negative seeds.

    Items are separated by commas; each is a seed ``N`` or an inclusive range ``A-B`` with ``A <= B``.
    Anything else (``"0-"``, ``"a-b"``, ``"3-1"``, an empty string) raises :class:`MzlabError`.
    """
    seeds: set[int] = set()
    items = [item.strip() for item in str(text).split(",")]
    ranges = []
    for item in items:
        match = _ITEM.match(item)
        if match is None:
            raise MzlabError(f"--seeds: malformed item {item!r} in {text!r}; use N, A-B (A <= B) or a comma list")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise MzlabError(f"--seeds: range {item!r} runs backwards; write it as {last}-{first}")
        if last >= 2**63:
            raise MzlabError(f"--seeds: seed {last} is too large; seeds are integers in [0, 2**63)")
        ranges.append((first, last))
    if sum(last - first + 1 for first, last in ranges) > MAX_SEEDS:
        raise MzlabError(f"--seeds: {text!r} asks for more than {MAX_SEEDS} seeds; a study holds at most {MAX_SEEDS}")
    for first, last in ranges:
        seeds.update(range(first, last + 1))
    return sorted(seeds)
