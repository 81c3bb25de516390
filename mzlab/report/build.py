"""``build_report(STUDY | [STUDY, ...])``: one HTML page with the findings table (the paper's claims against
our numbers), the figures in the paper's layout (environments as columns), tables, configs, seeds, versions
and commands.

Reads only what the study directories hold (``study.json``, ``jobs/``, ``runs/*/config.json``, Parquet tables
under ``analysis/`` and ``runs/``); writes ``STUDY/report/index.html`` with its figures (PNG and SVG) and
summary CSVs beside it in ``STUDY/report/``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import time
from pathlib import Path

import pandas as pd

from mzlab.checked_files import read_json_file
from mzlab.errors import MzlabError
from mzlab.report.captions import caption
from mzlab.report.figures import draw_summary
from mzlab.report.findings import findings
from mzlab.report.page import Section, esc, json_block, records_table_html, render_page, summary_table_html
from mzlab.report.tables import (
    VARIANT_COLUMN,
    SummarySpec,
    collect_tables,
    format_mean_se,
    spec_for,
    summarise,
    with_variant,
)
from mzlab.sweep.provenance import software_versions
from mzlab.sweep.records import record_problem
from mzlab.sweep.study import read_study_file

__all__ = ["build_report"]


def _read_records(study_dir: Path) -> list[dict]:
    """Every job record of the study; a malformed one is a named error (the report never guesses)."""
    records = []
    for path in sorted((study_dir / "jobs").glob("*.json")):
        record = read_json_file(path, what="job record")
        problem = record_problem(record)
        if problem:
            raise MzlabError(f"job record {str(path)!r} is malformed: {problem}; restore it, or delete it and rerun "
                             "the sweep to record the job again")
        records.append(record)
    return records


def _image_html(png: Path, svg: Path, report_dir: Path, *, alt: str, embed: bool) -> str:
    if embed:
        source = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
    else:
        source = png.relative_to(report_dir).as_posix()
    svg_link = svg.relative_to(report_dir).as_posix()
    return (f'<figure><img src="{esc(source)}" alt="{esc(alt)}">'
            f'<figcaption class="note">{esc(alt)} · <a href="{esc(svg_link)}">SVG</a></figcaption></figure>')


def _result_section(name: str, table: pd.DataFrame, spec: SummarySpec, report_dir: Path, *, embed: bool,
                    anchor: str, title: str, caption_text: str | None = None) -> Section:
    section = Section(anchor, title)
    if not spec.values:
        section.body.append(f"<p class='note'>No numeric result columns in this table ({len(table)} rows).</p>")
        return section
    summary = summarise(table, spec)
    csv_path = report_dir / "tables" / f"{name}-summary.csv"
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(csv_path, index=False)
    images, figure_note = _draw(name, table, summary, spec, report_dir / "figures" / name, title=spec.title or title)
    seeds = sorted(table["seed"].unique().tolist()) if "seed" in table.columns else []
    section.body.append(f"<p>{esc(spec.title or title)}. {len(table)} rows from seeds {esc(seeds)}.</p>")
    alt = caption_text or f"{name}: mean ± standard error"
    for png, svg, label in images:
        section.body.append(_image_html(png, svg, report_dir, alt=f"{label}: {alt}" if label else alt, embed=embed))
    for png, svg, extra_caption in _extra_images(name, table, report_dir / "figures" / name):
        section.body.append(_image_html(png, svg, report_dir, alt=extra_caption, embed=embed))
    if figure_note:
        section.body.append(f"<p class='note'>{esc(figure_note)}</p>")
    table_html, note = summary_table_html(summary, spec)
    section.body.append(table_html)
    csv_link = csv_path.relative_to(report_dir).as_posix()
    section.body.append(f'<p class="note">{esc(note)}full summary: <a href="{esc(csv_link)}">{esc(csv_link)}</a>; '
                        "s.e. = standard deviation over seeds / sqrt(number of seeds), after averaging "
                        "within each seed.</p>")
    return section


def _draw(name: str, table: pd.DataFrame, summary: pd.DataFrame, spec: SummarySpec, stem: Path, *,
          title: str) -> tuple[list[tuple[Path, Path, str]], str]:
    """The figure the experiment's spec names for the table (drawn from the multi-seed table by
    :mod:`mzlab.plots`), else the generic mean ± s.e. drawing of ``summary``. With several variants: the
    generic figure (one line per variant) and then the paper's figure once per variant, on the same axes
    limits where the figure function allows. Returns ([(png, svg, label)], note)."""
    try:
        from mzlab.plots.experiment_figures import figure_function

        function = figure_function(name)
    except ImportError:
        function = None
    variants = (sorted(table[VARIANT_COLUMN].dropna().unique().tolist())
                if VARIANT_COLUMN in table.columns else [])
    if function is None:
        png, svg = draw_summary(summary, spec, stem, title=title)
        return [(png, svg, "")], ""
    if len(variants) <= 1:
        paths, note = _paper_figure(function, table, stem)
        if paths is not None:
            return [(*paths, "")], "Figure: mzlab.plots (the paper's layout), mean ± s.e. over seeds."
        png, svg = draw_summary(summary, spec, stem, title=title)
        return [(png, svg, "")], note
    png, svg = draw_summary(summary, spec, stem, title=title)
    images, notes = [(png, svg, "all variants")], []
    for variant in variants:
        part = table[table[VARIANT_COLUMN] == variant]
        paths, note = _paper_figure(function, part, stem.with_name(f"{stem.name}-variant-{variant}"),
                                    suffix=f"variant {variant}")
        if paths is not None:
            images.append((*paths, f"variant {variant}"))
        elif note:
            notes.append(f"{variant}: {note}")
    return images, ("Variants side by side: one line per variant in the first figure, then the paper's layout "
                    "for each variant (mean ± s.e. over that variant's seeds). " + " ".join(notes)).strip()


def _extra_images(name: str, table: pd.DataFrame, stem: Path) -> list[tuple[Path, Path, str]]:
    """The table's further figures (its spec's ``extra_figures``), once per variant in a study with variants;
    one that fails is left out (the main figure and the numbers remain)."""
    try:
        from mzlab.plots.experiment_figures import extra_figures

        extras = extra_figures(name)
    except ImportError:
        return []
    variants = (sorted(table[VARIANT_COLUMN].dropna().unique().tolist())
                if VARIANT_COLUMN in table.columns else [])
    parts = [(table, "")] if len(variants) <= 1 else [
        (table[table[VARIANT_COLUMN] == variant], f"variant {variant}") for variant in variants]
    images = []
    for suffix, function, extra_caption in extras:
        for part, label in parts:
            tail = f"-variant-{label.split(' ', 1)[1]}" if label else ""
            paths, _ = _paper_figure(function, part, stem.with_name(f"{stem.name}-{suffix}{tail}"), suffix=label)
            if paths is not None:
                images.append((*paths, f"{label}: {extra_caption}" if label else extra_caption))
    return images


def _paper_figure(function, table: pd.DataFrame, stem: Path, *, suffix: str = "") -> tuple[tuple | None, str]:
    """Draw ``function(table)`` into ``stem``.png/.svg; ``(None, why)`` when the figure function fails."""
    import matplotlib.pyplot as plt

    try:
        figure = function(table)
        if suffix:
            existing = figure.get_suptitle()
            figure.suptitle(f"{existing} — {suffix}" if existing else suffix)
        stem.parent.mkdir(parents=True, exist_ok=True)
        paths = (stem.with_suffix(".png"), stem.with_suffix(".svg"))
        figure.savefig(paths[0], dpi=110, bbox_inches="tight")
        figure.savefig(paths[1], bbox_inches="tight")
        plt.close(figure)
        return paths, ""
    except Exception as error:  # noqa: BLE001 - the report still shows the numbers with a generic figure
        plt.close("all")
        return None, f"The paper-layout figure failed ({type(error).__name__}: {error}); generic figure shown."


def _metrics_spec(table: pd.DataFrame) -> SummarySpec | None:
    if "step" not in table.columns:
        return None
    floats = [c for c in table.columns if c not in ("seed", "step") and pd.api.types.is_float_dtype(table[c])]
    preferred = [c for c in floats if "return" in c] + [c for c in floats if "loss" in c] or floats
    return with_variant(SummarySpec(("step",), tuple(preferred[:6]), "step", (), "Training metrics"), table)


def build_report(study_dirs, *, embed_figures: bool = False, out: str | os.PathLike | None = None) -> Path:
    """Write ``index.html`` for one study directory or a list of them (figures as files beside it, or
    embedded) and return its path: ``out/index.html``, by default ``STUDY/report/index.html`` of a single
    study (several studies need ``out``). Several studies (e.g. one per environment) share every figure, one
    column per environment as in the paper.

    The report is built in a fresh hidden folder and swapped in by renames, so an interrupted build leaves
    the previous report whole and a rebuild leaves no stale figures.
    """
    studies = [Path(d) for d in ([study_dirs] if isinstance(study_dirs, (str, os.PathLike)) else study_dirs)]
    if not studies:
        raise MzlabError("give at least one study directory")
    for study_dir in studies:
        if not study_dir.is_dir():
            raise MzlabError(f"{study_dir}: no such study directory")
        if not any((study_dir / name).exists() for name in ("study.json", "jobs", "analysis", "runs")):
            raise MzlabError(f"{study_dir}: not a study directory (no study.json, jobs/, analysis/ or runs/)")
    if out is None and len(studies) > 1:
        raise MzlabError("--out: a report over several studies needs an output directory")
    final_dir = Path(out) if out is not None else studies[0] / "report"
    final_dir.parent.mkdir(parents=True, exist_ok=True)
    report_dir = final_dir.parent / f".report-building-{os.getpid()}"
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    try:
        _build(studies, report_dir, final_dir, embed_figures=embed_figures)
    except BaseException:
        shutil.rmtree(report_dir, ignore_errors=True)
        raise
    old_dir = final_dir.parent / f".report-old-{os.getpid()}"
    if final_dir.exists():
        os.replace(final_dir, old_dir)
    os.replace(report_dir, final_dir)
    shutil.rmtree(old_dir, ignore_errors=True)
    return final_dir / "index.html"


def _findings_section(results: dict[str, pd.DataFrame]) -> Section:
    section = Section("findings", "Findings: the paper's claims against our numbers")
    rows = []
    found = findings(results)
    with_variants = any(f.variant is not None for f in found)
    for finding in found:
        claim = finding.claim
        number = format_mean_se(finding.mean, finding.standard_error)
        css = {"holds": "done", "reversed": "failed", "unclear": "skipped"}.get(finding.verdict.split(" ")[0], "")
        rows.append(f"<tr><td>{esc(claim.figure)}</td><td>&ldquo;{esc(claim.quote)}&rdquo;</td>"
                    f"<td>{esc(claim.measure)}</td><td>{esc(finding.env)}</td>"
                    + (f"<td>{esc(finding.variant or '')}</td>" if with_variants else "")
                    + f"<td class='num'>{esc(number)}</td>"
                    f"<td class='num'>{finding.num_seeds}</td><td class='{css}'>{esc(finding.verdict)}</td></tr>")
    if not rows:
        section.body.append("<p class='note'>No result table answers a claim yet.</p>")
        return section
    variant_header = "<th>variant</th>" if with_variants else ""
    section.body.append("<table><tr><th>figure</th><th>the paper says</th><th>our measure (positive = as the "
                        f"paper says)</th><th>env</th>{variant_header}<th>ours (mean ± s.e.)</th><th>seeds</th>"
                        "<th>verdict</th></tr>" + "".join(rows) + "</table>")
    section.body.append("<p class='note'>Each measure is computed per seed from the tables below, then averaged "
                        "over seeds (s.e. = standard deviation over seeds / sqrt(seeds)). holds: mean &gt; 2 s.e.; "
                        "reversed: mean &lt; -2 s.e.; unclear: in between; with one seed the sign alone.</p>")
    return section


def _study_sections(study_dir: Path, study: dict, records: list[dict], *, suffix: str, log_prefix: str
                    ) -> list[Section]:
    """Configuration, commands and jobs of one study (``suffix`` tells studies apart on a shared page)."""
    named = f": {study_dir.name}" if suffix else ""
    runs_dir = study_dir / "runs"
    configs = {path.parent.relative_to(runs_dir).as_posix(): read_json_file(path, what="config file")
               for path in sorted(runs_dir.glob("**/config.json"))}
    config_section = Section(f"config{suffix}", f"Configuration{named}")
    config_section.body.append(f"<p>Overrides: <code>{esc(' '.join(study.get('overrides', [])) or 'none')}</code>"
                               f"; analyses quick budget: {esc(study.get('quick', '?'))}; analysis options: "
                               f"<code>{esc(' '.join(study.get('analysis_options') or []) or 'defaults')}</code>.</p>")
    for variant in study.get("variants") or []:
        config_section.body.append(f"<p>Variant <b>{esc(variant.get('name'))}</b>: "
                                   f"<code>{esc(' '.join(variant.get('overrides', [])))}</code></p>")
    distinct = {json.dumps(c, sort_keys=True, default=str) for c in configs.values()}
    if len(distinct) == 1:
        config_section.body.append(f"<p>The same config.json for {esc(', '.join(configs))} "
                                   "(apart from anything listed per seed below).</p>")
        config_section.body.append(json_block(next(iter(configs.values()))))
    for run, config in (configs.items() if len(distinct) > 1 else []):
        config_section.body.append(f"<details><summary>{esc(run)}</summary>{json_block(config)}</details>")
    if not configs:
        config_section.body.append("<p class='note'>No runs/*/config.json found.</p>")

    commands = Section(f"commands{suffix}", f"Commands{named}")
    sweeps = study.get("sweeps", [])
    commands.body.append("<pre>" + esc("\n".join(s.get("command") or "(from Python)" for s in sweeps)
                                       + f"\nmzlab report {study_dir}") + "</pre>")
    job_commands = study.get("commands", {})
    if job_commands:
        commands.body.append("<details><summary>every job as a command</summary><pre>"
                             + esc("\n".join(job_commands.values())) + "</pre></details>")
    jobs = Section(f"jobs{suffix}", f"Jobs{named}", [records_table_html(records, log_prefix=log_prefix)])
    return [config_section, commands, jobs]


def _concat_tables(groups: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    names = sorted({name for group in groups for name in group})
    return {name: pd.concat([g[name] for g in groups if name in g], ignore_index=True) for name in names}


def _study_records(study_dir: Path, study: dict) -> list[dict]:
    records = _read_records(study_dir)
    recorded = {record["job_id"] for record in records}
    return records + [{"job_id": job_id, "kind": "?", "status": "no record"}  # shown, never silently dropped
                      for job_id in study.get("commands", {}) if job_id not in recorded]


def _build(studies: list[Path], report_dir: Path, final_dir: Path, *, embed_figures: bool) -> None:
    """Write the page and everything beside it into ``report_dir`` (a fresh folder)."""
    infos = [read_study_file(study_dir) or {} for study_dir in studies]
    all_records = [_study_records(study_dir, info) for study_dir, info in zip(studies, infos, strict=True)]
    several = len(studies) > 1

    results = _concat_tables([collect_tables(d, folder="analysis") for d in studies])
    sections: list[Section] = [_findings_section(results)]
    for study_dir, info in zip(studies, infos, strict=True):
        suffix = f"-{study_dir.name}" if several else ""
        metrics = collect_tables(study_dir, folder="runs", pattern="**/metrics.parquet")
        for name, table in metrics.items():
            spec = _metrics_spec(table)
            if spec is not None and spec.values:
                title = f"Training: {name}" + (f" ({info.get('env', study_dir.name)})" if several else "")
                sections.append(_result_section(f"training-{name}{suffix}", table, spec, report_dir,
                                                embed=embed_figures, anchor=f"training-{name}{suffix}", title=title))
    for name, table in results.items():
        sections.append(_result_section(name, table, spec_for(name, table), report_dir, embed=embed_figures,
                                        anchor=name, title=name, caption_text=caption(name, table, infos)))
    if not results:
        sections.append(Section("results", "Results", ["<p class='note'>No result tables under analysis/ yet.</p>"]))
    per_seed = sorted((studies[0] / "analysis").rglob("*.png")) if (studies[0] / "analysis").is_dir() else []
    if per_seed and not several:
        links = "".join(f'<li><a href="../{esc(p.relative_to(studies[0]).as_posix())}">'
                        f"{esc(p.relative_to(studies[0]).as_posix())}</a></li>" for p in per_seed)
        sections.append(Section("per-seed", "Per-seed figures from mzlab analyze",
                                [f"<details><summary>{len(per_seed)} figures</summary><ul>{links}</ul></details>"]))

    for study_dir, info, records in zip(studies, infos, all_records, strict=True):
        prefix = os.path.relpath(study_dir.resolve(), final_dir.resolve()).replace(os.sep, "/") + "/"
        sections.extend(_study_sections(study_dir, info, records, suffix=f"-{study_dir.name}" if several else "",
                                        log_prefix=prefix))
    versions = Section("versions", "Versions")
    recorded = infos[0].get("versions") or {}
    now = software_versions()
    names = list(dict.fromkeys([*recorded, *now]))
    rows = "".join(f"<tr><td>{esc(n)}</td><td>{esc(recorded.get(n, ''))}</td><td>{esc(now.get(n, ''))}</td></tr>"
                   for n in names)
    versions.body.append(f"<table><tr><th>software</th><th>at the last sweep</th><th>building this report</th></tr>"
                         f"{rows}</table>")
    sections.append(versions)

    intro = []
    for study_dir, study, records in zip(studies, infos, all_records, strict=True):
        counts = pd.Series([r.get("status", "?") for r in records]).value_counts().to_dict() if records else {}
        seeds = study.get("seeds") or sorted({int(r["job_id"].split(".")[0][5:]) for r in records
                                              if re.match(r"^seed-\d+\.", r["job_id"])})
        variant_names = [variant.get("name") for variant in study.get("variants") or []]
        intro.append(
            f"<p>Environment <b>{esc(study.get('env', '?'))}</b>; seeds <b>{esc(seeds)}</b>; "
            + (f"variants <b>{esc(', '.join(variant_names))}</b> (side by side in every table and figure); "
               if variant_names else "")
            + "analyses "
            f"{esc(', '.join(study.get('analyses', [])) or '?')}. Jobs: "
            + esc(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none recorded") + ".</p>")
        intro.append(f"<p class='note'>Study {esc(study_dir.resolve())}, created {esc(study.get('created', '?'))}.</p>")
    intro.append(f"<p class='note'>Report built {esc(time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime()))}.</p>")
    title = "mzlab study: " + ", ".join(d.resolve().name for d in studies)
    page = render_page(title=title, intro=intro, sections=sections)
    (report_dir / "index.html").write_text(page, encoding="utf-8")
