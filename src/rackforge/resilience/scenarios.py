"""The scenario library as the resilience analyses use it: defaults, and its cross-references
checked against the catalog with file and line (the section's types are in :mod:`rackforge.schema.scenarios`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rackforge.schema.scenarios import ScenarioLibrary

if TYPE_CHECKING:
    from rackforge.errors import Problem
    from rackforge.schema import Programme


def library_of(programme: Programme) -> ScenarioLibrary:
    """The programme's scenario library, or an empty one with the defaults."""
    scenarios = programme.scenarios
    if scenarios is None:
        return ScenarioLibrary()
    if not isinstance(scenarios, ScenarioLibrary):  # a raw mapping from an older loader
        return ScenarioLibrary.model_validate(scenarios)
    return scenarios


def z_for_service_level(service_level: float) -> float:
    """Standard normal quantile z with Φ(z) = service level [-] (``statistics.NormalDist.inv_cdf``)."""
    from statistics import NormalDist

    return NormalDist().inv_cdf(service_level)


# ---------------------------------------------------------------------------------------------
# cross-references, checked when an analysis runs


def check_scenarios(programme: Programme) -> list[Problem]:
    """Problems with the scenario library's references: unknown sites, parts, suppliers, designs."""
    from rackforge.errors import did_you_mean

    lib = library_of(programme)
    cat = programme.catalog
    problems: list[Problem] = []

    def locate(path: tuple[str | int, ...], message: str) -> Problem:
        return programme.problem(("scenarios", *path), message)

    def unknown(path: tuple[str | int, ...], value: str, kind: str, known: Iterable[str]) -> None:
        problems.append(locate(path, f"unknown {kind} {value!r}{did_you_mean(value, list(known))}"))

    regions = {s.region for s in cat.sites.values()}
    for i, event in enumerate(lib.events):
        sel = event.affects
        base: tuple[str | int, ...] = ("events", i, "affects")
        for j, site in enumerate(sel.sites):
            if site not in cat.sites:
                unknown((*base, "sites", j), site, "site", cat.sites)
        for j, supplier in enumerate(sel.suppliers):
            if supplier not in cat.suppliers:
                unknown((*base, "suppliers", j), supplier, "supplier", cat.suppliers)
        for j, part in enumerate(sel.parts):
            if part not in cat.parts:
                unknown((*base, "parts", j), part, "part", cat.parts)
        for j, region in enumerate(sel.regions):
            if region not in regions:
                unknown((*base, "regions", j), region, "region", regions)
    items = {*cat.parts, *cat.assemblies, *cat.designs}
    for i, entry in enumerate(lib.stock):
        if entry.ref not in items:
            unknown(("stock", i, "ref"), entry.ref, "part, assembly or design", items)
        elif entry.site is not None:
            if entry.ref not in cat.parts:
                problems.append(locate(("stock", i, "site"), "only part stock can name a site; "
                                       "assembly and rack stock sit at the integration site"))
            elif entry.site not in cat.sites:
                unknown(("stock", i, "site"), entry.site, "site", cat.sites)
            elif not any(s.site == entry.site for s in programme.sources_by_part.get(entry.ref, ())):
                sites = [s.site for s in programme.sources_by_part.get(entry.ref, ())]
                problems.append(locate(("stock", i, "site"), f"no source of {entry.ref!r} at {entry.site!r}; "
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


def require_valid_scenarios(programme: Programme) -> ScenarioLibrary:
    """The scenario library, after raising InputError if its references are broken."""
    from rackforge.errors import InputError

    problems = check_scenarios(programme)
    if problems:
        raise InputError(problems)
    return library_of(programme)
