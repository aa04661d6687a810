"""``rackforge optimize``: least-cost sourcing plan under domestic-content and diversification targets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from rackforge.cli.cluster_option import cluster_option
from rackforge.cli.common import FiniteFloat, console, echo_json, esc, json_option, load, path_argument, seed_option
from rackforge.optimize.highs import SolveOptions
from rackforge.optimize.policy import RULE_THRESHOLDS, SWEEP_SHORTFALL_SCENARIOS, SourcingPolicy

if TYPE_CHECKING:
    from rackforge.answers import CommandAnswer
    from rackforge.optimize import OptimizeResult
    from rackforge.optimize.policy import CostOfResilience, PolicyOutcome
    from rackforge.optimize.relaxations import Relaxation

POLICY = SourcingPolicy()
"""The optimiser's default policy (the options' defaults come from it)."""

SOLVE = SolveOptions()
"""The solver's default options."""


def _fraction(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        from rackforge.errors import UsageError

        raise UsageError(f"--{(param.name or '').replace('_', '-')} is a share between 0 and 1 "
                         f"(0.75 for 75%), got {value:g}")
    return value


def _domestic_target(ctx: click.Context, param: click.Parameter,
                     value: str | None) -> float | Literal["rule"] | None:
    """The policy's default when not given; ``rule`` (the rule's threshold each year), ``none`` (no
    target) or a share."""
    if value is None:
        return POLICY.domestic_target
    if value.strip().lower() == RULE_THRESHOLDS:
        return RULE_THRESHOLDS
    if value.strip().lower() == "none":
        return None
    try:
        share = float(value)
    except ValueError:
        from rackforge.errors import UsageError

        raise UsageError(f"--domestic-target is a share between 0 and 1 (0.75 for 75%), 'rule' or 'none'; "
                         f"got {value!r}") from None
    return _fraction(ctx, param, share)


def _fraction_list(text: str | None, option: str) -> list[float] | None:
    """``text``'s comma-separated shares [fraction 0-1], or None when not given; a UsageError naming
    ``option`` otherwise."""
    if text is None:
        return None
    from rackforge.errors import UsageError

    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise UsageError(f"{option} takes shares separated by commas, e.g. 0.4,0.5,0.6; got {text!r}") from exc
    if not values or any(not 0.0 <= v <= 1.0 for v in values):
        raise UsageError(f"{option} takes shares between 0 and 1 separated by commas; got {text!r}")
    return values


@click.command()
@path_argument
@json_option
@click.option("--domestic-target", callback=_domestic_target, metavar="SHARE|rule|none",
              help="Least domestic share of component cost per design and year, e.g. 0.75; 'none' for no target "
              "(the report's least-cost plan); default 'rule': the programme rule's threshold each year (FAR "
              "25.101: 65% through 2028).")
@click.option("--from-year", type=int, metavar="YEAR", help="Hold only this year and later to the target.")
@click.option("--categories", metavar="LIST",
              help="Hold only these part categories to the target, e.g. cooling,power,cabling,networking.")
@click.option("--rule", "rule_id", metavar="ID", help="Use this built-in domestic-content rule's thresholds "
              "and definitions instead of the programme's.")
@click.option("--country-cap", type=float, callback=_fraction, metavar="SHARE",
              help="Largest share any one country may have, e.g. 0.7.")
@click.option("--cap-scope", type=click.Choice(["part", "category"]), default=POLICY.cap_scope, show_default=True,
              help="Cap each part's units, or each category's landed cost.")
@click.option("--critical-share", type=float, callback=_fraction, default=POLICY.critical_share, show_default=True,
              metavar="SHARE",
              help="Most one source may supply of a critical part per year (two-source rule); 1 turns it off.")
@click.option("--relax/--no-relax", "relax", default=POLICY.relax_two_source_rule, show_default=True,
              help="When no plan meets the targets, solve again without the two-source rule (as the report does).")
@click.option("--stock", type=click.Choice(["source", "pooled"]), default="source", show_default=True,
              help="Track stock per source (exact) or per part (smaller model for large programmes).")
@click.option("--gap", type=FiniteFloat(0.0, 1.0), default=SOLVE.mip_rel_gap, show_default=True,
              help="Relative MIP gap to stop at.")
@click.option("--time-limit", type=FiniteFloat(0.0, low_open=True), default=SOLVE.time_limit_s, show_default=True,
              metavar="SECONDS",
              help="Stop the solver after this long.")
@click.option("--sweep", is_flag=True, help="Sweep the domestic-content target (40%→90%) and the country cap: "
              "the cost of resilience curve.")
@click.option("--targets", "sweep_targets", metavar="LIST", help="--sweep: targets to try, e.g. 0.4,0.5,0.6.")
@click.option("--caps", "sweep_caps", metavar="LIST", help="--sweep: country caps to try besides none, e.g. 0.8,0.6.")
@click.option("--scenarios", type=click.IntRange(0, 10_000_000), default=SWEEP_SHORTFALL_SCENARIOS,
              show_default=True, help="--sweep: Monte Carlo scenarios for the expected shortfall (0: none).")
@seed_option
@click.option("-o", "--output", type=click.Path(path_type=Path), metavar="FILE",
              help="--sweep: write the curve to FILE (.csv, else JSON), atomically.")
@cluster_option
def optimize(path: Path | None, as_json: bool, domestic_target: float | Literal["rule"] | None, from_year: int | None,
             categories: str | None, rule_id: str | None, country_cap: float | None, cap_scope: str,
             critical_share: float, relax: bool, stock: str, gap: float, time_limit: float, sweep: bool,
             sweep_targets: str | None, sweep_caps: str | None, scenarios: int, seed: int,
             output: Path | None) -> None:
    """Least-cost sourcing plan under domestic-content and diversification targets.

    Chooses, per part, site and quarter, the units to buy so the build plan is met at least landed
    cost (price + freight + duty), within site capacities, minimum orders, the opening cost and lead
    time of planned sources, the domestic-content target, a country cap and the two-source rule for
    critical parts. Prints the plan, its cost, the domestic content reached (computed by the sourcing
    module) and what relaxing each binding constraint is worth. When no plan meets the targets it says
    which targets conflict and by how much (exit status 1), then, unless --no-relax, the plan without
    the two-source rule. --sweep draws the cost of resilience.
    """
    from rackforge import answers
    from rackforge.errors import ChecksFailed, UsageError

    if (sweep_targets or sweep_caps or output) and not sweep:
        raise UsageError("--targets, --caps and -o/--output go with --sweep")
    if not 0.0 <= gap < 1.0 or time_limit <= 0:
        raise UsageError("--gap is a share in [0, 1) and --time-limit a positive number of seconds")
    names = _names(categories)
    given: dict[str, Any] = {
        "domestic_target": "none" if domestic_target is None else domestic_target, "from_year": from_year,
        "categories": None if names is None else list(names), "rule": rule_id, "country_cap": country_cap,
        "cap_scope": cap_scope, "critical_share": critical_share, "relax": relax, "stock": stock, "gap": gap,
        "time_limit": time_limit}
    if sweep:
        given |= {"sweep": True, "targets": _fraction_list(sweep_targets, "--targets"),
                  "caps": _fraction_list(sweep_caps, "--caps"), "scenarios": scenarios, "seed": seed}
    # checked above and by the options' types (wider than the service's: no ceiling on --time-limit)
    options = answers.OptimizeOptions.model_construct(**given)
    programme = load(path)
    if sweep:
        curve = answers.sweep_curve(programme, options)
        _report_sweep(curve, answers.sweep_answer(curve), as_json, output)
        return
    outcome = answers.optimize_outcome(programme, options)
    answer = answers.optimize_answer(outcome)
    if as_json:
        echo_json(answer.data)
    else:
        _print_outcome(outcome)
    if answer.failed is not None:
        raise ChecksFailed("no sourcing plan meets the targets" + (" (explained in the JSON above)" if as_json
                                                                    else " (see above)"))


def _names(text: str | None) -> tuple[str, ...] | None:
    """Comma-separated names as a tuple, or None when there are none."""
    names = tuple(c.strip() for c in (text or "").split(",") if c.strip())
    return names or None


def _report_sweep(curve: CostOfResilience, answer: CommandAnswer, as_json: bool, output: Path | None) -> None:
    """Write the curve to ``output`` if given, print it (``answer``'s JSON, or tables) and exit 1 when
    ``answer`` failed (a point without a plan)."""
    from rackforge.optimize.sweep import write_sweep

    if output is not None:
        write_sweep(curve.curve, output)
        click.echo(f"wrote {output}", err=True)
    if as_json:
        echo_json(answer.data)
    else:
        _print_sweep(curve)
    if answer.failed is not None:
        from rackforge.errors import ChecksFailed

        raise ChecksFailed(f"{answer.failed}; the others are shown" + (" in the JSON above" if as_json else " above"))


# ----- terminal output --------------------------------------------------------------------------

def _usd(value: float | None) -> str:
    from rackforge.cli.common import money_text

    return money_text(value)


def _cell(value: float | None) -> str:
    from rackforge.cli.common import money_cell

    return money_cell(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _print_outcome(outcome: PolicyOutcome) -> None:
    """The plan for the targets asked for; then, when a rule was relaxed, the plan without it."""
    _print_result(outcome.strict)
    if outcome.relaxed_rules:
        console().print(f"\n[bold]Relaxing {esc(', '.join(outcome.relaxed_rules))}[/] (no plan meets the targets with "
                        "it; --no-relax turns this off):")
        _print_result(outcome.result)


def _print_result(result: OptimizeResult) -> None:
    from rich.table import Table

    out = console()
    if result.plan is None:
        out.print(f"[bold red]{esc(result.status)}[/]: {esc(result.status_message)}")
        if result.explanation is not None:
            exp = result.explanation
            for family in exp.impossible_alone:
                out.print(f"  - {esc(family)} cannot be met even on its own")
            for line in exp.conflicts:
                out.print(f"  - {esc(line)}")
            if exp.integrality:
                out.print("  - only minimum order quantities or whole-source opening decisions stand in the way")
            table = Table(title="Least-violating plan: targets missed")
            for col in ("target", "miss"):
                table.add_column(col)
            for v in exp.violations[:25]:
                table.add_row(esc(v.family), esc(v.message))
            out.print(table)
            if len(exp.violations) > 25:
                out.print(f"… and {len(exp.violations) - 25} more (see --json)")
            if exp.relaxations_searched:
                _print_relaxations(exp.relaxations)
        return
    gap = f" (gap {result.mip_gap:.3%})" if result.mip_gap else ""
    out.print(f"[bold]{esc(result.status)}[/]{gap}: total cost {_usd(result.objective_usd)}")
    out.print(esc(result.status_message))
    costs = Table(title="Cost")
    costs.add_column("kind")
    costs.add_column("USD", justify="right")
    for kind, value in result.cost_breakdown().items():
        costs.add_row(kind, _cell(value))
    out.print(costs)
    opened = result.opened_sources()
    if opened:
        t = Table(title="Sources opened")
        for col in ("part", "site", "country", "open cost", "ready", "first quarter shipping"):
            t.add_column(col)
        for o in opened:
            t.add_row(esc(o["part"]), esc(o["site"]), o["country"], _cell(o["open_cost_usd"]), str(o["ready"] or "-"),
                      o["first_quarter_shipping"] or "-")
        out.print(t)
    within = result.targets.domestic_categories
    dc = Table(title="Domestic content reached (sourcing module's rule" + (
        f"; share of component cost within {', '.join(within)})" if within else ")"))
    for col in ("design", "year", "domestic share" + (" within categories" if within else ""), "target"):
        dc.add_column(col)
    for row in result.domestic_content():
        dc.add_row(esc(row["design"]), str(row["year"]), _pct(row["domestic_share"]), _pct(row["target"]))
    out.print(dc)
    alloc = result.allocation_table()
    by_site = alloc.groupby(["part", "site", "country"], as_index=False).agg(
        units=("quantity_units", "sum"), spend_usd=("spend_usd", "sum")).sort_values("spend_usd", ascending=False)
    at = Table(title=f"Allocation by part and site (top 20 of {len(by_site)}; quarters in --json)")
    for col in ("part", "site", "country", "units", "spend"):
        at.add_column(col, justify="right" if col in ("units", "spend") else "left")
    for r in by_site.head(20).to_dict("records"):
        at.add_row(esc(r["part"]), esc(r["site"]), r["country"], f"{r['units']:,.0f}", _cell(r["spend_usd"]))
    out.print(at)
    if result.binding:
        out.print("[bold]What relaxing each binding constraint is worth[/] (first-order, from the duals):")
        for b in result.binding[:12]:
            out.print(f"  - {esc(b.message)}")
    for note in result.data.notes:
        out.print(f"[yellow]note[/]: {esc(note)}")


def _print_relaxations(relaxations: list[Relaxation]) -> None:
    """The smallest relaxations that make the plan feasible (each re-solved), or that none of the targets'."""
    out = console()
    if not relaxations:
        out.print("[bold]Way out[/]: no relaxation of the targets gives a plan (the build plan itself cannot be "
                  "supplied)")
        return
    out.print("[bold]Ways out[/] (smallest relaxations that give a plan, each re-solved):")
    for r in relaxations:
        out.print(f"  - {esc(r.message)}: least cost {_usd(r.cost_usd)}")


def _print_sweep(curve: CostOfResilience) -> None:
    from rich.table import Table

    out = console()
    result = curve.curve
    if curve.relaxed_rules:
        out.print(f"relaxed: {esc(', '.join(curve.relaxed_rules))} (no plan meets it even with no domestic-content "
                  "target; --no-relax turns this off)")
    out.print(f"least cost with no target and no cap: {_usd(result.base_cost_usd)}; highest domestic-content "
              f"target any plan meets: {_pct(result.max_achievable_target)}")
    scope = " within categories" if result.domestic_categories else ""
    table = Table(title="Cost of resilience" + (f" (domestic shares {result.domestic_share_scope})" if scope else ""))
    for col in ("target", "cap", "status", "cost", "extra cost", f"lowest domestic share{scope}",
                f"overall domestic share{scope}", "opened", "expected shortfall"):
        table.add_column(col, justify="right")
    for p in result.points:
        table.add_row(_pct(p.target), _pct(p.country_cap) if p.country_cap is not None else "none", p.status,
                      _cell(p.cost_usd), _cell(p.extra_cost_usd), _pct(p.domestic_share_min),
                      _pct(p.domestic_share_overall), "-" if p.sources_opened is None else str(p.sources_opened),
                      _cell(p.expected_value_short_usd))
    out.print(table)
    out.print(f"knee of cost vs domestic content: {_pct(result.knee_target)}; "
              f"knee of cost vs expected shortfall: {_pct(result.knee_shortfall_target)}")
    for note in result.notes:
        out.print(f"[yellow]note[/]: {esc(note)}")
