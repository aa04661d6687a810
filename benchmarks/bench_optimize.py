"""Benchmark of the sourcing optimiser: 2,000 parts × 5 sources × 12 quarters with binary opening decisions.

Measures, separately: reading the problem from the programme, building the model (rackforge's
vectorised define_* layer, up to the arrays handed to HiGHS), passing it to HiGHS and solving it to a
0.1 % gap (2 threads), and building the same model through linopy (a general-purpose Python modelling
layer) up to its highspy model, for comparison. A small instance is solved both ways first to show
the two builds are the same model (equal optimum).

Run:  PYTHONPATH=src python benchmarks/bench_optimize.py [--parts 2000] [--time-limit 120]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

from rackforge.optimize import OptimizeInput, SourcingTargets, build_input
from rackforge.optimize.highs import SolveOptions, solve, to_highs
from rackforge.optimize.model import build_model, last_quarter_of_year, part_holding_cost_usd
from rackforge.optimize.synthetic import synthetic_programme

TARGETS = SourcingTargets(domestic_content=0.3, critical_max_source_share=0.9)
"""Benchmark targets: 30 % domestic content in every design and year (only reachable by opening US
lines) and the two-source rule for critical parts."""

TARGETS_WITH_CAP = SourcingTargets(domestic_content=0.3, country_cap=0.7, critical_max_source_share=0.9)
"""The same with a 70 % cap on any one country's share of each part (25,000 more rows)."""

def linopy_model(data: OptimizeInput, targets: SourcingTargets) -> Any:
    """The pooled-stock sourcing MIP written idiomatically in linopy (xarray coordinates, groupby)."""
    import linopy
    import pandas as pd
    import xarray as xr

    m = linopy.Model()
    n_s, n_y = data.n_sources, len(data.years)
    src = pd.RangeIndex(n_s, name="source")
    qtr = pd.Index(data.quarters, name="quarter")
    part = pd.Index(data.part_ids, name="part")
    year = pd.Index(data.years, name="year")
    demand = xr.DataArray(data.demand, coords=[part, qtr])
    remaining = np.cumsum(data.demand[:, ::-1], axis=1)[:, ::-1][data.source_part]
    upper = np.minimum(data.buy_upper_units, np.maximum(remaining, data.moq_units[:, None]))
    upper = xr.DataArray(upper, coords=[src, qtr])
    part_of = xr.DataArray(data.part_ids[data.source_part], coords=[src], name="part")
    last = last_quarter_of_year(data)

    buy = m.add_variables(lower=0, upper=upper, name="buy")
    stock = m.add_variables(lower=0, coords=[part, qtr], name="stock")
    carry = m.add_variables(lower=0, coords=[src, year], name="carry")
    openable = pd.Index(np.flatnonzero(data.needs_open), name="source")
    opened = m.add_variables(binary=True, coords=[openable], name="open")

    inflow = buy.groupby(part_of).sum()
    m.add_constraints(stock - stock.shift(quarter=1).fillna(0) - inflow == -demand, name="balance")
    stock_end = stock.isel(quarter=last).rename(quarter="year").assign_coords(year=year)
    m.add_constraints(stock_end - carry.groupby(part_of).sum() == 0, name="carry_total")
    buy_last = buy.isel(quarter=last).rename(quarter="year").assign_coords(year=year)
    m.add_constraints(carry - buy_last <= 0, name="carry_from_last_quarter")
    m.add_constraints(buy.sel(source=openable) - upper.sel(source=openable) * opened <= 0, name="opening",
                      mask=upper.sel(source=openable) > 0)

    year_of = xr.DataArray(data.quarter_year, coords=[qtr], name="year")
    use = buy.groupby(year_of).sum() + carry.shift(year=1).fillna(0) - carry  # U[source, year]
    dem_y = xr.DataArray(data.demand_per_year, coords=[part, year])
    tau = np.array([targets.domestic_target(int(y)) or 0.0 for y in data.years])
    coef = xr.DataArray(data.content_cost_usd[:, None] * (data.source_domestic[:, None] - tau[None, :]),
                        coords=[src, year])
    excess = m.add_variables(coords=[part, year], name="domestic_excess")
    m.add_constraints(excess - (coef * use).groupby(part_of).sum() == 0, name="domestic_excess_def")
    weight = np.divide(data.parts_per_rack[:, :, None], data.demand_per_year[None, :, :],
                       out=np.zeros((len(data.design_ids), data.n_parts, n_y)),
                       where=data.demand_per_year[None, :, :] > 0)
    weight = xr.DataArray(weight, coords=[pd.Index(data.design_ids, name="design"), part, year])
    racks = xr.DataArray(data.racks_per_year, coords=[weight.coords["design"], year])
    m.add_constraints((weight * excess).sum("part") >= 0, name="domestic_content", mask=racks > 0)

    if targets.country_cap is not None:
        key = xr.DataArray(np.char.add(np.char.add(data.part_ids[data.source_part], "|"), data.source_country),
                           coords=[src], name="part_country")
        by_country = use.groupby(key).sum()
        keys = by_country.coords["part_country"].values
        part_of_key = np.array([k.split("|")[0] for k in keys])
        cap_rhs = targets.country_cap * dem_y.sel(part=xr.DataArray(part_of_key, coords=[by_country.coords[
            "part_country"]]))
        m.add_constraints(by_country <= cap_rhs, name="country_cap_part", mask=cap_rhs > 0)
    share = targets.critical_max_source_share
    if share is not None and data.part_critical.any():
        crit = pd.Index(np.flatnonzero(data.part_critical[data.source_part]), name="source")
        rhs = share * dem_y.sel(part=part_of.sel(source=crit))
        m.add_constraints(use.sel(source=crit) <= rhs, name="critical_share", mask=rhs > 0)

    landed = xr.DataArray(data.landed_cost_usd, coords=[src])
    holding = xr.DataArray(part_holding_cost_usd(data), coords=[part])
    open_cost = xr.DataArray(data.open_cost_usd[openable.values], coords=[openable])
    m.add_objective((landed * buy).sum() + (holding * stock).sum() + (open_cost * opened).sum())
    return m


def run(parts: int, time_limit: float, seed: int) -> dict[str, Any]:
    from rackforge.optimize.highs import run as run_highs

    out: dict[str, Any] = {"parts": parts, "sources_per_part": 5, "quarters": 12, "seed": seed}

    # the two builds are one model: same optimum on a small instance
    small = build_input(synthetic_programme(40, 5, 12, seed=seed, planned_per_part=1, moq_fraction=0.0))
    ours = solve(build_model(small, TARGETS_WITH_CAP, stock="pooled"), SolveOptions(mip_rel_gap=0.0))
    theirs = linopy_model(small, TARGETS_WITH_CAP)
    theirs.solve(solver_name="highs", mip_rel_gap=0.0, output_flag=False)
    out["check_40_parts_same_optimum_usd"] = {"rackforge": ours.objective, "linopy": float(theirs.objective.value)}

    t0 = time.perf_counter()
    programme = synthetic_programme(parts, 5, 12, seed=seed, planned_per_part=1, moq_fraction=0.0)
    t1 = time.perf_counter()
    data = build_input(programme)
    t2 = time.perf_counter()
    out.update({"generate_programme_s": t1 - t0, "read_problem_s": t2 - t1})
    options = SolveOptions(mip_rel_gap=1e-3, time_limit_s=time_limit, presolve="off")
    for name, targets in (("targets", TARGETS), ("targets_and_country_cap", TARGETS_WITH_CAP)):
        t3 = time.perf_counter()
        model = build_model(data, targets, stock="pooled")
        t4 = time.perf_counter()
        h = to_highs(model, options)
        t5 = time.perf_counter()
        raw = run_highs(h, is_mip=True)
        t6 = time.perf_counter()
        build = (t4 - t3) + (t5 - t4)
        out[name] = {
            "build_model_s": t4 - t3, "pass_to_highs_s": t5 - t4, "solve_s": t6 - t5, "status": raw.status,
            "mip_gap": raw.mip_gap, "objective_usd": raw.objective, "build_share_of_total": build / (t6 - t3),
            "columns": model.n_cols, "rows": model.n_rows, "nonzeros": int(model.matrix().nnz),
            "binaries": int(model.variables["open"].size),
        }
        t7 = time.perf_counter()
        lin = linopy_model(data, targets)
        t8 = time.perf_counter()
        lin.to_highspy()
        t9 = time.perf_counter()
        out[name].update({"linopy_build_model_s": t8 - t7, "linopy_to_highspy_s": t9 - t8,
                          "linopy_columns": int(lin.nvars), "linopy_rows": int(lin.ncons)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=2000)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.parts, args.time_limit, args.seed), indent=2))


if __name__ == "__main__":
    main()
