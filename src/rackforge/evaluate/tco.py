"""Total cost of ownership (TCO) of a rack over N years, and per GPU-hour.

The TCO of one rack is its capital cost plus what it costs to run over ``years``:

    TCO = C + PV(E_it + E_overhead + O_cooling + M)

- C, capital [USD]: hardware (Σ exploded part quantity × unit price) + integration per rack, or the
  price per rack agreed in an option to buy;
- E_it, IT energy per year [USD]: P_it [kW] × 8,760 h × utilisation already in P_it × electricity price;
- E_overhead, facility overhead energy per year [USD]: E_it × (PUE − 1). By definition of PUE
  (The Green Grid, WP#49: PUE = total facility energy / IT equipment energy) this is the energy spent on
  cooling plant, power distribution losses and lighting outside the rack;
- O_cooling, cooling operations and maintenance per year [USD]: a stated rate per kW of IT load;
- M, IT maintenance per year [USD]: a stated fraction of the hardware capital per year;
- PV(x) = x × Σ_{t=1..N} (1 + r)^−t, the present value of a constant yearly cost at discount rate r
  (= x × N when r = 0).

Cost per GPU-hour is levelised: PV(cost) / PV(GPU-hours), with GPU-hours per year = GPUs × 8,760 h ×
availability; with r = 0 it is simply total cost / total GPU-hours.

Rack IT power is measured at the rack input (where PUE's "IT equipment energy" is metered): the sum of
the rack's component power at its design utilisation, divided by the efficiency of its conversion
chain. Pure functions first, then :func:`rack_tco` on top.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.core.bom import explode
from rackforge.core.supply import SourceMode, design_view_date, per_part_sum, supply_view
from rackforge.schema.evaluations import DEFAULT_TCO_ASSUMPTIONS, TcoAssumptions

if TYPE_CHECKING:
    from rackforge.schema import Catalog, Programme, RackDesign

HOURS_PER_YEAR = 8760.0
"""Hours in a (365-day) year [h]."""


# ---------------------------------------------------------------------------------------------
# Assumptions (data)


# ---------------------------------------------------------------------------------------------
# Pure functions


def conversion_chain_efficiency(stage_efficiencies: Iterable[float]) -> float:
    """Overall efficiency of conversion stages in series [fraction] = Π ηᵢ (1.0 for no stages)."""
    return math.prod(stage_efficiencies)


def rack_it_power_w(component_power_w: float, utilisation: float, chain_efficiency: float = 1.0) -> float:
    """Average power drawn at the rack input [W] = component power [W] × utilisation / chain efficiency."""
    if not 0 < chain_efficiency <= 1:
        raise ValueError(f"chain efficiency must be in (0, 1], got {chain_efficiency}")
    return component_power_w * utilisation / chain_efficiency


def annual_energy_kwh(power_w: float, hours_per_year: float = HOURS_PER_YEAR) -> float:
    """Energy of a constant load over one year [kWh] = P [W] / 1000 × hours."""
    return power_w / 1000.0 * hours_per_year


def annual_energy_cost_usd(power_w: float, usd_per_kwh: float) -> float:
    """Yearly cost of a constant load [USD] = kWh per year × price [USD/kWh]."""
    return annual_energy_kwh(power_w) * usd_per_kwh


def overhead_energy_cost_usd(it_energy_cost_usd: float, pue: float) -> float:
    """Facility overhead energy cost [USD] = IT energy cost × (PUE − 1) (The Green Grid PUE definition)."""
    if pue < 1:
        raise ValueError(f"PUE is at least 1, got {pue}")
    return it_energy_cost_usd * (pue - 1.0)


def present_value_factor(rate: float, years: int) -> float:
    """Σ_{t=1..N} (1 + r)^−t [years]: present value of 1 USD paid at the end of each of N years.

    Equals N for r = 0, else (1 − (1 + r)^−N) / r (annuity factor), evaluated as
    −expm1(−N·log1p(r)) / r so that tiny rates do not lose precision.
    """
    if rate == 0:
        return float(years)
    return -math.expm1(-years * math.log1p(rate)) / rate


def gpu_hours_per_year(gpus: int, availability: float = 1.0) -> float:
    """GPU-hours delivered in one year [GPU·h] = GPUs × 8,760 h × availability."""
    return gpus * HOURS_PER_YEAR * availability


def bom_cost_usd(quantities: Mapping[str, float], unit_prices_usd: Mapping[str, float]) -> float:
    """Hardware cost [USD] = Σ quantity × unit price over parts that have a price."""
    return sum(q * unit_prices_usd[p] for p, q in quantities.items() if p in unit_prices_usd)


# ---------------------------------------------------------------------------------------------
# Object layer


@dataclass(frozen=True)
class PartPrice:
    """The unit price used for one part type, and where it came from."""

    part: str
    unit_price_usd: float
    origin: str  # "sources" | "reference_price"


def design_prices(programme: Programme, design: str) -> dict[str, PartPrice]:
    """Unit price of each part of one rack of ``design`` [USD], from the supply view
    (:func:`rackforge.core.supply.part_unit_cost_on`): the landed cost (price + freight + duty)
    weighted by order shares of the qualified sources in the design's own view (its first quarter
    with racks), the same price the BOM, the stress test and the Monte Carlo use. A part with no
    qualified source then is priced at its reference price, else at the mean of its listed sources;
    parts with neither are left out (reported as unpriced by :func:`rack_tco`).
    """
    view = supply_view(programme)
    when = design_view_date(programme.build_plan, design, SourceMode.QUALIFIED)
    shares = view.order_shares(when, SourceMode.QUALIFIED)
    cost = view.part_unit_cost_usd(shares)
    ordered = per_part_sum(view.source_part, shares, view.n_parts)
    listed = np.bincount(view.source_part, minlength=view.n_parts)
    out: dict[str, PartPrice] = {}
    for part in explode(programme.catalog, design):
        k = view.part_index[part]
        if ordered[k] > 0:
            out[part] = PartPrice(part, float(cost[k]), "sources (landed)")
        elif not np.isnan(view.reference_price_usd[k]):
            out[part] = PartPrice(part, float(cost[k]), "reference_price")
        elif listed[k] > 0:
            out[part] = PartPrice(part, float(cost[k]), "listed sources (none qualified yet)")
    return out


def design_gpus(catalog: Catalog, design: str) -> int:
    """GPUs in one rack of ``design`` [count] = Σ exploded quantity × GPUs per part."""
    total = 0
    for part_id, qty in explode(catalog, design).items():
        compute = catalog.parts[part_id].compute
        if compute is not None:
            total += qty * compute.gpus
    return total


def design_component_power_w(catalog: Catalog, design: str) -> float:
    """Sum of the maximum sustained power of every part in one rack [W] (converters count via losses)."""
    return sum(qty * catalog.parts[p].power_w for p, qty in explode(catalog, design).items())


def design_it_power_w(design: RackDesign, catalog: Catalog) -> float:
    """Average rack-input power at the design utilisation [W] (see :func:`rack_it_power_w`)."""
    chain = conversion_chain_efficiency(s.efficiency for s in design.power.conversion_chain)
    return rack_it_power_w(design_component_power_w(catalog, design.id), design.power.design_utilisation,
                           chain if chain > 0 else 1.0)


@dataclass(frozen=True)
class TcoBreakdown:
    """TCO of one rack of a design over ``years`` [USD], by component, and per GPU-hour."""

    design: str
    years: int
    gpus: int
    it_power_w: float
    pue: float
    electricity_usd_per_kwh: float
    hardware_usd: float
    integration_usd: float
    capital_usd: float
    capital_basis: str  # "bom" | "option-price"
    it_energy_usd: float
    overhead_energy_usd: float
    cooling_om_usd: float
    maintenance_usd: float
    total_usd: float
    gpu_hours: float
    usd_per_gpu_hour: float
    unpriced_parts: tuple[str, ...] = ()
    priced_from_reference: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def operating_usd(self) -> float:
        """Present value of all running costs [USD]."""
        return self.it_energy_usd + self.overhead_energy_usd + self.cooling_om_usd + self.maintenance_usd

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (all figures in the units their names give)."""
        data = asdict(self)
        data["operating_usd"] = self.operating_usd
        data["unpriced_parts"] = list(self.unpriced_parts)
        data["priced_from_reference"] = list(self.priced_from_reference)
        data["notes"] = list(self.notes)
        return data


def rack_tco(
    programme: Programme,
    design_id: str,
    assumptions: TcoAssumptions | None = None,
    *,
    capital_price_usd: float | None = None,
    it_power_w: float | None = None,
    prices: Mapping[str, PartPrice] | None = None,
) -> TcoBreakdown:
    """TCO of one rack of ``design_id`` in ``programme`` [USD].

    ``capital_price_usd`` replaces the bill-of-materials capital (e.g. an option's price per rack);
    ``it_power_w`` replaces the rack-input power computed from the parts (e.g. from the engineering
    analysis); ``prices`` replaces the unit prices derived from the programme's sources.
    """
    a = assumptions or tco_assumptions(programme)
    catalog = programme.catalog
    design = catalog.designs[design_id]
    quantities = explode(catalog, design_id)
    if prices is None:
        prices = design_prices(programme, design_id)
    unit = {p: pp.unit_price_usd for p, pp in prices.items()}
    hardware = bom_cost_usd(quantities, unit)
    unpriced = tuple(sorted(p for p in quantities if p not in prices))
    from_reference = tuple(sorted(p for p in quantities if p in prices and prices[p].origin == "reference_price"))
    integration = a.integration_usd_per_rack
    if capital_price_usd is not None:
        capital, basis, integration = capital_price_usd, "option-price", 0.0
    else:
        capital, basis = hardware + integration, "bom"
    pue = a.pue if a.pue is not None else programme.facility.pue
    price = a.electricity_usd_per_kwh if a.electricity_usd_per_kwh is not None \
        else programme.facility.electricity_usd_per_kwh
    power = it_power_w if it_power_w is not None else design_it_power_w(design, catalog)
    pv = present_value_factor(a.discount_rate, a.years)
    it_energy = annual_energy_cost_usd(power, price) * pv
    overhead = overhead_energy_cost_usd(it_energy, pue)
    cooling = a.cooling_om_usd_per_kw_year * power / 1000.0 * pv
    maintenance = a.maintenance_fraction_per_year * (capital - integration) * pv
    total = capital + it_energy + overhead + cooling + maintenance
    gpus = design_gpus(catalog, design_id)
    gpu_hours_pv = gpu_hours_per_year(gpus, a.availability) * pv
    notes = []
    if unpriced:
        notes.append(f"{len(unpriced)} part types have neither a source nor a reference price and count as 0 USD")
    return TcoBreakdown(
        design=design_id, years=a.years, gpus=gpus, it_power_w=power, pue=pue, electricity_usd_per_kwh=price,
        hardware_usd=hardware, integration_usd=integration, capital_usd=capital, capital_basis=basis,
        it_energy_usd=it_energy, overhead_energy_usd=overhead, cooling_om_usd=cooling,
        maintenance_usd=maintenance, total_usd=total, gpu_hours=gpu_hours_pv,
        usd_per_gpu_hour=total / gpu_hours_pv if gpu_hours_pv > 0 else math.nan,
        unpriced_parts=unpriced, priced_from_reference=from_reference, notes=tuple(notes),
    )


def tco_assumptions(programme: Programme) -> TcoAssumptions:
    """The programme's stated TCO assumptions (``evaluations.tco``), else the documented defaults."""
    evaluations = programme.evaluations
    stated = getattr(evaluations, "tco", None)
    return stated if isinstance(stated, TcoAssumptions) else DEFAULT_TCO_ASSUMPTIONS


def generations_tco(programme: Programme, assumptions: TcoAssumptions | None = None) -> list[TcoBreakdown]:
    """TCO of one rack of every design in the build plan, in plan order (generations side by side)."""
    return [rack_tco(programme, design.id, assumptions) for design in programme.planned_designs]
