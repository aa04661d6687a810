"""The one-screen summary at the top of the report: one card per question, a headline figure, a verdict
and a link to the section with the details.

Like the executive summary's sentences, every card is built only from results.json through
:class:`~rackforge.report.summary.Facts`, and from the same fields the sentences and the sections use
(a card's number is a recorded fact with its JSON pointer), so a headline cannot say something its
section does not. Verdicts: ``good``, ``warn``, ``bad``, or ``info`` (a figure, not a judgement).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rackforge.report.summary import Facts

Card = dict[str, str]
CardWriter = Callable[["Facts"], list[Card]]


def card(topic: str, section: str, figure: str, detail: str, verdict: str = "info") -> Card:
    """One headline card; ``section`` is the id of the section it links to."""
    return {"topic": topic, "section": section, "figure": figure, "detail": detail, "verdict": verdict}


def _plan(f: Facts) -> list[Card]:
    base = "/sections/programme"
    if not f.has(base):
        return []
    quarters = f.get(f"{base}/quarters")
    racks = f.number("racks_total", f"{base}/racks_total")
    count = f.number("design_count", f"{base}/design_count")
    site = f.get(f"{base}/integration_site")
    return [card("Plan", "programme", f"{racks} racks",
                 f"{count} designs, {quarters[0]} to {quarters[-1]}, at {site['name']}")]


def _engineering(f: Facts) -> list[Card]:
    base = "/sections/engineering"
    if not f.has(base) or not f.has(f"{base}/verdicts"):
        return []
    verdicts = f.get(f"{base}/verdicts")
    clean = f.number("designs_passing_clean", f"{base}/designs_passing_clean")
    checked = f.number("designs_checked", f"{base}/designs_checked")
    details = []
    if verdicts["fail"]:
        details.append(f"{f.number('designs_failing', f'{base}/designs_failing')} fail: {', '.join(verdicts['fail'])}")
    if verdicts["warn"]:
        details.append(f"{f.number('designs_with_warnings', f'{base}/designs_with_warnings')} with warnings: "
                       f"{', '.join(verdicts['warn'])}")
    verdict = "bad" if verdicts["fail"] else "warn" if verdicts["warn"] else "good"
    return [card("Does it work", "engineering", f"{clean} of {checked} designs pass every check",
                 "; ".join(details) or "no warnings", verdict)]


def _cost(f: Facts) -> list[Card]:
    base = "/sections/generations"
    if not f.has(base):
        return []
    rows = f.get(f"{base}/designs")
    capital = f.usd("programme_capital", f"{base}/programme_capital_usd")
    detail = "for the plan's racks"
    priced = [(i, r) for i, r in enumerate(rows) if r.get("usd_per_gpu_hour") is not None]
    if priced:
        lo_i, lo = min(priced, key=lambda p: p[1]["usd_per_gpu_hour"])
        hi_i, hi = max(priced, key=lambda p: p[1]["usd_per_gpu_hour"])
        low = f.number(f"tco_per_gpu_hour.{lo['design']}", f"{base}/designs/{lo_i}/usd_per_gpu_hour", decimals=2,
                       unit="USD/GPU-h")
        high = f.number(f"tco_per_gpu_hour.{hi['design']}", f"{base}/designs/{hi_i}/usd_per_gpu_hour", decimals=2,
                        unit="USD/GPU-h")
        detail += f"; TCO ${low} to ${high} per GPU-hour"
    return [card("Cost", "generations", f"{capital} capital", detail)]


def _domestic(f: Facts) -> list[Card]:
    base = "/sections/sourcing"
    if not f.has(base):
        return []
    best: tuple[float, str, str, str] | None = None
    met, judged = [], []
    for i, d in enumerate(f.get(f"{base}/designs")):
        built = [k for k, y in enumerate(d["years"]) if y.get("racks", 0) > 0] or list(range(len(d["years"])))
        if not built:
            continue
        j = built[-1]
        y = d["years"][j]
        if y.get("threshold") is None:
            continue
        judged.append(d["design"])
        if y.get("meets_threshold"):
            met.append(d["design"])
        if best is None or y["domestic_content"] > best[0]:
            best = (y["domestic_content"], d["design"], f"{base}/designs/{i}/years/{j}", str(y["year"]))
    if best is None:
        return []
    _, design, at, year = best
    content = f.percent(f"domestic.{design}", f"{at}/domestic_content")
    threshold = f.percent(f"threshold.{design}.{year}", f"{at}/threshold")
    verdict = "good" if len(met) == len(judged) else "bad" if not met else "warn"
    who = ("every design meets its threshold" if verdict == "good" else "no design meets its threshold"
           if verdict == "bad" else f"met by {', '.join(met)}")
    return [card("Domestic content", "sourcing", f"{content} at best vs {threshold}",
                 f"highest: {design} in {year}; {who}", verdict)]


def _supply(f: Facts) -> list[Card]:
    base = "/sections/sourcing"
    if not f.has(base):
        return []
    by_country = f.get(f"{base}/plan_spend_by_country")
    foreign = [(i, c) for i, c in enumerate(by_country) if c["country"] not in ("US", "unknown")]
    if not foreign:
        return []
    i, c = foreign[0]
    share = f.percent("top_foreign_country_share", f"{base}/plan_spend_by_country/{i}/share")
    single = f.get(f"{base}/single_source_parts")
    detail = "of the plan's component spend"
    if single:
        top = f.percent("top_single_source_share", f"{base}/single_source_parts/0/max_share_of_rack")
        detail += f"; largest single-source part: {top} of a rack's value"
    return [card("Supply concentration", "sourcing", f"{c['country']} {share}", detail, "warn")]


def _resilience(f: Facts) -> list[Card]:
    base = "/sections/resilience"
    if not f.has(base):
        return []
    exposed = f.number("exposed_nodes", f"{base}/exposed_count")
    tested = f.number("nodes_tested", f"{base}/nodes_tested")
    out = [card("Disruptions", "resilience", f"{exposed} of {tested} exposed",
                "sites, countries and regions whose loss outlasts the plan's stock and alternates",
                "bad" if f.get(f"{base}/exposed_count") else "good")]
    mc = f"{base}/monte_carlo/summary"
    if f.has(f"{mc}/probability_of_shortfall_over_1pct") and f.has(f"{base}/shortfall/expected_racks_short"):
        p_one = f.percent("mc_probability_of_shortfall_over_1pct", f"{mc}/probability_of_shortfall_over_1pct")
        racks = f.number("mc_expected_racks_short", f"{base}/shortfall/expected_racks_short", decimals=1,
                         unit="racks")
        share = f.percent("mc_expected_share_short", f"{base}/shortfall/expected_share_short")
        over = f.get(f"{mc}/probability_of_shortfall_over_1pct")
        out.append(card("Monte Carlo", "resilience", f"{p_one} chance to miss > 1% of racks",
                        f"on average {racks} racks ({share} of the plan) not delivered",
                        "bad" if over >= 0.5 else "warn" if over >= 0.1 else "good"))
    return out


def _optimize(f: Facts) -> list[Card]:
    from rackforge.report.summary import way_out

    base = "/sections/optimize"
    if not f.has(base):
        return []
    relaxed = f.get(f"{base}/relaxed_rules")
    fix = way_out(f, base)
    if not f.has(f"{base}/least_cost/cost_usd"):
        return [card("Sourcing mix", "optimize", "no feasible plan",
                     fix[:1].upper() + fix[1:] if fix else "see the least-violating plan", "bad")]
    cost = f.usd("optimal_plan_cost", f"{base}/least_cost/cost_usd")
    detail = f"only with {', '.join(relaxed)} relaxed" if relaxed else "meets every default rule"
    if fix:
        detail += f"; {fix}"
    if f.has(f"{base}/knee"):
        detail += f"; knee at a {f.percent('knee_target', f'{base}/knee/target', decimals=1)} domestic target"
    else:
        detail += "; no knee in the cost curve"
    return [card("Sourcing mix", "optimize", f"{cost} least-cost plan", detail, "warn" if relaxed else "good")]


def _factory(f: Facts) -> list[Card]:
    from rackforge.report.summary import material_facts

    base = "/sections/factory"
    if not f.has(base):
        return []
    met = f.percent("factory_plan_met_share", f"{base}/plan_met_share", decimals=0)
    shipped = f.number("factory_racks_per_week", f"{base}/racks_per_week_total", decimals=1, unit="racks/week")
    share = f.get(f"{base}/plan_met_share")
    target = f.get(f"{base}/confidence_target") if f.has(f"{base}/confidence_target") else 0.9
    if f.get(f"{base}/material_limit/limited"):
        released, in_plan, short = material_facts(f, base)
        return [card("Factory", "factory", f"material for {released} of {in_plan} racks",
                     f"{short} short; the line ships {shipped} racks/week; released racks on time in {met} of runs",
                     "bad")]
    return [card("Factory", "factory", f"plan met in {met} of runs", f"{shipped} racks per week",
                 "good" if share >= target else "warn" if share >= 0.5 else "bad")]


def _readiness(f: Facts) -> list[Card]:
    from rackforge.report.summary import readiness_facts

    facts = readiness_facts(f)
    if facts is None:
        return []
    low, mrl, target, gaps = facts.lowest, facts.mrl, facts.target, facts.gaps
    behind = low["mrl"] < low["target_mrl"] if low.get("target_mrl") is not None else False
    return [card("Readiness", "readiness", f"lowest MRL {mrl} vs {target}",
                 f"{low['part']} at {low['site']}; {gaps} gaps with actions", "warn" if behind else "good")]


def _evaluation(f: Facts) -> list[Card]:
    base = "/sections/evaluation"
    if not f.has(base):
        return []
    top = f.get(f"{base}/systems")[0]
    score = f.number("evaluation_top_score", f"{base}/systems/0/score", decimals=3)
    return [card("Early access", "evaluation", f"{top['id']} first", f"score {score}; {top['vendor']}")]


CARDS: list[CardWriter] = [_plan, _engineering, _cost, _domestic, _supply, _resilience, _optimize, _factory,
                           _readiness, _evaluation]
"""Card writers in the order the cards read."""


def headlines(f: Facts) -> list[Card]:
    """Every card whose section ran."""
    out: list[Card] = []
    for writer in CARDS:
        out.extend(writer(f))
    return out
