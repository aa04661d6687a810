"""The executive summary: sentences that answer the programme's questions, built ONLY from results.json.

Every number in a sentence is a *fact*: a value read from results.json at a JSON pointer, scaled and
rounded for display. The facts are stored beside the sentences (``executive_summary.facts``) with
their pointer, scale and displayed text, so each number can be traced to the analysis that produced
it (tests resolve every pointer and re-derive every displayed number).

Questions answered, each only when the analyses behind it ran:
1. What is planned? (programme)            4. With what domestic content? (sourcing)
2. Can the plan be built here? (engineering, sourcing capacity, factory)
3. At what cost? (generations / TCO)       5. What are the top risks and what to do? (resilience,
                                              readiness, optimiser, evaluation options)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rackforge.evaluate.analysis import DEADLINE_WARNING_DAYS
from rackforge.report.format import money_scale, short_name


class MissingFact(LookupError):
    """A pointer that does not resolve in results.json."""


def resolve(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer (RFC 6901) in ``document``."""
    node = document
    if pointer in ("", "/"):
        return node
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            try:
                node = node[int(token)]
            except (ValueError, IndexError) as exc:
                raise MissingFact(pointer) from exc
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            raise MissingFact(pointer)
    return node


def escape_pointer(token: str) -> str:
    """Escape one JSON-pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


@dataclass
class Facts:
    """Collects the numbers a summary uses, each with its pointer into results.json."""

    results: dict[str, Any]
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def has(self, pointer: str) -> bool:
        """True if ``pointer`` resolves to a value that is not null."""
        try:
            return resolve(self.results, pointer) is not None
        except MissingFact:
            return False

    def get(self, pointer: str) -> Any:
        """The raw value at ``pointer`` (text, lists...; not recorded as a fact)."""
        return resolve(self.results, pointer)

    def number(self, name: str, pointer: str, *, scale: float = 1.0, decimals: int = 0, unit: str = "") -> str:
        """Display text of the number at ``pointer`` / ``scale`` rounded to ``decimals``; records the fact."""
        raw = resolve(self.results, pointer)
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            raise MissingFact(f"{pointer} is not a number")
        shown = round(raw / scale, decimals)
        text = f"{shown:,.{decimals}f}"
        self.facts[name] = {"pointer": pointer, "value": raw, "scale": scale, "decimals": decimals,
                            "display": text, "unit": unit}
        return text

    def usd(self, name: str, pointer: str) -> str:
        """A dollar amount in the compact money format (:func:`rackforge.report.format.money_compact`),
        e.g. ``$3.41 M``."""
        raw = resolve(self.results, pointer)
        scale, suffix = money_scale(raw)
        return "$" + self.number(name, pointer, scale=scale, decimals=2, unit=f"USD{suffix}") + suffix

    def percent(self, name: str, pointer: str, decimals: int = 1) -> str:
        """A fraction shown as a percentage, e.g. ``65.3%``."""
        return self.number(name, pointer, scale=0.01, decimals=decimals, unit="%") + "%"


Writer = Callable[[Facts], list[dict[str, str]]]


def _programme(f: Facts) -> list[dict[str, str]]:
    base = "/sections/programme"
    if not f.has(base):
        return []
    site = f.get(f"{base}/integration_site")
    quarters = f.get(f"{base}/quarters")
    designs = f.get(f"{base}/designs")
    names = ", ".join(d.get("short_name", d["name"]) for d in designs)
    count = f.number("design_count", f"{base}/design_count")
    text = (f"The plan is to build {f.number('racks_total', f'{base}/racks_total')} racks of "
            f"{count} design{'s' if len(designs) != 1 else ''} ({names}) from {quarters[0]} to "
            f"{quarters[-1]}, integrated and tested at {site['name']} ({site['country']}).")
    return [{"topic": "plan", "text": text}]


def _engineering(f: Facts) -> list[dict[str, str]]:
    base = "/sections/engineering"
    if not f.has(base):
        return []
    checked = f.number("designs_checked", f"{base}/designs_checked")
    clean = f.number("designs_passing_clean", f"{base}/designs_passing_clean")
    text = f"Does it work: {clean} of {checked} designs pass every engineering check"
    verdicts = f.get(f"{base}/verdicts")
    if verdicts["warn"]:
        warned = f.number("designs_with_warnings", f"{base}/designs_with_warnings")
        checks: dict[str, list[str]] = {}
        for item in f.get(f"{base}/warnings"):
            checks.setdefault(item["design"], []).append(item["check"])
        one = len(verdicts["warn"]) == 1
        text += (f"; {warned} pass{'es' if one else ''} with {'a warning' if one else 'warnings'} ("
                 + "; ".join(f"{d}: {', '.join(c)}" for d, c in checks.items() if d in verdicts["warn"]) + ")")
    failing = f.get(f"{base}/failing")
    if failing:
        count = f.number("designs_failing", f"{base}/designs_failing")
        by_design: dict[str, list[str]] = {}
        for item in failing:
            by_design.setdefault(item["design"], []).append(item["check"])
        text += f"; {count} fail" + ("s" if len(by_design) == 1 else "") + ": "
        text += "; ".join(f"{d} fails {', '.join(checks)}" for d, checks in by_design.items())
        first = failing[0]
        text += f" (e.g. {first['design']}: {first['message']})"
    return [{"topic": "engineering", "text": text + "."}]


def _cost(f: Facts) -> list[dict[str, str]]:
    base = "/sections/generations"
    if not f.has(base):
        return []
    rows = f.get(f"{base}/designs")
    years = f.number("tco_years", f"{base}/assumptions/years", unit="years")
    parts = []
    for i, r in enumerate(rows):
        key = r["design"]
        per_rack = f.usd(f"capital_per_rack.{key}", f"{base}/designs/{i}/capital_usd")
        per_hour = f.number(f"tco_per_gpu_hour.{key}", f"{base}/designs/{i}/usd_per_gpu_hour", decimals=2,
                            unit="USD/GPU-h")
        parts.append(f"{r.get('short_name', r['name'])} {per_rack} per rack and ${per_hour} per GPU-hour")
    text = (f"At what cost: the plan's racks need {f.usd('programme_capital', f'{base}/programme_capital_usd')} "
            f"of capital; " + "; ".join(parts) + f" (TCO over {years} years, energy and maintenance included).")
    out = [{"topic": "cost", "text": text}]
    unpriced = [r["design"] for r in rows if r.get("unpriced_parts")]
    if unpriced:
        out.append({"topic": "cost", "text": "Some parts of " + ", ".join(unpriced) + " have no price and are "
                    "counted at zero; add sources or reference prices before relying on these costs."})
    return out


def _domestic(f: Facts) -> list[dict[str, str]]:
    base = "/sections/sourcing"
    if not f.has(base):
        return []
    rule = f.get(f"{base}/rule")
    parts = []
    for i, d in enumerate(f.get(f"{base}/designs")):
        built = [k for k, y in enumerate(d["years"]) if y.get("racks", 0) > 0] or list(range(len(d["years"])))
        if not built:
            continue
        j = built[-1]
        y = d["years"][j]
        at = f"{base}/designs/{i}/years/{j}"
        design = d["design"]
        content = f.percent(f"domestic.{design}", f"{at}/domestic_content")
        text = f"{short_name(d['name'])} {content} in {y['year']}"
        if y.get("threshold") is not None:
            threshold = f.percent(f"threshold.{design}.{y['year']}", f"{at}/threshold")
            text += f" against {threshold} ({'met' if y['meets_threshold'] else 'not met'})"
        alt = y.get("with_alternates", {}).get("domestic_content")
        if alt is not None and abs(alt - y["domestic_content"]) > 5e-4:
            with_alt = f.percent(f"domestic_alternates.{design}", f"{at}/with_alternates/domestic_content")
            text += f", {with_alt} once alternates qualify"
        parts.append(text)
    if not parts:
        return []
    return [{"topic": "domestic", "text": f"Domestic content under {rule['name']}: " + "; ".join(parts) + "."}]


def _supply_risk(f: Facts) -> list[dict[str, str]]:
    base = "/sections/sourcing"
    if not f.has(base):
        return []
    out = []
    by_country = f.get(f"{base}/plan_spend_by_country")
    foreign = [(i, c) for i, c in enumerate(by_country) if c["country"] not in ("US", "unknown")]
    if foreign:
        i, c = foreign[0]
        share = f.percent("top_foreign_country_share", f"{base}/plan_spend_by_country/{i}/share")
        out.append(f"{c['country']} supplies {share} of the plan's component spend")
    single = f.get(f"{base}/single_source_parts")
    if single:
        top = single[0]
        share = f.percent("top_single_source_share", f"{base}/single_source_parts/0/max_share_of_rack")
        due = top.get("alternate_from")
        if top.get("suppliers"):
            alt = f"; an alternate is due {due}" if due else "; no alternate is planned"
            out.append(f"{top['name']} ({share} of a rack's value) is single-sourced from {top['suppliers']} "
                       f"({top['countries']}){alt}")
        else:
            first = f"; its first source is due {due}" if due else "; none is planned"
            out.append(f"{top['name']} ({share} of a rack's value) has no qualified source on "
                       f"{f.get(base + '/as_of')}{first}")
    if not out:
        return []
    return [{"topic": "risk", "text": "Supply concentration: " + "; ".join(out) + "."}]


def _resilience(f: Facts) -> list[dict[str, str]]:
    base = "/sections/resilience"
    if not f.has(base):
        return []
    out = []
    exposed = f.number("exposed_nodes", f"{base}/exposed_count")
    tested = f.number("nodes_tested", f"{base}/nodes_tested")
    text = f"Disruptions: {exposed} of {tested} sites, countries and regions would stop the plan before they recover"
    if f.has(f"{base}/most_exposed"):
        node = f.get(f"{base}/most_exposed")
        ttr = f.number("most_exposed_ttr", f"{base}/most_exposed/ttr_weeks", decimals=1, unit="weeks")
        lost = f.usd("most_exposed_value_lost", f"{base}/most_exposed/impact/value_lost_usd")
        if node.get("tts_weeks") is not None:
            tts = f.number("most_exposed_tts", f"{base}/most_exposed/tts_weeks", decimals=1, unit="weeks")
            text += (f"; the worst is {node['kind']} {node['name']}: the plan survives {tts} weeks without it "
                     f"but it takes {ttr} weeks to recover, losing {lost} of racks")
        else:
            text += f"; the worst is {node['kind']} {node['name']} ({ttr} weeks to recover, {lost} lost)"
    out.append({"topic": "risk", "text": text + "."})
    mc = f"{base}/monte_carlo"
    scenarios = f.number("mc_scenarios", f"{mc}/scenarios")
    p_short = f.percent("mc_probability_of_shortfall", f"{mc}/summary/probability_of_shortfall")
    expected = f.usd("mc_expected_value_short", f"{mc}/summary/expected_value_short_usd")
    var95 = f.usd("mc_value_at_risk_95", f"{mc}/summary/value_at_risk_95_usd")
    if f.has(f"{mc}/summary/probability_of_shortfall_over_1pct"):
        p_one = f.percent("mc_probability_of_shortfall_over_1pct", f"{mc}/summary/probability_of_shortfall_over_1pct")
        text = (f"Across {scenarios} disruption scenarios the plan misses more than 1% of its racks in {p_one} of "
                f"them (any shortfall at all: {p_short})")
    else:
        text = f"Across {scenarios} disruption scenarios the plan falls short in {p_short} of them"
    if f.has(f"{base}/shortfall/expected_racks_short"):
        racks = f.number("mc_expected_racks_short", f"{base}/shortfall/expected_racks_short", decimals=1,
                         unit="racks")
        planned = f.number("mc_planned_racks", f"{base}/shortfall/planned_racks", unit="racks")
        share = f.percent("mc_expected_share_short", f"{base}/shortfall/expected_share_short")
        text += f"; on average {racks} of {planned} planned racks ({share}) are not delivered"
    out.append({"topic": "risk", "text": text + f", worth {expected} (95% value at risk {var95})."})
    if f.has(f"{base}/safety_stock"):
        stages = f.number("safety_stock_stages", f"{base}/safety_stock/stocked_stages")
        cost = f.usd("safety_stock_cost", f"{base}/safety_stock/holding_cost_usd_per_week")
        out.append({"topic": "action", "text": f"What to do about it: hold strategic safety stock at {stages} "
                    f"stages of the supply trees (optimal placement, holding cost {cost} per week) and qualify "
                    "second sources for the exposed nodes."})
    return out


def way_out(f: Facts, base: str) -> str:
    """The optimiser's smallest relaxations in words ("" when there are none): each one's own ``message``
    with the relaxed plan's least cost (a recorded fact), from the least-cost plan's result or, when the
    default rules could not be met, theirs (``<result>/explanation/relaxations``, as the optimiser
    section's table, :func:`rackforge.report.sections.optimize.relaxations_block`)."""
    for where in ("least_cost", "default_rules"):
        pointer = f"{base}/{where}/explanation/relaxations"
        if f.has(pointer) and f.get(pointer):
            ways = [f"{r['message']}, at a least cost of "
                    f"{f.usd(f'way_out_cost.{where}.{i}', f'{pointer}/{i}/cost_usd')}"
                    for i, r in enumerate(f.get(pointer))]
            return ("the ways out: " if len(ways) > 1 else "the way out: ") + "; or ".join(ways)
    return ""


def _optimize(f: Facts) -> list[dict[str, str]]:
    base = "/sections/optimize"
    if not f.has(base):
        return []
    relaxed = f.get(f"{base}/relaxed_rules")
    text = "Sourcing mix: "
    fix = way_out(f, base)
    if f.has(f"{base}/least_cost/cost_usd"):
        cost = f.usd("optimal_plan_cost", f"{base}/least_cost/cost_usd")
        text += f"the least-cost plan that meets the build plan costs {cost}"
        if relaxed:
            text += f" once {', '.join(relaxed)} is relaxed (no mix meets it)" + (f"; {fix}" if fix else "")
    else:
        text += "no plan meets the build plan; " + (fix + " (see the optimiser section)" if fix else
                                                    "see the optimiser section for the least-violating plan")
        return [{"topic": "sourcing", "text": text + "."}]
    if f.has(f"{base}/knee"):
        knee = f.percent("knee_target", f"{base}/knee/target", decimals=1)
        extra = f.usd("knee_extra_cost", f"{base}/knee/extra_cost_usd")
        text += f"; a domestic-content target of {knee} (the knee of the cost curve) costs {extra} more"
    elif f.has(f"{base}/largest_extra_cost_usd") and f.has(f"{base}/gap_usd") and \
            f.get(f"{base}/largest_extra_cost_usd") <= f.get(f"{base}/gap_usd"):
        highest = f.percent("highest_feasible_target", f"{base}/highest_feasible/target", decimals=1)
        gap = f.usd("optimizer_gap", f"{base}/gap_usd")
        text += (f"; every domestic-content target swept, up to {highest}, costs within the solver's optimality gap "
                 f"({gap}) of the least-cost plan, so the cost curve has no knee")
    elif f.has(f"{base}/largest_extra_cost_usd"):
        extra = f.usd("largest_extra_cost", f"{base}/largest_extra_cost_usd")
        text += f"; the cost curve has no knee; the dearest target swept costs {extra} more"
    if f.has(f"{base}/cost_of_resilience/max_achievable_target"):
        best = f.percent("max_achievable_target", f"{base}/cost_of_resilience/max_achievable_target", decimals=1)
        text += f"; no plan reaches more than {best} domestic content in every design and year"
    return [{"topic": "sourcing", "text": text + "."}]


def material_facts(f: Facts, base: str) -> tuple[str, str, str]:
    """Racks material allows, racks in the build plan and racks short, as displayed [racks], from the
    fields :meth:`rackforge.factory.results.FactoryResult.headline` words (``material_limit``)."""
    return (f.number("factory_material_released", f"{base}/material_limit/released_racks", unit="racks"),
            f.number("factory_material_planned", f"{base}/material_limit/planned_racks", unit="racks"),
            f.number("factory_material_short", f"{base}/material_limit/short_racks", unit="racks"))


def material_words(f: Facts, base: str) -> str:
    """The factory's material limit in the words of its headline: "material allows 1,502 of the 1,682
    racks in the build plan (180 short)"."""
    released, in_plan, short = material_facts(f, base)
    return f"material allows {released} of the {in_plan} racks in the build plan ({short} short)"


def _factory(f: Facts) -> list[dict[str, str]]:
    base = "/sections/factory"
    if not f.has(base):
        return []
    shipped = f.number("factory_racks_per_week", f"{base}/racks_per_week_total", decimals=1, unit="racks/week")
    planned = f.number("factory_planned_per_week", f"{base}/planned_racks_per_week_total", decimals=1,
                       unit="racks/week")
    bottleneck = f.get(f"{base}/bottleneck")
    busy = f.percent("factory_bottleneck_utilisation", f"{base}/bottleneck_utilisation", decimals=0)
    met = f.percent("factory_plan_met_share", f"{base}/plan_met_share", decimals=0)
    replications = f.number("factory_replications", f"{base}/replications")
    text = "Can the factory keep up: "
    limited = f.get(f"{base}/material_limit/limited")
    if limited:
        text += material_words(f, base) + "; for those, "
    text += (f"the simulated line ships {shipped} racks per week against {planned} "
             f"{'released' if limited else 'planned'}; the bottleneck is {bottleneck} at {busy} utilisation, and "
             f"{'the released racks ship on time' if limited else 'the plan is met'} in {met} of "
             f"{replications} replications")
    if f.has(f"{base}/confidence_target"):
        text += f" (target {f.percent('factory_confidence_target', f'{base}/confidence_target', decimals=0)})"
    designs = f.get(f"{base}/designs")
    tested = {d: row["first_pass_rack_share"] for d, row in designs.items() if row.get("first_pass_rack_share")
              is not None}
    worst = min(tested, key=lambda d: tested[d], default=None)
    if worst is not None:
        pointer = f"{base}/designs/{escape_pointer(worst)}/first_pass_rack_share"
        first_pass = f.percent("factory_lowest_first_pass", pointer, decimals=0)
        text += f"; {worst} has the lowest first-pass test yield, {first_pass}"
    return [{"topic": "factory", "text": text + "."}]


@dataclass(frozen=True)
class ReadinessFacts:
    """The least ready part at its site (``lowest``: the section's record), its MRL, the target MRL and
    the number of gaps with actions, as displayed."""

    lowest: dict[str, Any]
    mrl: str
    target: str
    gaps: str


def readiness_facts(f: Facts) -> ReadinessFacts | None:
    """The readiness headline's facts (summary sentence and card alike), or None without a readiness
    section or a least ready part."""
    base = "/sections/readiness"
    if not f.has(base) or not f.has(f"{base}/lowest"):
        return None
    return ReadinessFacts(f.get(f"{base}/lowest"),
                          f.number("readiness_lowest_mrl", f"{base}/lowest/mrl"),
                          f.number("readiness_target_mrl", f"{base}/lowest/target_mrl"),
                          f.number("readiness_gaps", f"{base}/gap_count"))


def _readiness(f: Facts) -> list[dict[str, str]]:
    base = "/sections/readiness"
    facts = readiness_facts(f)
    if facts is None:
        return []
    low, mrl, target, gaps = facts.lowest, facts.mrl, facts.target, facts.gaps
    text = (f"Readiness: the least ready is {low['part']} at {low['site']}, MRL {mrl} against a target of {target} "
            f"(weakest: {', '.join(low['weakest'])}); {gaps} gaps have actions")
    first = f.get(f"{base}/gaps")
    if first:
        text += f", the first: {first[0]['action'].rstrip('.')}"
    return [{"topic": "readiness", "text": text + "."}]


def _evaluation(f: Facts) -> list[dict[str, str]]:
    base = "/sections/evaluation"
    if not f.has(base):
        return []
    systems = f.get(f"{base}/systems")
    top = systems[0]
    out = []
    count = f.number("systems_evaluated", f"{base}/system_count")
    design = short_name(top["design_name"])
    text = (f"Early access: of {count} systems evaluated, {top['id']} ({top['vendor']}, {design}) "
            f"ranks first with a score of {f.number('evaluation_top_score', f'{base}/systems/0/score', decimals=3)}")
    sens = f.get(f"{base}/sensitivity")
    closest = min((s for s in sens if s.get("smallest_change") is not None),
                  key=lambda s: s["smallest_change"], default=None)
    if closest is not None:
        i = sens.index(closest)
        change = f.number("evaluation_flip_change", f"{base}/sensitivity/{i}/smallest_change", scale=0.01,
                          decimals=1, unit="percentage points")
        text += (f"; the choice is most sensitive to {closest['criterion']}, whose weight would have to move by "
                 f"{change} percentage points to change it")
    else:
        text += "; no single weight change alters the choice"
    out.append({"topic": "evaluation", "text": text + "."})
    options = f.get(f"{base}/options")
    as_of = f.get(f"{base}/as_of")
    rank_of = {s["id"]: k for k, s in enumerate(systems)}
    live = sorted((o for o in options if o["status"] in ("open", "deferred")), key=lambda o: rank_of[o["system"]])
    best_live = live[0]["system"] if live else None
    for i, o in enumerate(options):
        if o["status"] not in ("open", "deferred"):
            if o["system"] == top["id"] and o["status"] != "no-option":
                out.append({"topic": "action", "text": f"The option on {o['system']}, ranked first, is {o['status']}."})
            continue
        urgent = o["days_to_deadline"] is not None and o["days_to_deadline"] <= DEADLINE_WARNING_DAYS
        if o["system"] != best_live and not urgent:
            continue
        j = rank_of[o["system"]]
        rank = f.number(f"rank.{o['system']}", f"{base}/systems/{j}/rank")
        days = f.number(f"option_days.{o['system']}", f"{base}/options/{i}/days_to_deadline")
        latest = f" (last decision: {o['latest_action']} on {o['latest_date']})" if o["latest_action"] else ""
        lead = ("the best-ranked system with an open option" if o["system"] == best_live
                else "an option that expires soon")
        out.append({"topic": "action", "text": f"What to do: decide on {o['system']}, {lead} (ranked {rank} of "
                    f"{count}), by {o['exercise_by']}, {days} days after {as_of}{latest}."})
    return out


def _absent(f: Facts) -> list[dict[str, str]]:
    absent = f.get("/absent")
    if not absent:
        return []
    names = "; ".join(f"{a['title']} ({a['reason']})" for a in absent)
    return [{"topic": "coverage", "text": f"Not assessed in this run: {names}."}]


WRITERS: list[Writer] = [_programme, _engineering, _cost, _domestic, _supply_risk, _resilience, _optimize,
                         _factory, _readiness, _evaluation, _absent]
"""Sentence writers in the order the summary reads; analyses add theirs as they are wired in."""

SECTION_OF: dict[Writer, str] = {_programme: "programme", _engineering: "engineering", _cost: "generations",
                                 _domestic: "sourcing", _supply_risk: "sourcing", _resilience: "resilience",
                                 _optimize: "optimize", _factory: "factory", _readiness: "readiness",
                                 _evaluation: "evaluation", _absent: "absent"}
"""The section (its key, the report's anchor) whose details each writer's sentences summarise."""


def executive_summary(results: dict[str, Any]) -> dict[str, Any]:
    """Sentences answering the programme's questions and the one-screen headline cards
    (:mod:`rackforge.report.glance`), with the facts (pointer, value, display) they use."""
    from rackforge.report.glance import headlines

    facts = Facts(results)
    sentences: list[dict[str, str]] = []
    for writer in WRITERS:
        sentences.extend({**sentence, "section": SECTION_OF.get(writer, "")} for sentence in writer(facts))
    return {"headlines": headlines(facts), "sentences": sentences, "facts": facts.facts}
