"""Third pass of loading: the checks that need the whole programme, in one place.

The loader runs :func:`programme_problems` on every programme it builds (so ``rackforge check``
runs it), and each analysis calls the part it relies on (:func:`factory_problems`,
:func:`scenario_problems`, :func:`evaluation_problems`, :func:`readiness_problems`) for programmes
built in memory. One definition each: a folder that loads cannot fail an analysis on these.

Each problem is located at file, line and field (:meth:`~rackforge.schema.Programme.problem`) and
says what would be valid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from rackforge.errors import InputError, Problem, did_you_mean, valid_list
from rackforge.linemap import FieldPath

if TYPE_CHECKING:
    from rackforge.schema import Programme
    from rackforge.schema.evaluations import Evaluations
    from rackforge.schema.factory import Factory
    from rackforge.schema.readiness import Readiness

Locate = Callable[[FieldPath, str], Problem]


def programme_problems(programme: Programme) -> list[Problem]:
    """Every whole-programme problem: the build plan, the factory, the scenarios, the evaluations and
    the readiness assessments checked against the catalog and each other."""
    problems = list(build_plan_problems(programme))
    if programme.factory is not None:
        problems.extend(factory_problems(programme, programme.factory))
    problems.extend(scenario_problems(programme))
    if programme.evaluations is not None:
        problems.extend(evaluation_problems(programme, programme.evaluations))
    if programme.readiness is not None:
        problems.extend(readiness_problems(programme, programme.readiness))
    return problems


def validate_programme(programme: Programme) -> Programme:
    """``programme`` itself, after raising :class:`InputError` listing every :func:`programme_problems`."""
    raise_if(programme_problems(programme))
    return programme


def raise_if(problems: list[Problem]) -> None:
    """Raise one :class:`InputError` listing ``problems``, if there are any."""
    if problems:
        raise InputError(problems)


def _locator(programme: Programme, section: str) -> Locate:
    def at(path: FieldPath, message: str) -> Problem:
        return programme.problem((section, *path), message)
    return at


# ----- build plan ------------------------------------------------------------------------------------

def build_plan_problems(programme: Programme) -> Iterator[Problem]:
    """A build plan with no rack at all (every analysis of supply and factory needs one)."""
    plan = programme.build_plan
    if not any(count > 0 for row in plan.quarters.values() for count in row.values()):
        yield programme.problem(("build_plan", "quarters"), "the build plan has no racks; plan at least one rack "
                                "of a design, e.g. '2027Q1: {gb300-nvl72: 10}'")


# ----- factory --------------------------------------------------------------------------------------

def factory_problems(programme: Programme, factory: Factory) -> list[Problem]:
    """The factory section against the programme: route designs and the site exist, and every design
    with racks in the build plan has a route (the line cannot build a design it has no steps for)."""
    at = _locator(programme, "factory")
    problems: list[Problem] = []
    designs = programme.catalog.designs
    for r_index, route in enumerate(factory.routes):
        for d_index, design in enumerate(route.designs):
            if design not in designs:
                problems.append(at(("routes", r_index, "designs", d_index),
                                   f"unknown design {design!r}{did_you_mean(design, designs)}"))
    plan = programme.build_plan
    routes = ", ".join(f"{r.id} ({', '.join(r.designs) or 'no designs'})" for r in factory.routes)
    for design in plan.designs:
        if sum(plan.racks(design).values()) > 0 and factory.route_of(design) is None:
            problems.append(at(("routes",), f"design {design!r} is in the build plan but in no route; add it to "
                                            f"the designs of the route whose steps build it (routes: {routes})"))
    if factory.site is not None and factory.site not in programme.catalog.sites:
        problems.append(at(("site",), f"unknown site {factory.site!r}"
                                      f"{did_you_mean(factory.site, programme.catalog.sites)}"))
    return problems


# ----- scenarios ------------------------------------------------------------------------------------

def scenario_problems(programme: Programme) -> list[Problem]:
    """The scenario library's references: sites, suppliers, parts, regions, stock and designs."""
    lib = programme.scenarios
    if lib is None:
        return []
    cat = programme.catalog
    at = _locator(programme, "scenarios")
    problems: list[Problem] = []

    def unknown(path: FieldPath, value: str, kind: str, known: Iterable[str]) -> None:
        problems.append(at(path, f"unknown {kind} {value!r}{did_you_mean(value, list(known))}"))

    regions = {s.region for s in cat.sites.values()}
    for i, event in enumerate(lib.events):
        sel = event.affects
        base: FieldPath = ("events", i, "affects")
        for kind, values, known in (("site", sel.sites, cat.sites), ("supplier", sel.suppliers, cat.suppliers),
                                    ("part", sel.parts, cat.parts), ("region", sel.regions, regions)):
            for j, value in enumerate(values):
                if value not in known:
                    unknown((*base, kind + "s", j), value, kind, known)
    items = {*cat.parts, *cat.assemblies, *cat.designs}
    for i, entry in enumerate(lib.stock):
        if entry.ref not in items:
            unknown(("stock", i, "ref"), entry.ref, "part, assembly or design", items)
        elif entry.site is not None:
            sites = [s.site for s in programme.sources_by_part.get(entry.ref, ())]
            if entry.ref not in cat.parts:
                problems.append(at(("stock", i, "site"), "only part stock can name a site; "
                                   "assembly and rack stock sit at the integration site"))
            elif entry.site not in cat.sites:
                unknown(("stock", i, "site"), entry.site, "site", cat.sites)
            elif entry.site not in sites:
                problems.append(at(("stock", i, "site"), f"no source of {entry.ref!r} at {entry.site!r}; "
                                   f"its sources are at: {', '.join(sites) or '(none)'}"))
    for i, rec in enumerate(lib.recovery):
        if rec.site is not None and rec.site not in cat.sites:
            unknown(("recovery", i, "site"), rec.site, "site", cat.sites)
        if rec.region is not None and rec.region not in regions:
            unknown(("recovery", i, "region"), rec.region, "region", regions)
    for i, design in enumerate(lib.priority):
        if design not in cat.designs:
            unknown(("priority", i), design, "design", cat.designs)
    for design in lib.rack_value_usd:
        if design not in cat.designs:
            unknown(("rack_value_usd", design), design, "design", cat.designs)
    return problems


# ----- evaluations ----------------------------------------------------------------------------------

def evaluation_problems(programme: Programme, evaluations: Evaluations) -> list[Problem]:
    """The evaluations section: unique system and criterion ids, systems naming designs of the catalog,
    stated values naming criteria, decisions naming evaluated systems."""
    return list(_evaluation_problems(programme, evaluations, _locator(programme, "evaluations")))


def _evaluation_problems(programme: Programme, ev: Evaluations, at: Locate) -> Iterator[Problem]:
    designs = programme.catalog.designs
    criteria = [c.id for c in ev.criteria]
    seen: dict[str, int] = {}
    for i, system in enumerate(ev.systems):
        if system.id in seen:
            yield at(("systems", i, "id"), f"system id {system.id!r} repeats systems[{seen[system.id]}]; "
                                           "give each evaluated system its own id")
        seen.setdefault(system.id, i)
        if system.design not in designs:
            yield at(("systems", i, "design"),
                     f"unknown design {system.design!r}{did_you_mean(system.design, designs)}; "
                     "an evaluated system must be a rack design of the catalog or programme")
        for key in system.values:
            if key not in criteria:
                yield at(("systems", i, "values", key),
                         f"{key!r} is not one of this evaluation's criteria{did_you_mean(key, criteria)}; "
                         f"criteria: {', '.join(criteria)}")
    cseen: set[str] = set()
    for i, criterion in enumerate(ev.criteria):
        if criterion.id in cseen:
            yield at(("criteria", i, "id"), f"criterion {criterion.id!r} is listed twice")
        cseen.add(criterion.id)
    for i, decision in enumerate(ev.decisions):
        if decision.system not in seen:
            yield at(("decisions", i, "system"),
                     f"unknown system {decision.system!r}{did_you_mean(decision.system, seen)}; "
                     f"evaluated systems: {', '.join(seen)}")
    yield from _scorable_problems(ev, at)


def _scorable_problems(ev: Evaluations, at: Locate) -> Iterator[Problem]:
    """Criteria the scores cannot use: ratio normalisation of a stated value that is not positive, and no
    weighted criterion rackforge can compute (built in) or every system states."""
    from rackforge.schema.evaluations import BUILTIN_CRITERIA

    if ev.normalisation == "ratio":
        for i, system in enumerate(ev.systems):
            for key, value in system.values.items():
                if value <= 0:
                    yield at(("systems", i, "values", key), f"{value:g} cannot be normalised by ratio (it needs "
                                                           "values > 0); give a positive value or use "
                                                           "'normalisation: minmax'")
    weighted = [c.id for c in ev.criteria if c.weight > 0]
    scorable = [c for c in weighted if c in BUILTIN_CRITERIA or all(c in s.values for s in ev.systems)]
    if ev.systems and not scorable:
        yield at(("criteria",), f"no weighted criterion can be scored: {', '.join(weighted) or '(none weighted)'} "
                                "are not built in and not stated for every system; state them in each "
                                f"system's values, or weigh a built-in criterion ({', '.join(BUILTIN_CRITERIA)})")


# ----- readiness ------------------------------------------------------------------------------------

def readiness_problems(programme: Programme, readiness: Readiness) -> list[Problem]:
    """Assessed parts (or assemblies, designs) and sites must exist in the catalog."""
    catalog = programme.catalog
    things = {**catalog.parts, **catalog.assemblies, **catalog.designs}
    problems: list[Problem] = []
    for i, a in enumerate(readiness.assessments):
        for fieldname, value, known, kind in (("part", a.part, things, "part, assembly or design"),
                                              ("site", a.site, catalog.sites, "site")):
            if value not in known:
                hint = did_you_mean(value, known) or ("; " + valid_list(sorted(known)) if kind == "site" else "")
                problems.append(programme.problem(("readiness", "assessments", i, fieldname),
                                                  f"unknown {kind} {value!r}{hint}"))
    return problems
