"""``rackforge optimize``: least-cost sourcing plan under domestic-content and diversification targets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rackforge.cli.common import console, echo_json, json_option, load, path_argument

if TYPE_CHECKING:
    from rackforge.optimize import OptimizeResult, SourcingTargets
    from rackforge.optimize.sweep import SweepResult
    from rackforge.schema import Programme


def _fraction(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        from rackforge.errors import UsageError

        raise UsageError(f"--{(param.name or '').replace('_', '-')} is a share between 0 and 1 "
                         f"(0.75 for 75%), got {value:g}")
    return value


def _fraction_list(text: str | None) -> list[float] | None:
    if text is None:
        return None
    from rackforge.errors import UsageError

    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise UsageError(f"--targets takes shares separated by commas, e.g. 0.4,0.5,0.6; got {text!r}") from exc
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise UsageError(f"--targets takes shares between 0 and 1 separated by commas; got {text!r}")
    return values


def _targets(programme: Programme, domestic_target: float | None, from_year: int | None, categories: str | None,
             country_cap: float | None, cap_scope: str, critical_share: float | None,
             rule_id: str | None) -> SourcingTargets:
    """The targets the options ask for; default domestic target: the programme rule's threshold per year."""
    from rackforge.calendar import quarter_start
    from rackforge.errors import UsageError, did_you_mean, valid_list
    from rackforge.optimize import SourcingTargets
    from rackforge.optimize.data import EXCEEDS_MARGIN
    from rackforge.schema import Category
    from rackforge.schema.rules import builtin_rules, programme_rule

    years = sorted({quarter_start(q).year for q in programme.build_plan.quarter_list})
    if from_year is not None and from_year not in years:
        raise UsageError(f"--from-year {from_year} is not a year of the build plan; valid: "
                         f"{', '.join(map(str, years))}")
    chosen = [y for y in years if from_year is None or y >= from_year]
    cats: tuple[str, ...] | None = None
    if categories:
        valid = [c.value for c in Category]
        cats = tuple(c.strip() for c in categories.split(",") if c.strip())
        for c in cats:
            if c not in valid:
                raise UsageError(f"--categories: no category {c!r}{did_you_mean(c, valid)}; {valid_list(valid)}")
    if rule_id is not None:
        rules = builtin_rules()
        if rule_id not in rules:
            raise UsageError(f"no built-in rule {rule_id!r}{did_you_mean(rule_id, rules)}; {valid_list(rules)}")
        rule = rules[rule_id]
    else:
        rule = programme_rule(programme.rules)
    common: dict[str, Any] = {"domestic_categories": cats, "country_cap": country_cap, "cap_scope": cap_scope,
                              "critical_max_source_share": critical_share}
    if domestic_target is None:
        return SourcingTargets.from_rule(rule, chosen, **common)
    margin = EXCEEDS_MARGIN if rule.comparison == "exceeds" else 0.0
    return SourcingTargets(domestic_content={y: domestic_target for y in chosen}, domestic_margin=margin, **common)


@click.command()
@path_argument
@json_option
@click.option("--domestic-target", type=float, callback=_fraction, metavar="SHARE",
              help="Least domestic share of component cost per design and year, e.g. 0.75 "
              "(default: the programme rule's threshold, FAR 25.101: 65% through 2028).")
@click.option("--from-year", type=int, metavar="YEAR", help="Hold only this year and later to the target.")
@click.option("--categories", metavar="LIST",
              help="Hold only these part categories to the target, e.g. cooling,power,cabling,networking.")
@click.option("--rule", "rule_id", metavar="ID", help="Use this built-in domestic-content rule's thresholds "
              "and definitions instead of the programme's.")
@click.option("--country-cap", type=float, callback=_fraction, metavar="SHARE",
              help="Largest share any one country may have, e.g. 0.7.")
@click.option("--cap-scope", type=click.Choice(["part", "category"]), default="part", show_default=True,
              help="Cap each part's units, or each category's landed cost.")
@click.option("--critical-share", type=float, callback=_fraction, default=0.9, show_default=True, metavar="SHARE",
              help="Most one source may supply of a critical part per year (two-source rule); 1 turns it off.")
@click.option("--stock", type=click.Choice(["source", "pooled"]), default="source", show_default=True,
              help="Track stock per source (exact) or per part (smaller model for large programmes).")
@click.option("--gap", type=float, default=1e-3, show_default=True, help="Relative MIP gap to stop at.")
@click.option("--time-limit", type=float, default=120.0, show_default=True, metavar="SECONDS",
              help="Stop the solver after this long.")
@click.option("--sweep", is_flag=True, help="Sweep the domestic-content target (40%→90%) and the country cap: "
              "the cost of resilience curve.")
@click.option("--targets", "sweep_targets", metavar="LIST", help="--sweep: targets to try, e.g. 0.4,0.5,0.6.")
@click.option("--caps", "sweep_caps", metavar="LIST", help="--sweep: country caps to try besides none, e.g. 0.8,0.6.")
@click.option("--scenarios", type=click.IntRange(0, 10_000_000), default=2000, show_default=True,
              help="--sweep: Monte Carlo scenarios for the expected shortfall (0: none).")
@click.option("--seed", type=int, default=0, show_default=True, help="--sweep: Monte Carlo seed.")
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
              help="--sweep: write the curve to FILE (.csv, else JSON), atomically.")
def optimize(path: Path | None, as_json: bool, domestic_target: float | None, from_year: int | None,
             categories: str | None, rule_id: str | None, country_cap: float | None, cap_scope: str,
             critical_share: float, stock: str, gap: float, time_limit: float, sweep: bool,
             sweep_targets: str | None, sweep_caps: str | None, scenarios: int, seed: int,
             output: Path | None) -> None:
    """Least-cost sourcing plan under domestic-content and diversification targets.

    Chooses, per part, site and quarter, the units to buy so the build plan is met at least landed
    cost (price + freight + duty), within site capacities, minimum orders, the opening cost and lead
    time of planned sources, the domestic-content target, a country cap and the two-source rule for
    critical parts. Prints the plan, its cost, the domestic content reached (computed by the sourcing
    module) and what relaxing each binding constraint is worth. When no plan meets the targets it says
    which targets conflict and by how much (exit status 1). --sweep draws the cost of resilience.
    """
    from rackforge.errors import ChecksFailed, UsageError
    from rackforge.optimize import build_input, optimise
    from rackforge.optimize.highs import SolveOptions

    if (sweep_targets or sweep_caps or output) and not sweep:
        raise UsageError("--targets, --caps and -o/--output go with --sweep")
    if not 0.0 <= gap < 1.0 or time_limit <= 0:
        raise UsageError("--gap is a share in [0, 1) and --time-limit a positive number of seconds")
    programme = load(path)
    targets = _targets(programme, domestic_target, from_year, categories, country_cap, cap_scope,
                       None if critical_share >= 1.0 else critical_share, rule_id)
    rule = None
    if rule_id is not None:
        from rackforge.schema.rules import builtin_rules

        rule = builtin_rules()[rule_id]
    data = build_input(programme, rule=rule)
    options = SolveOptions(mip_rel_gap=gap, time_limit_s=time_limit)
    if sweep:
        _run_sweep(programme, data, targets, options, stock, as_json, sweep_targets, sweep_caps, scenarios, seed,
                   output, from_year)
        return
    result = optimise(data, targets, options, stock=stock)
    if as_json:
        echo_json(result.to_dict())
    else:
        _print_result(result)
    if result.plan is None:
        raise ChecksFailed("no sourcing plan meets the targets" + (" (explained in the JSON above)" if as_json
                                                                    else " (see above)"))


def _run_sweep(programme: Programme, data: Any, targets: SourcingTargets, options: Any, stock: str, as_json: bool,
               sweep_targets: str | None, sweep_caps: str | None, scenarios: int, seed: int, output: Path | None,
               from_year: int | None) -> None:
    from rackforge.optimize.sweep import sweep, write_sweep

    caps: list[float | None] = [None, *(_fraction_list(sweep_caps) or [])]
    years = None if from_year is None else [int(y) for y in data.years if y >= from_year]
    result = sweep(data, targets, domestic_targets=_fraction_list(sweep_targets), country_caps=caps,
                   programme=programme, shortfall_scenarios=scenarios, seed=seed, options=options, stock=stock,
                   years=years)
    if output is not None:
        write_sweep(result, output)
        click.echo(f"wrote {output}", err=True)
    if as_json:
        echo_json(result.to_dict())
    else:
        _print_sweep(result)


# ----- terminal output --------------------------------------------------------------------------

def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.0f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_result(result: OptimizeResult) -> None:
    from rich.table import Table

    out = console()
    if result.plan is None:
        out.print(f"[bold red]{result.status}[/]: no sourcing plan meets the targets")
        if result.explanation is not None:
            exp = result.explanation
            for family in exp.impossible_alone:
                out.print(f"  - {family} cannot be met even on its own")
            for line in exp.conflicts:
                out.print(f"  - {line}")
            if exp.integrality:
                out.print("  - only minimum order quantities or whole-source opening decisions stand in the way")
            table = Table(title="Least-violating plan: targets missed")
            for col in ("target", "miss"):
                table.add_column(col)
            for v in exp.violations[:25]:
                table.add_row(v.family, v.message)
            out.print(table)
            if len(exp.violations) > 25:
                out.print(f"… and {len(exp.violations) - 25} more (see --json)")
        return
    gap = f" (gap {result.mip_gap:.3%})" if result.mip_gap else ""
    out.print(f"[bold]{result.status}[/]{gap}: total cost {_usd(result.objective_usd)}")
    costs = Table(title="Cost")
    costs.add_column("kind")
    costs.add_column("USD", justify="right")
    for kind, value in result.cost_breakdown().items():
        costs.add_row(kind, _usd(value))
    out.print(costs)
    opened = result.opened_sources()
    if opened:
        t = Table(title="Sources opened")
        for col in ("part", "site", "country", "open cost", "ready", "first quarter shipping"):
            t.add_column(col)
        for o in opened:
            t.add_row(o["part"], o["site"], o["country"], _usd(o["open_cost_usd"]), str(o["ready"] or "-"),
                      o["first_quarter_shipping"] or "-")
        out.print(t)
    dc = Table(title="Domestic content reached (sourcing module's rule)")
    for col in ("design", "year", "domestic share", "target"):
        dc.add_column(col)
    for row in result.domestic_content():
        dc.add_row(row["design"], str(row["year"]), _pct(row["domestic_share"]), _pct(row["target"]))
    out.print(dc)
    alloc = result.allocation_table()
    by_site = alloc.groupby(["part", "site", "country"], as_index=False).agg(
        units=("quantity_units", "sum"), spend_usd=("spend_usd", "sum")).sort_values("spend_usd", ascending=False)
    at = Table(title=f"Allocation by part and site (top 20 of {len(by_site)}; quarters in --json)")
    for col in ("part", "site", "country", "units", "spend"):
        at.add_column(col, justify="right" if col in ("units", "spend") else "left")
    for r in by_site.head(20).to_dict("records"):
        at.add_row(r["part"], r["site"], r["country"], f"{r['units']:,.0f}", _usd(r["spend_usd"]))
    out.print(at)
    if result.binding:
        out.print("[bold]What relaxing each binding constraint is worth[/] (first-order, from the duals):")
        for b in result.binding[:12]:
            out.print(f"  - {b.message}")
    for note in result.data.notes:
        out.print(f"[yellow]note[/]: {note}")


def _print_sweep(result: SweepResult) -> None:
    from rich.table import Table

    out = console()
    out.print(f"least cost with no target and no cap: {_usd(result.base_cost_usd)}; highest domestic-content "
              f"target any plan meets: {_pct(result.max_achievable_target)}")
    table = Table(title="Cost of resilience")
    for col in ("target", "cap", "status", "cost", "extra cost", "lowest share", "overall share", "opened",
                "expected shortfall"):
        table.add_column(col, justify="right")
    for p in result.points:
        table.add_row(_pct(p.target), _pct(p.country_cap) if p.country_cap is not None else "none", p.status,
                      _usd(p.cost_usd), _usd(p.extra_cost_usd), _pct(p.domestic_share_min),
                      _pct(p.domestic_share_overall), "-" if p.sources_opened is None else str(p.sources_opened),
                      _usd(p.expected_value_short_usd))
    out.print(table)
    out.print(f"knee of cost vs domestic content: {_pct(result.knee_target)}; "
              f"knee of cost vs expected shortfall: {_pct(result.knee_shortfall_target)}")
    for note in result.notes:
        out.print(f"[yellow]note[/]: {note}")
