"""The generic report figure draws at most MAX_LINES series and says so in its heading when it drops some."""

import re

import pandas as pd

from mzlab.analysis.experiment import SummarySpec
from mzlab.report.figures import MAX_LINES, _pick_series, draw_summary


def _summary(num_series: int) -> pd.DataFrame:
    rows = [{"model_step": 1000 * s, "horizon": h, "error_mean": s + h, "error_se": 0.1, "num_seeds": 3}
            for s in range(num_series) for h in (1, 2, 3)]
    return pd.DataFrame(rows)


def test_series_are_spread_evenly_and_counted():
    assert MAX_LINES == 6
    shown, total = _pick_series(_summary(8), ("model_step",))
    # np.linspace(0, 7, 6) = 0, 1.4, 2.8, 4.2, 5.6, 7 -> rounded indices 0, 1, 3, 4, 6, 7
    assert [s[0] for s in shown] == [0, 1000, 3000, 4000, 6000, 7000]
    assert total == 8
    shown, total = _pick_series(_summary(4), ("model_step",))
    assert [s[0] for s in shown] == [0, 1000, 2000, 3000] and total == 4


def _texts(svg_path) -> str:
    """All text of an SVG (matplotlib keeps text as <text> elements), joined by spaces: wrapped lines rejoin."""
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg_path.read_text()))


def test_heading_names_the_cap_only_when_series_are_dropped(tmp_path):
    spec = SummarySpec(keys=("model_step", "horizon"), values=("error",), x="horizon", series=("model_step",))
    draw_summary(_summary(8), spec, tmp_path / "capped", title="cross-step")
    draw_summary(_summary(5), spec, tmp_path / "full", title="cross-step")
    capped = _texts(tmp_path / "capped.svg")
    full = _texts(tmp_path / "full.svg")
    assert "6 of 8 model_step series shown" in capped
    assert "series shown" not in full
    assert "model_step=7000" in capped and "model_step=2000" not in capped  # index 2 is the one dropped
    assert "model_step=4000" in full
