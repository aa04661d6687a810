"""Second pass of loading: references between records.

Each check is one function returning problems located at the referring field, with a
did-you-mean when an id is close to a known one: unknown part/assembly/design/site/supplier
ids, parts of the wrong category in an architecture slot, and circular assemblies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rackforge.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from rackforge.io.loader import Record

Keyed = dict[str, dict[str, "Record"]]


def check_references(keyed: Keyed, records: dict[str, list[Record]]) -> list[Problem]:
    """All reference problems of a collected programme (or of the catalog alone)."""
    problems: list[Problem] = []
    for check in (_check_items, _check_cycles, _check_design_slots, _check_sites, _check_parts_makers,
                  _check_sources, _check_programme):
        problems.extend(check(keyed, records))
    return problems


def _ref_problem(rec: Record, sub: tuple[Any, ...], ref: str, kind: str, known: Iterable[str]) -> Problem:
    known = list(known)
    return rec.problem(sub, f"unknown {kind} {ref!r}{did_you_mean(ref, known)}")


def _check_items(keyed: Keyed, _records: Any) -> Iterable[Problem]:
    parts, assemblies = keyed.get("parts", {}), keyed.get("assemblies", {})
    for section in ("assemblies", "designs"):
        for rec in keyed.get(section, {}).values():
            for i, item in enumerate(rec.value.items):
                if item.ref not in parts and item.ref not in assemblies:
                    yield _ref_problem(rec, ("items", i, "ref"), item.ref, "part or assembly",
                                       [*parts, *assemblies])


def _check_cycles(keyed: Keyed, _records: Any) -> Iterable[Problem]:
    """Circular assemblies: an assembly that contains itself through any chain."""
    assemblies = keyed.get("assemblies", {})
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(node: str, stack: list[str]) -> Iterable[Problem]:
        state[node] = 1
        stack.append(node)
        for i, item in enumerate(assemblies[node].value.items):
            child = item.ref
            if child not in assemblies:
                continue
            if state.get(child) == 1:
                cycle = [*stack[stack.index(child):], child]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    yield assemblies[node].problem(("items", i, "ref"),
                                                   "circular assembly: " + " → ".join(cycle))
            elif state.get(child) is None:
                yield from visit(child, stack)
        stack.pop()
        state[node] = 2

    for name in assemblies:
        if name not in state:
            yield from visit(name, [])


# (path within the design, expected kind, allowed part categories or "assembly")
_DESIGN_SLOTS: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = (
    (("power", "shelf"), "power shelf", ("power",)),
    (("power", "bbu"), "battery backup unit", ("power",)),
    (("power", "busbar"), "busbar", ("power",)),
    (("cooling", "cdu"), "CDU", ("cooling",)),
    (("network", "scale_up", "switch_tray"), "switch tray", ("assembly",)),
    (("network", "scale_up", "cable"), "scale-up cable", ("cabling",)),
    (("network", "scale_out", "nic"), "NIC", ("networking",)),
    (("network", "scale_out", "switch"), "switch", ("networking",)),
    (("network", "scale_out", "optic"), "optic", ("optics",)),
)


def _check_design_slots(keyed: Keyed, _records: Any) -> Iterable[Problem]:
    parts, assemblies = keyed.get("parts", {}), keyed.get("assemblies", {})
    for rec in keyed.get("designs", {}).values():
        for path, kind, allowed in _DESIGN_SLOTS:
            value: Any = rec.value
            for attr in path:
                value = getattr(value, attr, None) if value is not None else None
            if value is None:
                continue
            if "assembly" in allowed:
                if value not in assemblies:
                    yield _ref_problem(rec, path, value, kind + " assembly", assemblies)
            elif value not in parts:
                yield _ref_problem(rec, path, value, kind + " part", parts)
            elif parts[value].value.category.value not in allowed:
                yield rec.problem(path, f"{value!r} is a {parts[value].value.category.value} part; "
                                        f"the {kind} must be one of category {', '.join(allowed)}")


def _check_sites(keyed: Keyed, _records: Any) -> Iterable[Problem]:
    suppliers = keyed.get("suppliers", {})
    for rec in keyed.get("sites", {}).values():
        if rec.value.supplier not in suppliers:
            yield _ref_problem(rec, ("supplier",), rec.value.supplier, "supplier", suppliers)


def _check_parts_makers(keyed: Keyed, _records: Any) -> Iterable[Problem]:
    suppliers = keyed.get("suppliers", {})
    for rec in keyed.get("parts", {}).values():
        maker = rec.value.maker
        if maker is not None and maker not in suppliers:
            yield _ref_problem(rec, ("maker",), maker, "supplier", suppliers)


def _check_sources(keyed: Keyed, _records: Any) -> Iterable[Problem]:
    parts, sites = keyed.get("parts", {}), keyed.get("sites", {})
    for rec in keyed.get("sources", {}).values():
        if rec.value.part not in parts:
            yield _ref_problem(rec, ("part",), rec.value.part, "part", parts)
        if rec.value.site not in sites:
            yield _ref_problem(rec, ("site",), rec.value.site, "site", sites)


def _check_programme(keyed: Keyed, records: dict[str, list[Record]]) -> Iterable[Problem]:
    sites, designs = keyed.get("sites", {}), keyed.get("designs", {})
    for rec in records.get("programme", []):
        site = rec.value.integration_site
        if site not in sites:
            yield _ref_problem(rec, ("integration_site",), site, "site", sites)
    for rec in records.get("build_plan", []):
        for quarter, row in rec.value.quarters.items():
            for design in row:
                if design not in designs:
                    yield _ref_problem(rec, ("quarters", quarter, design), design, "design", designs)
