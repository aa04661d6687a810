"""TCO of the whole programme: one rack of each planned design, and the build plan's capital and TCO.

Each design's rack TCO is :func:`~rackforge.evaluate.tco.rack_tco` with the same inputs the evaluation
uses (:mod:`rackforge.evaluate.criteria`): part prices are landed costs from the supply view
(:func:`~rackforge.evaluate.tco.design_prices`, each design at its first quarter with racks); rack
power comes from the engineering model when it is installed. The plan's
capital and TCO are racks planned × the per-rack figures, summed over the designs [USD].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rackforge.evaluate.tco import TcoBreakdown, rack_tco, tco_assumptions

if TYPE_CHECKING:
    from rackforge.schema import Programme, RackDesign
    from rackforge.schema.evaluations import TcoAssumptions

PRICE_BASIS = "landed cost (price + freight + duty) of the qualified sources, each design at its first quarter"


@dataclass(frozen=True)
class DesignTco:
    """One planned design: the TCO of one rack, its power and performance, and the plan's racks of it."""

    design: str
    name: str
    generation: str
    year: int
    racks_planned: int
    full_load_power_w: float
    performance_metric: str | None
    peak_pflops: float | None
    tco: TcoBreakdown

    @property
    def tflops_per_w(self) -> float | None:
        """Peak throughput per watt at full load [TFLOPS/W], or None without a published peak."""
        if not self.peak_pflops or self.full_load_power_w <= 0:
            return None
        return self.peak_pflops * 1000.0 / self.full_load_power_w

    @property
    def plan_capital_usd(self) -> float:
        """Capital of the plan's racks of this design [USD]."""
        return self.racks_planned * self.tco.capital_usd

    @property
    def plan_tco_usd(self) -> float:
        """TCO of the plan's racks of this design over the service life [USD]."""
        return self.racks_planned * self.tco.total_usd

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: the design's fields, the TCO breakdown's fields, and the plan totals."""
        return {"design": self.design, "name": self.name, "generation": self.generation, "year": self.year,
                "racks_planned": self.racks_planned, "full_load_power_w": self.full_load_power_w,
                "performance_metric": self.performance_metric, "peak_pflops": self.peak_pflops,
                "tflops_per_w": self.tflops_per_w, **self.tco.to_json(),
                "plan_capital_usd": self.plan_capital_usd, "plan_tco_usd": self.plan_tco_usd}


@dataclass(frozen=True)
class ProgrammeTco:
    """TCO of every planned design and of the build plan, with the assumptions used."""

    assumptions: TcoAssumptions
    pue: float
    electricity_usd_per_kwh: float
    designs: list[DesignTco]
    price_basis: str

    @property
    def programme_capital_usd(self) -> float:
        """Capital of every rack in the build plan [USD]."""
        return sum(d.plan_capital_usd for d in self.designs)

    @property
    def programme_tco_usd(self) -> float:
        """TCO of every rack in the build plan over the service life [USD]."""
        return sum(d.plan_tco_usd for d in self.designs)

    @property
    def racks_planned(self) -> int:
        """Racks in the build plan."""
        return sum(d.racks_planned for d in self.designs)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: assumptions (with the PUE and electricity price used), designs, totals."""
        return {"assumptions": {**self.assumptions.model_dump(mode="json"), "pue": self.pue,
                                "electricity_usd_per_kwh": self.electricity_usd_per_kwh},
                "designs": [d.to_json() for d in self.designs],
                "price_basis": self.price_basis,
                "programme_capital_usd": self.programme_capital_usd,
                "programme_tco_usd": self.programme_tco_usd}


def design_tco(programme: Programme, design: RackDesign, metric: str | None, inputs: Mapping[str, Any],
               sources: dict[str, Any], assumptions: TcoAssumptions) -> DesignTco:
    """One planned design's :class:`DesignTco`, priced and powered as the evaluation does."""
    from rackforge.evaluate.bridges import engineering_power_w
    from rackforge.evaluate.criteria import full_load_power_w

    engineering = engineering_power_w(programme, design.id, inputs, sources)
    tco = rack_tco(programme, design.id, assumptions,
                   it_power_w=engineering[0] if engineering is not None else None)
    full_w = engineering[1] if engineering is not None else full_load_power_w(design, programme)
    pflops = getattr(design.performance, metric) if metric and design.performance else None
    return DesignTco(design.id, design.name, design.generation, design.year,
                     sum(programme.build_plan.racks(design.id).values()), full_w, metric, pflops, tco)


def programme_tco(programme: Programme, analyses: Mapping[str, Any] | None = None) -> ProgrammeTco:
    """TCO of one rack of each planned design and of the whole build plan.

    ``analyses``: typed results of analyses already run, by name (see :mod:`rackforge.evaluate.shared`);
    the sourcing and engineering analyses are run here when absent and installed.
    """
    from rackforge.evaluate.criteria import performance_metric
    from rackforge.evaluate.shared import evaluation_inputs

    inputs = evaluation_inputs(programme, analyses)
    sources: dict[str, Any] = {"sourcing": inputs["sourcing"]} if "sourcing" in inputs else {}
    basis = PRICE_BASIS
    assumptions = tco_assumptions(programme)
    planned = programme.planned_designs
    metric = performance_metric(planned)
    designs = [design_tco(programme, d, metric, inputs, sources, assumptions) for d in planned]
    pue = designs[0].tco.pue if designs else programme.facility.pue
    price = designs[0].tco.electricity_usd_per_kwh if designs else programme.facility.electricity_usd_per_kwh
    return ProgrammeTco(assumptions, pue, price, designs, basis)
