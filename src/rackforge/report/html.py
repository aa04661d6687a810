"""report.html: one self-contained file (plotly.js embedded once, no network), interactive and printable.

Plain string templates with :func:`html.escape` on every piece of text that comes from data. Each chart's
figure is embedded as JSON in a ``<script type="application/json">`` block (``</`` escaped so data can
never close the tag) and drawn by one small script at the end of the page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from rackforge.report.format import cell

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.report.assess import AssessmentRun
    from rackforge.report.framework import Chart, Section, SectionOutput, Table

CSS = """
:root { --ink: #1d2733; --muted: #5b6775; --rule: #d9dee4; --accent: #1f5f8b; --warn: #9a5b00; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0;
       line-height: 1.45; background: #fff; }
header { padding: 1.5rem 2rem 1rem; border-bottom: 3px solid var(--accent); }
header h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
.meta { color: var(--muted); font-size: .85rem; margin: 0; }
.layout { display: flex; align-items: flex-start; }
nav { position: sticky; top: 0; flex: 0 0 15rem; padding: 1rem 1rem 1rem 2rem; font-size: .9rem; max-height: 100vh;
      overflow-y: auto; }
nav ol { padding-left: 1.1rem; margin: 0; } nav li { margin: .25rem 0; }
nav a { color: var(--accent); text-decoration: none; } nav a:hover { text-decoration: underline; }
main { flex: 1 1 auto; min-width: 0; padding: 1rem 2rem 3rem 1rem; max-width: 75rem; }
section { margin-bottom: 2.5rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--rule); padding-bottom: .3rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.question { color: var(--muted); font-style: italic; margin-top: -.4rem; }
.summary li { margin: .45rem 0; }
.summary .topic { display: inline-block; min-width: 6.5rem; color: var(--muted); font-size: .8rem;
                  text-transform: uppercase; letter-spacing: .04em; }
.chart-box { margin: 1rem 0 1.5rem; break-inside: avoid; page-break-inside: avoid; }
.chart { width: 100%; min-height: 260px; }
.caption { color: var(--muted); font-size: .85rem; margin: .2rem 0 0; }
.table-wrap { overflow-x: auto; margin: .5rem 0 1.2rem; }
table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
.notes { border-left: 3px solid var(--warn); padding: .3rem .8rem; background: #fff8ec; font-size: .9rem; }
.absent li { color: var(--muted); }
.more { color: var(--muted); font-size: .8rem; }
footer { color: var(--muted); font-size: .8rem; padding: 1rem 2rem; border-top: 1px solid var(--rule); }
@media (max-width: 900px) { .layout { display: block; } nav { position: static; max-height: none; } }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  nav, .modebar-container, .modebar { display: none !important; }
  .layout { display: block; }
  main { max-width: none; padding: 0; }
  header { padding: 0 0 .5rem; }
  section { break-before: page; page-break-before: always; }
  section#summary { break-before: auto; page-break-before: auto; }
  .chart-box, table, .notes { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: 7.5pt; } th, td { padding: .12rem .3rem; } td.num { white-space: normal; }
  h2 { font-size: 14pt; } p, li { font-size: 9.5pt; }
  a { color: inherit; text-decoration: none; }
  body { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

RENDER_SCRIPT = """
(function () {
  var boxes = document.querySelectorAll('div.chart[data-figure]');
  var drawn = [];
  boxes.forEach(function (div) {
    var spec = JSON.parse(document.getElementById(div.getAttribute('data-figure')).textContent);
    var config = {responsive: true, displaylogo: false, toImageButtonOptions: {format: 'svg'}};
    Plotly.newPlot(div, spec.data || [], spec.layout || {}, config);
    drawn.push(div);
  });
  function resize() { drawn.forEach(function (div) { Plotly.Plots.resize(div); }); }
  window.addEventListener('beforeprint', resize);
  window.addEventListener('afterprint', resize);
  if (window.matchMedia) {
    var mq = window.matchMedia('print');
    if (mq.addEventListener) { mq.addEventListener('change', resize); }
  }
})();
"""


def _json_for_script(data: str) -> str:
    """JSON text safe inside a <script> element ("</" and "<!--" cannot close or open anything)."""
    return data.replace("</", "<\\/").replace("<!--", "<\\!--")


def figure_json(figure: Any) -> str:
    """A Plotly figure as JSON (plotly's own encoder handles numpy arrays and dates)."""
    return str(figure.to_json(validate=False, pretty=False))


def table_html(frame: pd.DataFrame, max_rows: int = 60) -> str:
    """An HTML table with numbers formatted by column, every value escaped."""
    import pandas as pd

    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = []
    shown = frame.head(max_rows)
    for row in shown.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            v = None if value is pd.NA or value is pd.NaT else value.item() if hasattr(value, "item") else value
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            text = cell(v, str(column)) if not (isinstance(v, float) and v != v) else ""
            cells.append(f"<td class=\"num\">{escape(text)}</td>" if numeric else f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f"<p class=\"more\">First {max_rows} of {len(frame):,} rows; all rows are in results.xlsx.</p>"
    return (f"<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"</table></div>{more}")


def _chart_html(section_key: str, chart: Chart, index: int) -> tuple[str, str]:
    ident = f"chart-{section_key}-{chart.id}" if not chart.id.startswith(section_key) else f"chart-{chart.id}"
    data_id = f"{ident}-figure"
    caption = f"<p class=\"caption\">{escape(chart.caption)}</p>" if chart.caption else ""
    box = (f"<figure class=\"chart-box\"><h3>{escape(chart.title)}</h3>"
           f"<div class=\"chart\" id=\"{escape(ident)}\" data-figure=\"{escape(data_id)}\" "
           f"data-title=\"{escape(chart.title)}\"></div>{caption}</figure>")
    script = (f"<script type=\"application/json\" id=\"{escape(data_id)}\">"
              f"{_json_for_script(figure_json(chart.figure))}</script>")
    return box, script


def _table_block(table: Table) -> str:
    return f"<h3>{escape(table.title)}</h3>{table_html(table.frame, table.max_html_rows)}"


def _section_html(section: Section, output: SectionOutput) -> tuple[str, list[str]]:
    parts = [f"<section id=\"{escape(section.key)}\"><h2>{escape(section.title)}</h2>"]
    if section.question:
        parts.append(f"<p class=\"question\">{escape(section.question)}</p>")
    parts.extend(f"<p>{escape(p)}</p>" for p in output.paragraphs)
    scripts = []
    for i, chart in enumerate(output.charts):
        box, script = _chart_html(section.key, chart, i)
        parts.append(box)
        scripts.append(script)
    parts.extend(_table_block(t) for t in output.tables if t.html)
    if output.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in output.notes)
        parts.append(f"<div class=\"notes\"><strong>Notes</strong><ul>{items}</ul></div>")
    parts.append("</section>")
    return "".join(parts), scripts


def _summary_html(summary: dict[str, Any]) -> str:
    items = "".join(f"<li><span class=\"topic\">{escape(s['topic'])}</span> {escape(s['text'])}</li>"
                    for s in summary["sentences"])
    return (f"<section id=\"summary\"><h2>Executive summary</h2><ul class=\"summary\">{items}</ul>"
            "<p class=\"caption\">Every number above is taken from results.json "
            "(executive_summary.facts gives each number's source).</p></section>")


def render_html(assessment: AssessmentRun, plotly_js: str | None = None) -> str:
    """The whole self-contained report page."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    results = assessment.results
    name = results["programme"]["name"]
    toc = ["<li><a href=\"#summary\">Executive summary</a></li>"]
    body = [_summary_html(results["executive_summary"])]
    scripts: list[str] = []
    for section, output in assessment.sections:
        toc.append(f"<li><a href=\"#{escape(section.key)}\">{escape(section.title)}</a></li>")
        html_part, chart_scripts = _section_html(section, output)
        body.append(html_part)
        scripts.extend(chart_scripts)
    if assessment.absent:
        toc.append("<li><a href=\"#absent\">Not assessed</a></li>")
        items = "".join(f"<li><strong>{escape(a['title'])}</strong>: {escape(a['reason'])}</li>"
                        for a in assessment.absent)
        body.append(f"<section id=\"absent\"><h2>Not assessed</h2><ul class=\"absent\">{items}</ul></section>")
    meta = (f"rackforge {escape(results['rackforge_version'])} · generated {escape(results['generated'])} · "
            f"Monte Carlo {results['options']['monte_carlo_scenarios']:,} scenarios, seed "
            f"{results['options']['seed']} · programme folder "
            f"{escape(results['programme']['folder'] or 'built-in reference programme')}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(name)} — rackforge assessment</title><style>{CSS}</style>"
        f"<script>{plotly_js}</script></head><body>"
        f"<header><h1>{escape(name)}: rackforge assessment</h1><p class=\"meta\">{meta}</p></header>"
        f"<div class=\"layout\"><nav aria-label=\"contents\"><ol>{''.join(toc)}</ol></nav>"
        f"<main>{''.join(body)}</main></div>"
        "<footer>Written by rackforge assess. Data: results.json (schema results.schema.json) and "
        "results.xlsx beside this file.</footer>"
        f"{''.join(scripts)}<script>{RENDER_SCRIPT}</script></body></html>\n"
    )
