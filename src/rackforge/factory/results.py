"""Simulate a programme's factory and summarise the replications (means and confidence intervals)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge.factory.releases import LinePlan, build_line_plan
from rackforge.factory.sim import HOURS_PER_WEEK, mean_ci, run_replications

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme

CI_LEVEL = 0.95


def plan_met(summary: dict[str, Any], plan: LinePlan, tolerance: float) -> bool:
    """True when, for every design and checkpoint, cumulative shipments reach the cumulative plan.

    The target at each quarter's checkpoint (its end plus the grace period) is the racks released
    for that quarter and all before it, less ``tolerance`` of it (rounded down).
    """
    for design, targets in plan.targets.items():
        shipped = summary["designs"].get(design, {}).get("shipped_by_checkpoint", [])
        for got, want in zip(shipped, targets, strict=False):
            if got < math.floor((1.0 - tolerance) * want + 1e-9):
                return False
    return True


def material_limit(plan: LinePlan) -> dict[str, Any]:
    """What material allows against the build plan: racks planned, racks released (material-capped), the
    racks short and the quarter-design releases cut. ``plan_met_share`` is measured against the released
    racks, so a headline that states it states this too."""
    planned = sum(r.planned for r in plan.releases)
    released = sum(r.released for r in plan.releases)
    cut = [{"quarter": r.quarter, "design": r.design, "planned_racks": r.planned, "released_racks": r.released,
            "limiting_part": r.limiting_part} for r in plan.releases if r.released < r.planned]
    return {"planned_racks": planned, "released_racks": released, "short_racks": planned - released,
            "limited": released < planned, "releases_cut": cut}


def _stat(values: list[float]) -> tuple[float, float]:
    return mean_ci(values, CI_LEVEL)


@dataclass(frozen=True)
class FactoryResult:
    """Means over replications with the half-widths of their 95% confidence intervals."""

    replications: int
    seed: int
    window: dict[str, Any]
    designs: dict[str, dict[str, Any]]
    stations: dict[str, dict[str, Any]]
    bottleneck: str
    wip_mean: float
    wip_mean_ci95: float
    little_law_gap_max: float
    balance: dict[str, float]
    failures: list[dict[str, Any]]
    plan_met_share: float
    notes: tuple[str, ...] = ()
    weekly_shipped: dict[str, list[float]] = field(default_factory=dict)
    material: dict[str, Any] = field(default_factory=dict)
    """:func:`material_limit` of the plan: racks planned and released; ``plan_met_share`` counts the released."""

    @property
    def material_limited(self) -> bool:
        """Whether material allows fewer racks than the build plan holds."""
        return bool(self.material.get("limited", False))

    def headline(self, target: float) -> str:
        """The verdict in one line, the material limit first when there is one (the notes say the same)."""
        met = f"met in {self.plan_met_share:.0%} of replications (target {target:.0%})"
        if not self.material_limited:
            return f"Build plan {met}"
        m = self.material
        return (f"Material allows {m['released_racks']:,} of the {m['planned_racks']:,} racks in the build plan "
                f"({m['short_racks']:,} short); the line ships the {m['released_racks']:,} released on time: {met}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (NaN becomes null)."""
        def clean(value: Any) -> Any:
            if isinstance(value, float):
                return None if math.isnan(value) else round(value, 6)
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list | tuple):
                return [clean(v) for v in value]
            return value

        return clean({
            "replications": self.replications, "seed": self.seed, "window": self.window,
            "designs": self.designs, "stations": self.stations, "bottleneck": self.bottleneck,
            "wip_mean": self.wip_mean, "wip_mean_ci95": self.wip_mean_ci95,
            "little_law_gap_max": self.little_law_gap_max, "balance": self.balance,
            "plan_met_share": self.plan_met_share, "failures": self.failures, "notes": list(self.notes),
            "weekly_shipped": self.weekly_shipped, "material_limit": self.material,
        })

    def designs_frame(self) -> pd.DataFrame:
        """One row per design (units in column names)."""
        import pandas as pd

        return pd.DataFrame([{"design": d, **{k: v for k, v in row.items() if not isinstance(v, list)}}
                             for d, row in self.designs.items()]).set_index("design")

    def stations_frame(self) -> pd.DataFrame:
        """One row per station kind."""
        import pandas as pd

        return pd.DataFrame([{"station": s, **row} for s, row in self.stations.items()]).set_index("station")


def aggregate(plan: LinePlan, summaries: list[dict[str, Any]], seed: int, tolerance: float) -> FactoryResult:
    """Combine replication summaries into a :class:`FactoryResult`."""
    spec = plan.spec
    designs: dict[str, dict[str, Any]] = {}
    window_weeks = (spec.window_end_h - spec.window_start_h) / HOURS_PER_WEEK
    for design in spec.designs:
        rows = [s["designs"][design] for s in summaries]
        out: dict[str, Any] = {}
        for key in ("racks_per_week", "cycle_time_h", "cycle_time_p90_h", "reworks_per_rack",
                    "first_pass_rack_share", "escape_rate"):
            mean, half = _stat([r[key] for r in rows])
            out[key] = mean
            out[f"{key}_ci95"] = half
        released_in_window = sum(
            p.racks * max(0.0, min(p.end_h, spec.window_end_h) - max(p.start_h, spec.window_start_h))
            / (p.end_h - p.start_h) for p in spec.releases if p.design == design and p.end_h > p.start_h)
        out["planned_racks_per_week"] = released_in_window / window_weeks if window_weeks > 0 else math.nan
        out["planned_racks"] = plan.planned(design)
        for key in ("released", "shipped", "scrapped", "in_process"):
            out[key] = sum(r[key] for r in rows) / len(rows)
        designs[design] = out
    stations: dict[str, dict[str, Any]] = {}
    for station in spec.stations:
        rows = [s["stations"][station.id] for s in summaries]
        util, util_half = _stat([r["utilisation"] for r in rows])
        stations[station.id] = {
            "kind": station.kind, "count": station.count, "utilisation": util, "utilisation_ci95": util_half,
            "mean_wait_h": sum(r["mean_wait_h"] for r in rows) / len(rows),
            "mean_racks_present": sum(r["mean_racks_present"] for r in rows) / len(rows),
        }
    bottleneck = max(stations, key=lambda s: (stations[s]["utilisation"], stations[s]["mean_wait_h"]))
    wip, wip_half = _stat([s["wip_mean"] for s in summaries])
    n = len(summaries)
    balance = {k: sum(s[k] for s in summaries) / n for k in ("racks_started", "racks_shipped", "racks_scrapped",
                                                               "wip_end")}
    failures: dict[tuple[str, str, str, str], list[float]] = {}
    for s in summaries:
        for f in s["failures"]:
            fkey = (f["design"], f["step"], f["mode"], f["category"])
            acc = failures.setdefault(fkey, [0.0, 0.0])
            acc[0] += f["failures"] / n
            acc[1] += f["escapes"] / n
    failure_rows = sorted(
        ({"design": k[0], "step": k[1], "mode": k[2], "category": k[3], "failures": v[0], "escapes": v[1]}
         for k, v in failures.items() if v[0] > 0 or v[1] > 0),
        key=lambda r: -float(r["failures"]))  # type: ignore[arg-type]
    weekly = {}
    for design in spec.designs:
        series = [s["designs"][design]["weekly_shipped"] for s in summaries]
        length = max(len(x) for x in series)
        weekly[design] = [sum(x[i] for x in series if i < len(x)) / n for i in range(length)]
    met = sum(plan_met(s, plan, tolerance) for s in summaries) / n
    return FactoryResult(
        replications=n, seed=seed,
        window={"start": (plan.t0 + _delta(spec.window_start_h)).isoformat(),
                "end": (plan.t0 + _delta(spec.window_end_h)).isoformat(), "weeks": window_weeks,
                "time_zero": plan.t0.isoformat()},
        designs=designs, stations=stations, bottleneck=bottleneck, wip_mean=wip, wip_mean_ci95=wip_half,
        little_law_gap_max=max(s["little_law_gap"] for s in summaries), balance=balance,
        failures=failure_rows, plan_met_share=met, notes=plan.notes, weekly_shipped=weekly,
        material=material_limit(plan),
    )


def _delta(hours: float) -> Any:
    import datetime as dt

    return dt.timedelta(hours=hours)


def simulate_factory(programme: Programme, *, replications: int | None = None, seed: int | None = None,
                     workers: int | None = None, weeks: float | None = None, warmup_weeks: float | None = None,
                     counts: dict[str, int] | None = None, release: str | None = None) -> FactoryResult:
    """Simulate the programme's integration-and-test line over its build plan.

    Defaults for replications, seed and warm-up come from the factory's ``simulation`` settings.
    """
    from rackforge.factory.releases import require_factory

    factory = require_factory(programme)
    plan = build_line_plan(programme, factory, weeks=weeks, warmup_weeks=warmup_weeks, counts=counts,
                           release=release)
    reps = replications or factory.simulation.replications
    seed = factory.simulation.seed if seed is None else seed
    summaries = run_replications(plan.spec, reps, seed, workers)
    return aggregate(plan, summaries, seed, factory.targets.plan_tolerance)
