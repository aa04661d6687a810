"""Localized test plans per rack design, and testing at the origin vs. at the US site.

A test plan is generated from the design itself: power-on scales with the power shelves and
battery units, the leak test with the liquid connections in the exploded bill of materials,
the link test with a zero-error bit-error-ratio demonstration, burn-in with the design's
maturity (24-72 h at system level, rack-facts.md). Each step covers failure categories with an
estimated probability of detection; the plan's coverage of a category is
``1 - Π (1 - coverage of each step)`` (independent detection chances).

Zero-error BER demonstration: to claim BER ≤ p with confidence CL after n error-free bits,
``(1 - p)^n ≤ 1 - CL`` so ``n ≥ -ln(1 - CL) / p`` (≈ 3 / p at 95%); lanes run in parallel, so
the counting time is ``n / lane rate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rackforge.core.bom import explode
from rackforge.schema import Catalog, Programme, RackDesign
from rackforge.schema.factory import Factory, TestPlanSettings, TestSiteComparison

FAILURE_CATEGORIES = ("power", "thermal", "leak", "link", "fabric", "compute", "mechanical", "firmware")

COVERAGE: dict[str, dict[str, float]] = {
    "power": {"power": 0.9, "firmware": 0.3, "mechanical": 0.1},
    "leak": {"leak": 0.95, "mechanical": 0.2},
    "thermal": {"thermal": 0.85, "leak": 0.3, "compute": 0.2, "power": 0.2},
    "link": {"link": 0.95, "mechanical": 0.3, "firmware": 0.2},
    "fabric": {"fabric": 0.9, "link": 0.3, "firmware": 0.4},
    "burn-in": {"compute": 0.8, "power": 0.5, "thermal": 0.5, "leak": 0.3, "link": 0.3, "firmware": 0.3},
}
"""Estimated probability that each test kind detects a defect of each failure category.

estimate: engineering judgement from the test's physics (a pressure-decay hold finds gross
leaks, a thermal soak at design power finds poor cold-plate contact and marginal leaks,
burn-in finds infant mortality of GPUs/HBM and PSUs); to be replaced by field data from
'rackforge tests import'. Not a published figure.
"""

STATION_KIND = {"power": "power-on", "leak": "leak-test", "thermal": "rack-test", "link": "rack-test",
                "fabric": "fabric-validation", "burn-in": "burn-in"}

LIQUID_CONNECTIONS = ("quick-disconnect", "cold-plate", "manifold", "hose")


def ber_demonstration_bits(ber_target: float, confidence: float) -> float:
    """Error-free bits needed to demonstrate BER ≤ ``ber_target`` with ``confidence`` [bits].

    ``n = -ln(1 - CL) / p`` (zero-error binomial bound, exact in the Poisson limit).
    """
    return -math.log(1.0 - confidence) / ber_target


def combined_coverage(coverages: list[float]) -> float:
    """Probability that at least one of several independent tests detects a defect [fraction]."""
    miss = 1.0
    for c in coverages:
        miss *= 1.0 - c
    return 1.0 - miss


@dataclass(frozen=True)
class TestStep:
    """One test of a rack's localized test sequence."""

    __test__ = False  # not a pytest test class

    id: str
    name: str
    duration_h: float
    basis: str
    covers: dict[str, float]
    station_kind: str


@dataclass(frozen=True)
class TestPlan:
    """The generated test sequence of one design."""

    __test__ = False  # not a pytest test class

    design: str
    generation: str
    steps: tuple[TestStep, ...]
    coverage: dict[str, float]
    not_applicable: tuple[str, ...] = ()
    mode_coverage: dict[str, float] = field(default_factory=dict)

    @property
    def test_h(self) -> float:
        """Test time per rack, sequential [h]."""
        return sum(s.duration_h for s in self.steps)

    @property
    def weak(self) -> list[str]:
        """Applicable failure categories detected with less than 80% probability."""
        return [c for c, v in self.coverage.items() if v < 0.8]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "design": self.design, "generation": self.generation, "test_h": round(self.test_h, 4),
            "steps": [{"id": s.id, "name": s.name, "duration_h": round(s.duration_h, 4), "basis": s.basis,
                       "station_kind": s.station_kind, "covers": s.covers} for s in self.steps],
            "coverage": {k: round(v, 4) for k, v in self.coverage.items()}, "weak": self.weak,
            "not_applicable": list(self.not_applicable),
            "mode_coverage": {k: round(v, 4) for k, v in self.mode_coverage.items()},
        }


def liquid_connections(design: RackDesign, catalog: Catalog) -> int:
    """Liquid connections in one rack: cold plates, manifolds, quick disconnects, hoses [count]."""
    total = 0
    for part, qty in explode(catalog, design.id).items():
        cooling = catalog.parts[part].cooling
        if cooling is not None and cooling.kind in LIQUID_CONNECTIONS:
            total += qty
    return total


def generate_test_plan(design: RackDesign, catalog: Catalog, settings: TestPlanSettings | None = None,
                       factory: Factory | None = None) -> TestPlan:
    """The localized test sequence of ``design``: power, leak, thermal, link, fabric, burn-in."""
    settings = settings or TestPlanSettings()
    steps: list[TestStep] = []
    not_applicable: list[str] = []

    def add(ident: str, name: str, hours: float, basis: str) -> None:
        steps.append(TestStep(ident, name, hours, basis, COVERAGE[ident], STATION_KIND[ident]))

    shelves = design.power.shelf_count
    bbus = design.power.bbu_count
    add("power", "Power-on: insulation, ground bond, shelves and BBUs, first boot",
        settings.power_base_h + (shelves + bbus) * settings.power_per_shelf_h,
        f"{settings.power_base_h:g} h + ({shelves} shelves + {bbus} BBUs) × {settings.power_per_shelf_h:g} h")
    liquid = design.cooling.kind in ("liquid", "hybrid")
    if liquid:
        connections = liquid_connections(design, catalog)
        add("leak", "Leak: pressure-decay hold and connection check",
            settings.leak_hold_h + connections * settings.leak_per_connection_h,
            f"{settings.leak_hold_h:g} h hold + {connections} liquid connections × "
            f"{settings.leak_per_connection_h:g} h")
    else:
        not_applicable.append("leak")
    add("thermal", "Thermal: soak at design power" + (" on facility water" if liquid else " (airflow)"),
        settings.thermal_soak_h, f"{settings.thermal_soak_h:g} h soak at design power")
    scale_up = design.network.scale_up
    if scale_up is not None:
        bits = ber_demonstration_bits(settings.ber_target, settings.ber_confidence)
        counting_h = bits / (scale_up.lane_rate_gbps * 1e9) / 3600.0
        lanes = scale_up.gpus_per_domain * scale_up.links_per_gpu * scale_up.lanes_per_link
        add("link", f"Link: {scale_up.technology} training and BER check of {lanes:,} lanes",
            settings.link_setup_h + counting_h,
            f"{settings.link_setup_h:g} h setup + {bits:.3g} error-free bits per lane (BER ≤ "
            f"{settings.ber_target:g} at {settings.ber_confidence:.0%}) at {scale_up.lane_rate_gbps:g} Gb/s, "
            "lanes in parallel")
    else:
        not_applicable.append("link")
    if design.network.scale_out is not None or scale_up is not None:
        add("fabric", "Fabric: collective (all-reduce) and scale-out port validation", settings.fabric_h,
            f"{settings.fabric_h:g} h")
    else:
        not_applicable.append("fabric")
    burn = settings.burn_in_h.get(design.status, max(settings.burn_in_h.values()))
    add("burn-in", "Rack burn-in at load", burn, f"{burn:g} h for a '{design.status}' design (24-72 h range)")
    applicable = [c for c in FAILURE_CATEGORIES if c not in not_applicable]
    coverage = {c: combined_coverage([s.covers.get(c, 0.0) for s in steps]) for c in applicable}
    mode_coverage: dict[str, float] = {}
    if factory is not None:
        route = factory.route_of(design.id)
        for step in route.steps if route else ():
            for mode in step.failure_modes:
                if mode.category in coverage:
                    mode_coverage[mode.id] = coverage[mode.category]
    return TestPlan(design.id, design.generation, tuple(steps), coverage, tuple(not_applicable), mode_coverage)


@dataclass(frozen=True)
class SiteComparison:
    """Testing a design at the origin (rack shipped integrated) vs. at the US site (kits shipped)."""

    design: str
    origin_country: str
    transit_weeks: float
    origin: dict[str, float]
    us: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"design": self.design, "origin_country": self.origin_country, "transit_weeks": self.transit_weeks,
                "origin": {k: round(v, 2) for k, v in self.origin.items()},
                "us": {k: round(v, 2) for k, v in self.us.items()},
                "us_minus_origin_cost_usd": round(self.us["cost_usd"] - self.origin["cost_usd"], 2),
                "us_minus_origin_days": round(self.us["days"] - self.origin["days"], 3)}


def attended_hours(plan: TestPlan, params: TestSiteComparison, categories: tuple[str, ...] | None = None) -> float:
    """Technician hours a rack's tests take: every test attended, burn-in only in part [h]."""
    total = 0.0
    for step in plan.steps:
        if categories is not None and step.id not in categories:
            continue
        share = params.attended_share_burn_in if step.id == "burn-in" else 1.0
        total += step.duration_h * share * params.technicians_per_rack
    return total


def compare_test_sites(plan: TestPlan, params: TestSiteComparison, transit_weeks: float) -> SiteComparison:
    """Time [days] and cost [USD per rack] of testing at the origin vs. at the US site.

    Origin: tests at origin labour and bay rates, the integrated rack shipped (rack freight),
    then ``arrival_retest`` test categories repeated at the US (US rates) and transit damage
    reworked (``transit_damage_rate × transit_rework_h`` at US labour). US: kits shipped (kit
    freight), all tests at US rates. Days run from kit complete at the origin to a tested
    rack at the US site; test hours are counted as elapsed time.
    """
    retest = tuple(params.arrival_retest)
    retest_h = sum(s.duration_h for s in plan.steps if s.id in retest)
    test_h = plan.test_h
    transit_days = transit_weeks * 7.0
    origin_labour = attended_hours(plan, params) * params.origin_labour_usd_per_h
    origin_bay = test_h * params.origin_bay_usd_per_h
    arrival = (attended_hours(plan, params, retest) * params.us_labour_usd_per_h
               + retest_h * params.us_bay_usd_per_h)
    damage = params.transit_damage_rate * params.transit_rework_h * params.us_labour_usd_per_h
    origin = {
        "test_h": test_h, "arrival_retest_h": retest_h,
        "days": (test_h + retest_h + params.transit_damage_rate * params.transit_rework_h) / 24.0 + transit_days,
        "labour_usd": origin_labour, "bay_usd": origin_bay, "freight_usd": params.rack_freight_usd,
        "arrival_retest_usd": arrival, "transit_damage_usd": damage,
    }
    origin["cost_usd"] = origin_labour + origin_bay + params.rack_freight_usd + arrival + damage
    us_labour = attended_hours(plan, params) * params.us_labour_usd_per_h
    us_bay = test_h * params.us_bay_usd_per_h
    us = {"test_h": test_h, "arrival_retest_h": 0.0, "days": test_h / 24.0 + transit_days,
          "labour_usd": us_labour, "bay_usd": us_bay, "freight_usd": params.kit_freight_usd,
          "arrival_retest_usd": 0.0, "transit_damage_usd": 0.0}
    us["cost_usd"] = us_labour + us_bay + params.kit_freight_usd
    return SiteComparison(plan.design, params.origin_country, transit_weeks, origin, us)


def programme_test_plans(programme: Programme) -> tuple[list[TestPlan], list[SiteComparison]]:
    """Test plans and origin-vs-US comparisons for every design in the build plan."""
    factory = programme.factory
    settings = factory.test_plan if factory is not None else TestPlanSettings()
    params = factory.test_sites if factory is not None else TestSiteComparison()
    transit = params.transit_weeks
    if transit is None:
        lane = next((t for t in programme.trade if t.origin == params.origin_country and t.destination == "US"),
                    None)
        transit = lane.transit_weeks if lane is not None and lane.transit_weeks > 0 else 5.0
    plans = [generate_test_plan(d, programme.catalog, settings, factory) for d in programme.planned_designs]
    return plans, [compare_test_sites(p, params, transit) for p in plans]
