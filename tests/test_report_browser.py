"""The report in a real browser (headless Chromium): every figure loads and the console stays silent.

The page itself has no scripts; the test loads a copy with a small probe script added, which records, after
the load event, how many images there are and which failed to decode, plus any error events (a failed
resource load included). Chromium's console messages come on stderr with ``--enable-logging=stderr``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_fixtures import make_study

from mzlab.report import build_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER = next((path for path in map(shutil.which, BROWSERS) if path), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless browser (install Debian's `chromium`; "
                                                        ".ci/run does so)")

PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(e.message || ((e.target && (e.target.src || e.target.href)) || "error event"));
}, true);
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !(i.complete && i.naturalWidth > 0); })
                     .map(function (i) { return i.getAttribute("src").slice(0, 80); });
  document.documentElement.setAttribute("data-probe", JSON.stringify(
    {images: images.length, broken: broken, errors: window.__errors}));
});
</script>"""


def render(page: Path, tmp_path: Path) -> tuple[dict, list[str]]:
    """Load ``page`` (through a probed copy beside it) in headless Chromium; return (probe, console lines)."""
    probed = page.with_name("_probe_" + page.name)
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    result = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
         "--virtual-time-budget=10000", "--dump-dom", probed.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    probed.unlink()
    match = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert match, f"the probe never ran; browser stderr tail: {result.stderr[-2000:]}"
    probe = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return probe, console


def test_every_figure_of_the_report_loads_and_the_console_is_silent(tmp_path):
    study = make_study(tmp_path)
    index = build_report(study)
    probe, console = render(index, tmp_path)
    assert probe == {"images": 3, "broken": [], "errors": []}
    assert console == []
    embedded = build_report(study, embed_figures=True)
    probe, console = render(embedded, tmp_path)
    assert probe == {"images": 3, "broken": [], "errors": []} and console == []


def test_the_probe_does_see_a_missing_figure_and_a_console_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head></head><body><img src="missing.png">'
                    '<script>console.error("deliberate")</script></body></html>')
    probe, console = render(page, tmp_path)
    assert probe["images"] == 1 and probe["broken"] == ["missing.png"] and probe["errors"]
    assert any('"deliberate"' in line for line in console)
