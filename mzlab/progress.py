"""Progress reporting that suits where it goes: a live bar on a terminal, plain lines in a log file.

On a terminal (``stream.isatty()``) :class:`Progress` draws a tqdm bar. Anywhere else (a log file, a pipe, a
sweep worker's log) it never writes a carriage return: it prints one plain line every ``line_every`` items
and when closed, e.g. ``train cartpole: step 400/1000 (40%), 21.5 step/s, return 87.0, ETA 0:00:28``.
"""

from __future__ import annotations

import datetime
import sys
import time
from typing import TextIO

__all__ = ["Progress", "format_seconds"]


def format_seconds(seconds: float) -> str:
    """``H:MM:SS`` of a duration (rounded to the second)."""
    return str(datetime.timedelta(seconds=max(0, round(seconds))))


class Progress:
    """Count ``total`` items of ``unit``; ``enabled=False`` prints nothing at all.

    ``info(**fields)`` sets the extra fields shown (``return=87.0``); ``write(text)`` prints a message line
    without breaking the bar; ``announce`` prints a first plain line before any item is done.
    """

    def __init__(self, total: int, *, desc: str, unit: str = "it", initial: int = 0, enabled: bool = True,
                 line_every: int = 1, stream: TextIO | None = None, leave: bool = True, announce: bool = False):
        self.total, self.desc, self.unit, self.count = int(total), desc, unit, int(initial)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.line_every = max(1, int(line_every))
        self.fields: dict[str, str] = {}
        self._started, self._start_count = time.perf_counter(), self.count
        self._last_line = self.count
        self._bar = None
        if enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, initial=self.count, desc=desc, unit=unit, file=self.stream,
                             dynamic_ncols=True, leave=leave)
        elif enabled and announce:
            print(f"{desc}: {self.count}/{self.total} {unit}s to do", file=self.stream, flush=True)

    def update(self, n: int = 1) -> None:
        self.count += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled and self.count - self._last_line >= self.line_every:
            self._line()

    def info(self, **fields: object) -> None:
        self.fields = {key: _short(value) for key, value in fields.items()}
        if self._bar is not None:
            self._bar.set_postfix(self.fields, refresh=False)

    def write(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        elif self.enabled:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.count != self._last_line:
            self._line()

    def line(self) -> str:
        """The plain progress line for the current count."""
        elapsed = time.perf_counter() - self._started
        done = self.count - self._start_count
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.desc}: {self.unit} {self.count}/{self.total}"
                 + (f" ({100 * self.count / self.total:.0f}%)" if self.total else "")]
        parts.append(f"{rate:.3g} {self.unit}/s")
        parts += [f"{key} {value}" for key, value in self.fields.items()]
        remaining = self.total - self.count
        parts.append(f"ETA {format_seconds(remaining / rate)}" if rate > 0 and remaining > 0 else
                     f"elapsed {format_seconds(elapsed)}")
        return ", ".join(parts)

    def _line(self) -> None:
        self._last_line = self.count
        print(self.line(), file=self.stream, flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
