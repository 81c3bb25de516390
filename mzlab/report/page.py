"""The report's HTML: plain HTML + inline CSS, no scripts, every value escaped."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mzlab.report.tables import SummarySpec, format_mean_se

__all__ = ["Section", "render_page", "summary_table_html", "records_table_html", "MAX_TABLE_ROWS"]

MAX_TABLE_ROWS = 30
"""Rows shown per summary table; the full summary is in the CSV linked under it."""
EVENLY_SPACED_ROWS = 12
"""A long one-key table (training metrics over steps) shows this many evenly spaced rows instead."""

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #1d1d1f; line-height: 1.45; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0 1em; }
th, td { border: 1px solid #d0d0d0; padding: .2em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre, code { background: #f6f6f6; font-size: .85em; } pre { padding: .6em; overflow-x: auto; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
.failed { color: #b00020; font-weight: 600; } .skipped { color: #8a6d00; } .done { color: #1b5e20; }
.note { color: #555; font-size: .9em; } nav a { margin-right: 1em; }
"""


@dataclass
class Section:
    anchor: str
    title: str
    body: list[str] = field(default_factory=list)


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def _cell(value) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f'<td class="num">{int(value)}</td>'  # step counts stored as floats after a merge
    if isinstance(value, float):
        return f'<td class="num">{value:.4g}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{esc(value)}</td>"


def summary_table_html(summary: pd.DataFrame, spec: SummarySpec) -> tuple[str, str]:
    """``(table_html, note)``: keys, one ``mean ± s.e.`` column per value, number of seeds.

    Long summaries show the rows of the last ``step`` (or ``model_step``) only, a long one-key summary evenly
    spaced rows, and anything still too long its first rows.
    """
    shown, note = summary, ""
    step_key = next((k for k in ("step", "model_step") if k in spec.keys), None)
    if len(shown) > MAX_TABLE_ROWS and step_key is not None and len(spec.keys) > 1:
        last = shown[step_key].max()
        shown = shown[shown[step_key] == last]
        note = f"rows of the last checkpoint ({step_key} = {last}); "
    if len(shown) > MAX_TABLE_ROWS and len(spec.keys) == 1:
        picks = np.unique(np.linspace(0, len(shown) - 1, EVENLY_SPACED_ROWS).round().astype(int))
        note += f"{len(picks)} evenly spaced of {len(shown)} rows (first and last included); "
        shown = shown.iloc[picks]
    if len(shown) > MAX_TABLE_ROWS:
        note += f"first {MAX_TABLE_ROWS} of {len(shown)} rows; "
        shown = shown.head(MAX_TABLE_ROWS)
    head = "".join(f"<th>{esc(k)}</th>" for k in spec.keys)
    head += "".join(f"<th>{esc(v)} (mean ± s.e.)</th>" for v in spec.values) + "<th>seeds</th>"
    rows = []
    for _, row in shown.iterrows():
        cells = "".join(_cell(row[k].item() if hasattr(row[k], "item") else row[k]) for k in spec.keys)
        cells += "".join(f'<td class="num">{esc(format_mean_se(row[f"{v}_mean"], row[f"{v}_se"]))}</td>'
                         for v in spec.values)
        cells += f'<td class="num">{int(row["num_seeds"])}</td>'
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>", note


def records_table_html(records: list[dict], *, log_prefix: str) -> str:
    """One row per job: id, status, attempts, seconds, host, log link, error."""
    rows = []
    for record in records:
        status = record.get("status", "?")
        seconds = record.get("seconds")
        log = record.get("log") or ""
        rows.append(
            "<tr>" + f"<td><code>{esc(record.get('job_id'))}</code></td>"
            + f'<td class="{esc(status)}">{esc(status)}</td>'
            + f'<td class="num">{esc(record.get("attempts", 0))}</td>'
            + f'<td class="num">{"" if seconds is None else f"{seconds:.1f}"}</td>'
            + f"<td>{esc(record.get('host') or '')}</td>"
            + (f'<td><a href="{esc(log_prefix + log)}">{esc(log)}</a></td>' if log else "<td></td>")
            + f"<td>{esc(record.get('error') or '')}</td></tr>"
        )
    names = ("job", "status", "attempts", "seconds", "host", "log", "error")
    head = "<tr>" + "".join(f"<th>{name}</th>" for name in names) + "</tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def json_block(payload) -> str:
    return f"<pre>{esc(json.dumps(payload, indent=2, sort_keys=True, default=str))}</pre>"


def render_page(*, title: str, intro: list[str], sections: list[Section]) -> str:
    nav = " ".join(f'<a href="#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        *intro,
        f"<nav>{nav}</nav>",
    ]
    for section in sections:
        parts.append(f'<section id="{esc(section.anchor)}"><h2>{esc(section.title)}</h2>')
        parts.extend(section.body)
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
