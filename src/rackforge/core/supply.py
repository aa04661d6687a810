"""The supply view: which source may ship a part on a date, order shares, landed price, lead time.

Every analysis that asks "who supplies this part, at what price, how fast" asks this module, so the
answer is the same in the BOM, the domestic-content test, the stress test, the Monte Carlo, the
optimiser, the factory's material caps and the TCO. A :class:`SupplyView` is built once from a
programme (or from plain arrays) and then queried many times. Everything is a NumPy array aligned
either to *source rows* (``n_sources``) or to *part types* (``n_parts``, the order of
:attr:`SupplyView.part_ids`), so analyses and the optimiser work with vectors instead of loops.

May a source ship on a date (:func:`source_start_date`, :func:`may_ship_on`,
:meth:`SupplyView.may_ship_on`): never if disqualified; otherwise from the later of its
``qualified_date`` and its site's ``operational_from``. Under :attr:`SourceMode.QUALIFIED` only
sources whose state is ``qualified`` count; under :attr:`SourceMode.ALTERNATES` ``qualifying``
and ``planned`` sources count too, each from its expected date (the plan's expectation).

Cost of a source, per unit, at the integration site (FAR 25.003 "cost of components"):

    price_usd + freight_usd + duty_usd

- ``freight_usd``: the source's own ``freight_usd`` if given, else ``price × freight_rate`` of the
  trade lane from the site's country to the integration site's country;
- ``duty_usd``: ``price × duty_rate`` with the source's own ``duty_rate`` if given, else the lane's
  (ad valorem on the ex-works price, i.e. the customs transaction value without international
  freight);
- a source in the integration site's own country with no lane has no freight and no duty; a
  foreign source with no lane gets none either and is listed in :attr:`SupplyView.missing_lanes`.

Order shares (:func:`resolve_order_shares`): among the sources that may ship on a date, planned ``share`` values
are kept, sources without a share split what is left equally, and the result is normalised to
sum to 1 per part (so if an alternate holding 40% is not yet qualified, the qualified source
carries 100%). A part with no active source has all shares 0: its origin is *unknown*.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from rackforge.calendar import quarter_start
from rackforge.schema import Qualification

if TYPE_CHECKING:
    import scipy.sparse

    from rackforge.schema import BuildPlan, Programme, Site, Source

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

UNKNOWN_COUNTRY = "unknown"
"""Country label of the part of a part's supply that has no known source."""

_NEVER = np.iinfo(np.int64).max  # ordinal of "never qualifies"
ALWAYS_ORDINAL = np.iinfo(np.int64).min
"""``qualified_from`` of a source with no date restriction."""


_STATUS_CODE = {Qualification.QUALIFIED: 0, Qualification.QUALIFYING: 1, Qualification.PLANNED: 2,
                Qualification.DISQUALIFIED: 3}


class SourceMode(StrEnum):
    """Which sources count on a date."""

    QUALIFIED = "qualified"
    """Only sources whose state is ``qualified`` (and qualified and operating by the date)."""
    ALTERNATES = "alternates"
    """Also ``qualifying`` and ``planned`` alternates, each from its ``qualified_date``."""


@dataclass(frozen=True, eq=False)
class SupplyView:
    """Source rows and part types as aligned arrays (see module docstring for the cost rules).

    Arrays over source rows (length ``n_sources``): ``source_part`` (index into ``part_ids``),
    ``site``, ``supplier``, ``country`` (labels), ``price_usd``, ``freight_usd``, ``duty_usd``,
    ``lead_time_weeks``, ``transit_weeks``, ``capacity_per_quarter``, ``planned_share`` (NaN where
    not given), ``status`` (0 qualified, 1 qualifying, 2 planned, 3 disqualified),
    ``qualified_from`` (date ordinal from which the source may ship). Arrays over parts (length
    ``n_parts``): ``reference_price_usd`` (NaN where unknown).
    """

    part_ids: tuple[str, ...]
    destination_country: str
    source_part: IntArray
    site: npt.NDArray[np.str_]
    supplier: npt.NDArray[np.str_]
    country: npt.NDArray[np.str_]
    price_usd: FloatArray
    freight_usd: FloatArray
    duty_usd: FloatArray
    lead_time_weeks: FloatArray
    transit_weeks: FloatArray
    capacity_per_quarter: FloatArray
    planned_share: FloatArray
    status: IntArray
    qualified_from: IntArray
    reference_price_usd: FloatArray
    missing_lanes: tuple[tuple[str, str], ...] = ()
    share_overrides: tuple[tuple[int, float], ...] = ()
    """(source row, share): after resolution, that row carries exactly this share of its part on
    every date and the part's other sources are scaled to the rest (what-if moves)."""
    part_index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "part_index", {p: i for i, p in enumerate(self.part_ids)})
        n = len(self.source_part)
        for name in ("site", "supplier", "country", "price_usd", "freight_usd", "duty_usd", "lead_time_weeks",
                     "transit_weeks", "capacity_per_quarter", "planned_share", "status", "qualified_from"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} has {len(getattr(self, name))} rows, source_part has {n}")
        if len(self.reference_price_usd) != len(self.part_ids):
            raise ValueError("reference_price_usd must have one entry per part")
        if n and (self.source_part.min() < 0 or self.source_part.max() >= len(self.part_ids)):
            raise ValueError("source_part indexes outside part_ids")

    @property
    def n_parts(self) -> int:
        return len(self.part_ids)

    @property
    def n_sources(self) -> int:
        return len(self.source_part)

    # -- costs ---------------------------------------------------------------------------------
    def component_cost_usd(self, include_transport: bool = True, include_duty: bool = True) -> FloatArray:
        """Cost of one unit from each source at the integration site [USD]: price (+ freight) (+ duty)."""
        cost = self.price_usd.copy()
        if include_transport:
            cost += self.freight_usd
        if include_duty:
            cost += self.duty_usd
        return cost

    @property
    def landed_cost_usd(self) -> FloatArray:
        """Price + freight + duty per unit, per source row [USD]."""
        return self.component_cost_usd(True, True)

    def fallback_cost_usd(self, include_transport: bool = True, include_duty: bool = True) -> FloatArray:
        """Cost per unit of supply from no known source, per part [USD].

        The part's reference price when given, else the mean cost of its listed sources, else 0.
        Used to cost the unknown-origin part of a part's supply.
        """
        cost = self.component_cost_usd(include_transport, include_duty)
        counts = np.bincount(self.source_part, minlength=self.n_parts).astype(float)
        sums = np.bincount(self.source_part, weights=cost, minlength=self.n_parts)
        mean = np.divide(sums, counts, out=np.zeros(self.n_parts), where=counts > 0)
        return np.where(np.isnan(self.reference_price_usd), mean, self.reference_price_usd)

    # -- which sources count -----------------------------------------------------------------------
    def may_ship_on(self, when: dt.date, mode: SourceMode | str = SourceMode.QUALIFIED) -> BoolArray:
        """Sources that may ship on ``when`` under ``mode`` [bool per source row]."""
        mode = SourceMode(mode)
        dated: BoolArray = self.qualified_from <= when.toordinal()
        allowed: BoolArray = (self.status == 0) if mode is SourceMode.QUALIFIED else (self.status != 3)
        return allowed & dated

    def order_shares(self, when: dt.date, mode: SourceMode | str = SourceMode.QUALIFIED) -> FloatArray:
        """Each source's share of its part's supply on ``when`` [fraction per source row]."""
        share = resolve_order_shares(self.source_part, self.planned_share, self.may_ship_on(when, mode), self.n_parts)
        return apply_share_overrides(share, self.source_part, self.share_overrides)

    def order_shares_by_date(self, dates: Sequence[dt.date],
                             mode: SourceMode | str = SourceMode.QUALIFIED) -> FloatArray:
        """Shares on each of ``dates`` [fraction], shape (len(dates), n_sources)."""
        if not dates:
            return np.zeros((0, self.n_sources))
        return np.vstack([self.order_shares(d, mode) for d in dates])

    def part_unit_cost_usd(self, share: FloatArray, include_transport: bool = True,
                      include_duty: bool = True) -> FloatArray:
        """Share-weighted cost per unit of each part [USD], shape (..., n_parts).

        The unknown-origin remainder (1 − Σ shares) is costed at :meth:`fallback_cost_usd`.
        ``share`` is (n_sources,) or (k, n_sources).
        """
        cost = self.component_cost_usd(include_transport, include_duty)
        known = per_part_sum(self.source_part, share * cost, self.n_parts)
        unknown = 1.0 - per_part_sum(self.source_part, share, self.n_parts)
        return known + np.clip(unknown, 0.0, 1.0) * self.fallback_cost_usd(include_transport, include_duty)

    @property
    def source_lead_time_weeks(self) -> FloatArray:
        """Time from order to arrival at the integration site, per source row [weeks] = the source's
        lead time + the trade lane's transit time."""
        return self.lead_time_weeks + self.transit_weeks

    def part_lead_time_weeks(self, share: FloatArray) -> FloatArray:
        """Lead time of each part [weeks]: the order-share-weighted mean of its sources' lead times to the
        integration site; NaN for a part with no order share. ``share`` is (n_sources,)."""
        weighted = per_part_sum(self.source_part, share * self.source_lead_time_weeks, self.n_parts)
        total = per_part_sum(self.source_part, share, self.n_parts)
        lead: FloatArray = np.divide(weighted, total, out=np.full(self.n_parts, np.nan), where=total > 0)
        return lead

    def part_longest_lead_time_weeks(self, share: FloatArray, min_share: float = 1e-9) -> FloatArray:
        """Worst-case lead time of each part [weeks]: the longest lead time to the integration site
        among the sources holding more than ``min_share`` of its orders; NaN for a part with none.
        The lead time of a part's critical path (longest lead-time paths), where
        :meth:`part_lead_time_weeks` is the expected lead time of a unit ordered."""
        used = share > min_share
        out = np.full(self.n_parts, -np.inf)
        np.maximum.at(out, self.source_part[used], self.source_lead_time_weeks[used])
        return np.where(np.isfinite(out), out, np.nan)

    def with_sources(self, **changes: object) -> SupplyView:
        """A copy with some arrays replaced (for what-if analysis)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "part_index"}
        values.update(changes)
        return SupplyView(**values)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_programme(cls, programme: Programme, part_ids: Sequence[str] | None = None) -> SupplyView:
        """Resolve a programme's sources against its sites and trade lanes.

        ``part_ids`` fixes the part order (e.g. a :class:`~rackforge.core.bom.BomStructure`'s);
        default: every part of the catalog in catalog order. Sources of parts outside ``part_ids``
        are ignored.
        """
        catalog = programme.catalog
        parts = tuple(part_ids) if part_ids is not None else tuple(catalog.parts)
        index = {p: i for i, p in enumerate(parts)}
        destination = programme.integration_site.country
        lanes = {(lane.origin, lane.destination): lane for lane in programme.trade}
        rows = [s for s in programme.sources if s.part in index]
        n = len(rows)
        price = np.fromiter((s.price_usd for s in rows), float, n)
        site_objs = [catalog.sites[s.site] for s in rows]
        country = np.array([site.country for site in site_objs], dtype=str) if n else np.zeros(0, str)
        freight = np.empty(n)
        duty = np.empty(n)
        transit = np.empty(n)
        missing: set[tuple[str, str]] = set()
        for i, (src, site) in enumerate(zip(rows, site_objs, strict=True)):
            lane = lanes.get((site.country, destination))
            if lane is None and site.country != destination and (src.freight_usd is None or src.duty_rate is None):
                missing.add((site.country, destination))
            freight_rate = lane.freight_rate if lane else 0.0
            duty_rate = src.duty_rate if src.duty_rate is not None else (lane.duty_rate if lane else 0.0)
            freight[i] = src.freight_usd if src.freight_usd is not None else src.price_usd * freight_rate
            duty[i] = src.price_usd * duty_rate
            transit[i] = lane.transit_weeks if lane else 0.0
        qualified_from = np.empty(n, dtype=np.int64)
        for i, (src, site) in enumerate(zip(rows, site_objs, strict=True)):
            qualified_from[i] = _qualified_from(src.qualification, src.qualified_date, site.operational_from)
        return cls(
            part_ids=parts,
            destination_country=destination,
            source_part=np.fromiter((index[s.part] for s in rows), np.int64, n),
            site=np.array([s.site for s in rows], dtype=str) if n else np.zeros(0, str),
            supplier=np.array([site.supplier for site in site_objs], dtype=str) if n else np.zeros(0, str),
            country=country,
            price_usd=price,
            freight_usd=freight,
            duty_usd=duty,
            lead_time_weeks=np.fromiter((s.lead_time_weeks for s in rows), float, n),
            transit_weeks=transit,
            capacity_per_quarter=np.fromiter((s.capacity_per_quarter for s in rows), float, n),
            planned_share=np.fromiter((np.nan if s.share is None else s.share for s in rows), float, n),
            status=np.fromiter((_STATUS_CODE[s.qualification] for s in rows), np.int64, n),
            qualified_from=qualified_from,
            reference_price_usd=np.fromiter(
                (np.nan if catalog.parts[p].reference_price_usd is None else catalog.parts[p].reference_price_usd
                 for p in parts), float, len(parts)),
            missing_lanes=tuple(sorted(missing)),
        )


def source_start_date(qualification: Qualification, qualified_date: dt.date | None,
                      operational_from: dt.date | None) -> dt.date | None:
    """First day a source may ship [date]: the later of its qualification date and its site's first
    production (``dt.date.min`` when neither is given); None when it never ships (disqualified, or an
    alternate with no expected date). The state filter of a :class:`SourceMode` applies on top."""
    if qualification is Qualification.DISQUALIFIED:
        return None
    if qualification is not Qualification.QUALIFIED and qualified_date is None:
        return None
    dates = [d for d in (qualified_date, operational_from) if d is not None]
    return max(dates) if dates else dt.date.min


def may_ship_on(source: Source, site: Site, when: dt.date, mode: SourceMode | str = SourceMode.ALTERNATES) -> bool:
    """True if ``source`` (made at ``site``) may ship on ``when`` under ``mode`` (see module docstring)."""
    if SourceMode(mode) is SourceMode.QUALIFIED and source.qualification is not Qualification.QUALIFIED:
        return False
    start = source_start_date(source.qualification, source.qualified_date, site.operational_from)
    return start is not None and start <= when


def _qualified_from(state: Qualification, qualified_date: dt.date | None, operational_from: dt.date | None) -> int:
    """Date ordinal from which a source may ship (before the mode's state filter)."""
    start = source_start_date(state, qualified_date, operational_from)
    if start is None:
        return int(_NEVER)
    return int(ALWAYS_ORDINAL) if start == dt.date.min else start.toordinal()


def per_part_sum(source_part: IntArray, values: FloatArray, n_parts: int) -> FloatArray:
    """Sum ``values`` (…, n_sources) over the sources of each part -> (…, n_parts)."""
    if values.ndim == 1:
        summed_1d: FloatArray = np.bincount(source_part, weights=values, minlength=n_parts).astype(float)
        return summed_1d
    flat = values.reshape(-1, values.shape[-1])
    summed = np.asarray((incidence_matrix(source_part, n_parts).T @ flat.T).T)
    return summed.reshape(*values.shape[:-1], n_parts)


def incidence_matrix(source_part: IntArray, n_parts: int) -> scipy.sparse.csr_array:
    """Sparse (n_sources × n_parts) matrix with a 1 where a source row supplies a part.

    ``shares @ M`` sums any per-source quantity to its part; an optimiser's variables over source
    rows map to parts the same way.
    """
    import scipy.sparse  # imported here: scipy costs ~90 ms at start-up

    n = len(source_part)
    return scipy.sparse.csr_array((np.ones(n), (np.arange(n), source_part)), shape=(n, n_parts))


def resolve_order_shares(source_part: IntArray, planned_share: FloatArray, active: BoolArray,
                         n_parts: int) -> FloatArray:
    """Shares of each active source in its part's supply [fraction per source row].

    Planned shares (NaN = not given) of active sources are kept; active sources without one
    split ``max(0, 1 − Σ given)`` equally; the result is normalised to 1 per part. If every
    active source of a part has share 0, they split equally. Inactive sources get 0; a part
    with no active source gets 0 everywhere (unknown origin).
    """
    given = ~np.isnan(planned_share)
    act = active.astype(float)
    n_active = np.bincount(source_part, weights=act, minlength=n_parts)
    n_open = np.bincount(source_part, weights=act * ~given, minlength=n_parts)
    sum_given = np.bincount(source_part, weights=np.where(given & active, planned_share, 0.0), minlength=n_parts)
    remainder = np.maximum(0.0, 1.0 - sum_given)
    open_share = np.divide(remainder, n_open, out=np.zeros(n_parts), where=n_open > 0)
    raw = np.where(given, np.nan_to_num(planned_share), open_share[source_part]) * act
    total = np.bincount(source_part, weights=raw, minlength=n_parts)
    equal = np.divide(1.0, n_active, out=np.zeros(n_parts), where=n_active > 0)
    shares: FloatArray = np.where(total[source_part] > 0, raw / np.where(total > 0, total, 1.0)[source_part],
                                  equal[source_part] * act)
    return shares


def apply_share_overrides(share: FloatArray, source_part: IntArray,
                          overrides: Sequence[tuple[int, float]]) -> FloatArray:
    """Force source ``row`` to carry ``share`` of its part; scale the part's other rows to ``1 − share``.

    Works on (…, n_sources) arrays. If the other rows carry nothing, they stay at 0 and the rest
    (1 − share) is of unknown origin. Overrides apply in order.
    """
    if not overrides:
        return share
    out = np.array(share, dtype=float, copy=True)
    for row, target in overrides:
        others = np.flatnonzero(source_part == source_part[row])
        others = others[others != row]
        other_sum = out[..., others].sum(axis=-1, keepdims=True)
        scale = np.divide(1.0 - target, other_sum, out=np.zeros_like(other_sum), where=other_sum > 0)
        out[..., others] *= scale
        out[..., row] = target
    return out


def synthetic_supply_view(part_ids: Iterable[str], rows: Sequence[dict[str, object]],
                      destination_country: str = "US") -> SupplyView:
    """A network from plain dict rows (tests, notebooks): keys ``part``, ``country`` and optional
    ``site``, ``supplier``, ``price_usd``, ``freight_usd``, ``duty_usd``, ``lead_time_weeks``,
    ``transit_weeks``, ``capacity_per_quarter``, ``share``, ``status`` (0–3), ``qualified_from``
    (date)."""
    parts = tuple(part_ids)
    index = {p: i for i, p in enumerate(parts)}

    def col(key: str, default: object) -> FloatArray:
        return np.array([r.get(key, default) for r in rows], dtype=float)

    n = len(rows)
    return SupplyView(
        part_ids=parts,
        destination_country=destination_country,
        source_part=np.array([index[str(r["part"])] for r in rows], dtype=np.int64),
        site=np.array([str(r.get("site", f"site-{i}")) for i, r in enumerate(rows)], dtype=str),
        supplier=np.array([str(r.get("supplier", r.get("site", f"supplier-{i}"))) for i, r in enumerate(rows)],
                          dtype=str),
        country=np.array([str(r["country"]) for r in rows], dtype=str) if n else np.zeros(0, str),
        price_usd=col("price_usd", 1.0),
        freight_usd=col("freight_usd", 0.0),
        duty_usd=col("duty_usd", 0.0),
        lead_time_weeks=col("lead_time_weeks", 0.0),
        transit_weeks=col("transit_weeks", 0.0),
        capacity_per_quarter=col("capacity_per_quarter", np.inf),
        planned_share=np.array([np.nan if r.get("share") is None else r["share"] for r in rows], dtype=float),
        status=col("status", 0).astype(np.int64),
        qualified_from=np.array([ALWAYS_ORDINAL if r.get("qualified_from") is None
                                 else r["qualified_from"].toordinal()  # type: ignore[attr-defined]
                                 for r in rows], dtype=np.int64),
        reference_price_usd=np.full(len(parts), np.nan),
    )


# ---------------------------------------------------------------------------------------------
# views of a programme: the dates each figure is taken on, and the values built from them

_VIEWS: dict[int, tuple[Programme, SupplyView]] = {}


def supply_view(programme: Programme) -> SupplyView:
    """The supply view of a programme over every part of its catalog, in catalog order (kept for the
    last few programmes, since a programme is immutable)."""
    cached = _VIEWS.get(id(programme))
    if cached is not None and cached[0] is programme:
        return cached[1]
    view = SupplyView.from_programme(programme)
    _VIEWS[id(programme)] = (programme, view)
    while len(_VIEWS) > 8:
        _VIEWS.pop(next(iter(_VIEWS)))
    return view


def plan_view_date(build_plan: BuildPlan, mode: SourceMode | str) -> dt.date:
    """The date programme-wide figures are taken on [date]: the first day of the plan for the
    qualified view, the first day of its last quarter for the view with alternates."""
    quarters = build_plan.quarter_list
    return quarter_start(quarters[0] if SourceMode(mode) is SourceMode.QUALIFIED else quarters[-1])


def design_view_date(build_plan: BuildPlan, design: str, mode: SourceMode | str) -> dt.date:
    """The date a design's figures are taken on [date]: the first day of the design's first quarter
    with racks (qualified view) or of its last such quarter (view with alternates); a design with no
    racks in the plan (e.g. an evaluated early-access system) takes the plan's dates."""
    built = [q for q in build_plan.quarter_list if build_plan.quarters[q].get(design, 0) > 0]
    if not built:
        return plan_view_date(build_plan, mode)
    return quarter_start(built[0] if SourceMode(mode) is SourceMode.QUALIFIED else built[-1])


def part_unit_cost_on(programme: Programme, when: dt.date, mode: SourceMode | str = SourceMode.QUALIFIED
                      ) -> dict[str, float]:
    """Landed cost of one unit of every part on ``when`` [USD]: the order-share-weighted price +
    freight + duty of its sources, the unknown-origin rest at the part's reference price (else the
    mean of its sources); see :meth:`SupplyView.part_unit_cost_usd`."""
    view = supply_view(programme)
    cost = view.part_unit_cost_usd(view.order_shares(when, mode))
    return dict(zip(view.part_ids, cost.tolist(), strict=True))


def rack_component_cost_usd(programme: Programme, design: str, mode: SourceMode | str = SourceMode.QUALIFIED
                            ) -> float:
    """Component cost of one rack of ``design`` at the integration site [USD]: Σ exploded quantity ×
    landed unit cost in the design's own view (:func:`design_view_date`). The value of a rack in
    the BOM, the stress test, the Monte Carlo, the safety stock and the TCO."""
    from rackforge.core.bom import explode

    unit = part_unit_cost_on(programme, design_view_date(programme.build_plan, design, mode), mode)
    return float(sum(qty * unit[part] for part, qty in explode(programme.catalog, design).items()))
