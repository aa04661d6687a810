"""report.html in headless Chromium: no console errors, and every chart drawn with data.

Debian's chromium is installed by the project's test setup (scripts/install-test-deps.sh, run by CI).
The test injects a small probe script at the top of a copy of the report: it records console errors,
warnings, uncaught exceptions and rejected promises, and after the page has loaded writes, for every
chart, the number of traces and data points Plotly holds and the SVGs it drew, into a ``<pre>`` that
``--dump-dom`` prints. Chromium's own console log (``--enable-logging=stderr``) is checked as well, for
errors the page cannot see (e.g. a resource that failed to load).

The probe also reports the layout as drawn in a window of 1280×800 (and 1920×1080): whether the page or
any table is wider than its box, every marker outside (or on the edge of) the axis range Plotly drew,
and whether opening a 'show all' toggle reveals every hidden row.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from rackforge.io.loader import load_programme
from rackforge.report.assess import run_assessment
from rackforge.report.framework import AssessOptions
from rackforge.report.write import write_report

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0",
         "--hide-scrollbars"]

PROBE = r"""
(function () {
  var errors = [];
  ['error', 'warn'].forEach(function (level) {
    var original = console[level];
    console[level] = function () {
      errors.push(level + ': ' + Array.prototype.map.call(arguments, String).join(' '));
      return original.apply(console, arguments);
    };
  });
  window.addEventListener('error', function (e) { errors.push('uncaught: ' + e.message); }, true);
  window.addEventListener('unhandledrejection', function (e) { errors.push('rejection: ' + e.reason); });
  window.addEventListener('load', function () {
    setTimeout(function () {
      var charts = [];
      document.querySelectorAll('div.chart').forEach(function (div) {
        var traces = div.data || [];
        var points = 0;
        traces.forEach(function (t) {
          ['x', 'y', 'z', 'values', 'r'].forEach(function (k) {
            if (t[k] && t[k].length) { points += t[k].length; }
          });
          if (t.link && t.link.value) { points += t.link.value.length; }
          if (t.cells && t.cells.values) { points += t.cells.values.length; }
        });
        charts.push({id: div.id, traces: traces.length, points: points,
                     svg: div.querySelectorAll('svg.main-svg').length});
      });
      // points outside or on the edge of their axes, in the ranges Plotly actually drew
      var clipped = [];
      document.querySelectorAll('div.chart').forEach(function (div) {
        var full = div._fullLayout;
        (div._fullData || []).forEach(function (t) {
          if (t.type !== 'scatter' || String(t.mode).indexOf('markers') < 0 || t.visible === false) { return; }
          ['x', 'y'].forEach(function (letter) {
            var ax = full[letter + 'axis' + String(t[letter + 'axis'] || letter).slice(1)];
            if (!ax || !ax.range || !t[letter]) { return; }
            var lo = ax.r2l(ax.range[0]), hi = ax.r2l(ax.range[1]);
            if (lo > hi) { var swap = lo; lo = hi; hi = swap; }
            var margin = 0.005 * (hi - lo);
            Array.prototype.forEach.call(t[letter], function (v) {
              var at = ax.d2l(v);
              if (at === undefined || at === null || isNaN(at)) { return; }
              if (at < lo + margin || at > hi - margin) {
                clipped.push(div.id + ' ' + (t.name || '') + ' ' + letter + '=' + v + ' range ' + lo + '..' + hi);
              }
            });
          });
        });
      });
      // layout at this window size: nothing wider than the page, no table scrolls sideways
      var root = document.documentElement;
      var wide = [];
      document.querySelectorAll('.table-wrap').forEach(function (w) {
        if (w.offsetParent !== null && w.scrollWidth > w.clientWidth + 1) {
          wide.push(w.closest('section').id + ': ' + w.querySelector('th').textContent);
        }
      });
      // 'show all' reveals the hidden rows without a script of the page
      var toggle = document.querySelector('details.show-all');
      var showAll = null;
      if (toggle) {
        var rows = toggle.parentElement.querySelectorAll('tbody tr');
        var visible = function () {
          return Array.prototype.filter.call(rows, function (r) {
            return getComputedStyle(r).display !== 'none';
          }).length;
        };
        var before = visible();
        toggle.open = true;
        showAll = {rows: rows.length, before: before, after: visible()};
      }
      var pre = document.createElement('pre');
      pre.id = 'rf-probe';
      pre.textContent = JSON.stringify({errors: errors, charts: charts, clipped: clipped, wide: wide,
                                        page: {scroll: root.scrollWidth, client: root.clientWidth}, showAll: showAll});
      document.body.appendChild(pre);
    }, 300);
  });
})();
"""

if CHROMIUM is None and os.environ.get("RACKFORGE_REQUIRE_CHROMIUM"):
    raise RuntimeError("RACKFORGE_REQUIRE_CHROMIUM is set (CI) but chromium is not installed; "
                       "run scripts/install-test-deps.sh")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed; run scripts/install-test-deps.sh")


def open_in_chromium(report: Path, workdir: Path, size: str = "1280,800") -> tuple[dict[str, Any], str]:
    """Load ``report`` with the probe in headless Chromium in a window of ``size`` pixels; return the
    probe's findings and Chromium's log."""
    probed = workdir / "probed.html"
    html = report.read_text(encoding="utf-8")
    probed.write_text(html.replace("<head>", f"<head><script>{PROBE}</script>", 1), encoding="utf-8")
    profile = workdir / "profile"
    assert CHROMIUM is not None
    result = subprocess.run([CHROMIUM, *FLAGS, f"--window-size={size}", f"--user-data-dir={profile}", "--dump-dom",
                             probed.as_uri()],
                            capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="rf-probe">(.*?)</pre>', result.stdout, re.S)
    assert match, f"the probe did not report (exit {result.returncode}): {result.stderr[-2000:]}"
    probe = json.loads(match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
                       .replace("&amp;", "&"))
    return probe, result.stderr


def console_errors_in_log(log: str) -> list[str]:
    """Chromium's console lines that report an error from the page."""
    return [line for line in log.splitlines() if "CONSOLE" in line and
            re.search(r"Uncaught|Error|Failed to load|Refused", line)]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the built-in reference programme: every installed analysis, every chart."""
    out = tmp_path_factory.mktemp("report")
    write_report(run_assessment(load_programme(None), AssessOptions(scenarios=500)), out)
    return out / "report.html"


def test_report_opens_without_console_errors_and_every_chart_has_data(report: Path, tmp_path: Path) -> None:
    probe, log = open_in_chromium(report, tmp_path)
    assert probe["errors"] == []
    assert console_errors_in_log(log) == []
    expected = re.findall(r'<div class="chart" id="([^"]+)"', report.read_text(encoding="utf-8"))
    assert [c["id"] for c in probe["charts"]] == expected and len(expected) >= 5
    for chart in probe["charts"]:
        assert chart["traces"] > 0 and chart["points"] > 0, chart
        assert chart["svg"] > 0, f"{chart['id']} was not drawn"
    assert_layout(probe)  # at 1280×800


def assert_layout(probe: dict[str, Any]) -> None:
    """The page fits the window, no table scrolls sideways, no marker is clipped, 'show all' works."""
    assert probe["page"]["scroll"] <= probe["page"]["client"], probe["page"]
    assert probe["wide"] == []
    assert probe["clipped"] == []
    show = probe["showAll"]
    assert show and show["before"] < show["rows"] == show["after"]


def test_report_fits_a_wide_screen_too(report: Path, tmp_path: Path) -> None:
    probe, _log = open_in_chromium(report, tmp_path, "1920,1080")
    assert_layout(probe)


def test_the_probe_sees_a_broken_chart(report: Path, tmp_path: Path) -> None:
    """The harness itself can fail: a chart with no data and a script error are both reported."""
    broken = tmp_path / "broken.html"
    html = report.read_text(encoding="utf-8")
    first = re.search(r'(<script type="application/json" id="[^"]+">)(.*?)(</script>)', html, re.S)
    assert first
    html = html.replace(first.group(0), first.group(1) + '{"data": [], "layout": {}}' + first.group(3), 1)
    html = html.replace("</body>", "<script>console.error('deliberate'); undefinedFunction();</script></body>")
    broken.write_text(html, encoding="utf-8")
    probe, _log = open_in_chromium(broken, tmp_path)
    assert any("deliberate" in e for e in probe["errors"])
    assert any("undefinedFunction" in e for e in probe["errors"])
    assert probe["charts"][0]["points"] == 0


def test_the_probe_sees_a_clipped_point_and_a_wide_table(report: Path, tmp_path: Path) -> None:
    """The layout checks can fail: a marker on the axis and a table too wide for the page are reported."""
    html = report.read_text(encoding="utf-8")
    html = html.replace('<div class="chart"', '<div class="table-wrap" style="width:300px">'
                        '<table><tr><th>wide</th></tr><tr><td><div style="width:2000px">x</div></td></tr></table></div>'
                        '<div class="chart"', 1)
    tts = re.search(r'(<script type="application/json" id="chart-resilience-tts-ttr-figure">)(.*?)(</script>)',
                    html, re.S)
    assert tts
    spec = json.loads(tts.group(2))
    spec["layout"]["yaxis"]["range"] = [0, 10]
    html = html.replace(tts.group(0), tts.group(1) + json.dumps(spec) + tts.group(3))
    broken = tmp_path / "clipped.html"
    broken.write_text(html, encoding="utf-8")
    probe, _log = open_in_chromium(broken, tmp_path)
    assert any("tts-ttr" in c for c in probe["clipped"])
    assert probe["wide"]
