"""report.html: one self-contained file (plotly.js embedded once, no network), interactive and printable.

Plain string templates with :func:`html.escape` on every piece of text that comes from data. Each chart's
figure is embedded as JSON in a ``<script type="application/json">`` block (``</`` escaped so data can
never close the tag) and drawn by one small script at the end of the page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from rackforge.report.tablehtml import table_section_html

if TYPE_CHECKING:
    from rackforge.report.assess import AssessmentRun
    from rackforge.report.framework import Chart, Section, SectionOutput

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
main { flex: 1 1 auto; min-width: 0; padding: 1rem 2rem 3rem 1rem; max-width: 90rem; }
section { margin-bottom: 2.5rem; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--rule); padding-bottom: .3rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
.question { color: var(--muted); font-style: italic; margin-top: -.4rem; }
.summary li { margin: .45rem 0; }
.glance { display: grid; grid-template-columns: repeat(auto-fill, minmax(13.5rem, 1fr)); gap: .6rem;
          margin: .6rem 0 1rem; }
.card { display: flex; flex-direction: column; gap: .15rem; padding: .55rem .7rem; border: 1px solid var(--rule);
        border-left: 5px solid #9aa5b1; border-radius: 4px; color: var(--ink); text-decoration: none;
        background: #fff; }
a.card:hover { background: #f5f8fb; }
.card .topic { color: var(--muted); font-size: .75rem; text-transform: uppercase; letter-spacing: .04em;
               display: flex; justify-content: space-between; gap: .5rem; }
.card .figure { font-size: 1.1rem; font-weight: 650; line-height: 1.25; }
.card .detail { color: var(--muted); font-size: .82rem; line-height: 1.3; }
.card .verdict { font-weight: 700; }
.card.good { border-left-color: #3d8b4f; } .card.good .verdict { color: #2f6f3e; }
.card.warn { border-left-color: #d19a00; } .card.warn .verdict { color: #8a6400; }
.card.bad { border-left-color: #c44e52; } .card.bad .verdict { color: #a33b3f; }
.summary a.topic { text-decoration: none; }
.summary .topic { display: inline-block; min-width: 6.5rem; color: var(--muted); font-size: .8rem;
                  text-transform: uppercase; letter-spacing: .04em; }
.chart-box { margin: 1rem 0 1.5rem; break-inside: avoid; page-break-inside: avoid; }
.chart { width: 100%; min-height: 260px; }
.caption { color: var(--muted); font-size: .85rem; margin: .2rem 0 0; }
.table-block { display: flex; flex-direction: column; margin: .5rem 0 1.2rem; }
.table-wrap { overflow-x: auto; order: 1; }
details.show-all { order: 2; margin-top: .3rem; font-size: .85rem; }
details.show-all summary, details.full-table > summary { cursor: pointer; color: var(--accent); }
details.show-all .opened, details.show-all[open] .closed { display: none; }
details.show-all[open] .opened { display: inline; }
.table-wrap tr.extra { display: none; }
details.show-all[open] + .table-wrap tr.extra { display: table-row; }
details.full-table { margin: .8rem 0; } details.full-table > summary { font-weight: 600; }
table { border-collapse: collapse; font-size: .85rem; font-variant-numeric: tabular-nums; max-width: 100%; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .5rem; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #f3f5f7; font-weight: 600; max-width: 11rem; }
th .unit { display: block; font-weight: 400; color: var(--muted); font-size: .78rem; }
table.turned tbody th { background: #f8f9fa; max-width: 16rem; }
td { max-width: 28rem; }
td.num, th.num { text-align: right; white-space: nowrap; overflow-wrap: normal; }
.part { color: var(--muted); font-size: .8rem; margin: .6rem 0 0; }
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
  .card { break-inside: avoid; }
  .chart-box, table, .notes { break-inside: avoid; page-break-inside: avoid; }
  .table-wrap { overflow: visible; }
  details.show-all { display: none; }
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
    parts.extend(table_section_html(t) for t in output.tables)
    if output.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in output.notes)
        parts.append(f"<div class=\"notes\"><strong>Notes</strong><ul>{items}</ul></div>")
    parts.append("</section>")
    return "".join(parts), scripts


VERDICT_WORDS = {"good": "fine", "warn": "watch", "bad": "act", "info": ""}
"""The word shown with each headline verdict (colour is never the only cue)."""


def glance_html(headlines: list[dict[str, str]], anchors: set[str]) -> str:
    """The one-screen summary: a card per headline, each a link to its section."""
    cards = []
    for h in headlines:
        word = VERDICT_WORDS.get(h["verdict"], "")
        badge = f"<span class=\"verdict\">{escape(word)}</span>" if word else ""
        inner = (f"<span class=\"topic\">{escape(h['topic'])}{badge}</span>"
                 f"<span class=\"figure\">{escape(h['figure'])}</span>"
                 f"<span class=\"detail\">{escape(h['detail'])}</span>")
        tag = (f"<a class=\"card {escape(h['verdict'])}\" href=\"#{escape(h['section'])}\">{inner}</a>"
               if h["section"] in anchors else f"<div class=\"card {escape(h['verdict'])}\">{inner}</div>")
        cards.append(tag)
    return f"<div class=\"glance\">{''.join(cards)}</div>"


def _summary_html(summary: dict[str, Any], anchors: set[str]) -> str:
    items = []
    for s in summary["sentences"]:
        key = s.get("section", "")
        topic = (f"<a class=\"topic\" href=\"#{escape(key)}\">{escape(s['topic'])}</a>" if key in anchors
                 else f"<span class=\"topic\">{escape(s['topic'])}</span>")
        items.append(f"<li>{topic} {escape(s['text'])}</li>")
    return (f"<section id=\"summary\"><h2>At a glance</h2>{glance_html(summary.get('headlines', []), anchors)}"
            f"<h3 id=\"executive-summary\">Executive summary</h3><ul class=\"summary\">{''.join(items)}</ul>"
            "<p class=\"caption\">Every number above is taken from results.json "
            "(executive_summary.facts gives each number's source); each card and topic links to its section.</p>"
            "</section>")


def render_html(assessment: AssessmentRun, plotly_js: str | None = None) -> str:
    """The whole self-contained report page."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    results = assessment.results
    name = results["programme"]["name"]
    toc = ["<li><a href=\"#summary\">At a glance</a></li>",
           "<li><a href=\"#executive-summary\">Executive summary</a></li>"]
    anchors = {section.key for section, _ in assessment.sections} | ({"absent"} if assessment.absent else set())
    body = [_summary_html(results["executive_summary"], anchors)]
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
