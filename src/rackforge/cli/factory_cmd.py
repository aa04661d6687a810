"""``rackforge factory [PATH]``: simulate the integration-and-test line; ``--plan-capacity`` sizes it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rackforge.cli.cluster_option import cluster_option
from rackforge.cli.common import FiniteFloat, console, echo_json, esc, json_option, load, path_argument
from rackforge.seeds import DEFAULT_SEED

if TYPE_CHECKING:
    from rackforge.answers import FactoryOptions
    from rackforge.factory.capacity import CapacityPlan
    from rackforge.factory.results import FactoryResult


def _pm(mean: Any, half: Any, digits: int = 1) -> str:
    if mean is None:
        return "–"
    text = f"{mean:,.{digits}f}"
    return text if half is None else f"{text} ± {half:,.{digits}f}"


@click.command()
@path_argument
@json_option
@click.option("--plan-capacity", is_flag=True, help="Find the fewest stations of each kind that meet the build plan.")
@click.option("--replications", type=click.IntRange(1, 1000), help="Independent replications (default: the factory's).")
@click.option("--seed", type=click.IntRange(0), help="Random seed (default: the factory's simulation.seed, "
              f"whose default is every command's, {DEFAULT_SEED}).")
@click.option("--workers", type=click.IntRange(1, 256), help="Processes for the replications (default: CPUs).")
@click.option("--weeks", type=FiniteFloat(1.0), help="Simulate only the first WEEKS of the build plan.")
@click.option("--confidence", type=FiniteFloat(0.0, 1.0, low_open=True),
              help="With --plan-capacity: share of replications that must meet the plan (default: the factory's).")
@click.option("--max-utilisation", type=FiniteFloat(0.0, 1.0, low_open=True), metavar="SHARE",
              help="With --plan-capacity: most any planned station may be busy, e.g. 0.85 (the default: above "
              "about 85% queues grow steeply and a breakdown or yield dip delays racks).")
@cluster_option
def factory(path: Path | None, as_json: bool, plan_capacity: bool, replications: int | None, seed: int | None,
            workers: int | None, weeks: float | None, confidence: float | None,
            max_utilisation: float | None) -> None:
    """Simulate the integration-and-test line; plan stations with --plan-capacity.

    PATH is a programme folder with a 'factory:' section; without it the built-in reference
    programme is used. Prints racks per week and cycle time per design, utilisation per station
    and the bottleneck, as means with 95% confidence intervals over independent replications.
    Exit status: 0 the build plan is met with the factory's confidence, 1 it is not, 2 bad input.
    """
    from rackforge import answers, api
    from rackforge.errors import ChecksFailed, UsageError

    programme = load(path)
    if plan_capacity:
        if weeks is not None:
            raise UsageError("--weeks does not go with --plan-capacity (capacity is planned for the whole plan)")
        options = _options({"plan_capacity": True, "replications": replications, "seed": seed,
                            "confidence": confidence, "max_utilisation": max_utilisation})
        _plan_capacity(answers.capacity_plan(programme, options, workers), as_json)
        return
    if confidence is not None or max_utilisation is not None:
        raise UsageError("--confidence and --max-utilisation go with --plan-capacity")
    options = _options({"replications": replications, "seed": seed, "weeks": weeks})
    result = answers.factory_result(programme, options, workers)
    answer = answers.factory_answer(programme, options, result)
    if as_json:
        echo_json(answer.data)
    else:
        _print_result(result, api.factory_confidence_target(programme))
    if answer.failed is not None:
        raise ChecksFailed(answer.failed)


def _options(given: dict[str, Any]) -> FactoryOptions:
    """The options as the service takes them, checked above and by the options' types (wider than the
    service's: no ceiling on --weeks)."""
    from rackforge.answers import FactoryOptions

    return FactoryOptions.model_construct(**given)


def _print_result(result: FactoryResult, target: float) -> None:
    from rich.table import Table

    data = result.to_dict()
    out = console()
    window = data["window"]
    out.print(f"[bold]Factory simulation[/]: {data['replications']} replications (seed {data['seed']}), "
              f"statistics from {window['start']} to {window['end']} ({window['weeks']:.1f} weeks after warm-up); "
              "means ± 95% CI")
    table = Table(title="Designs", title_justify="left")
    for col in ("design", "plan/wk", "racks/wk", "cycle h", "p90 h", "1st-pass", "rework/rack", "escapes", "scrap"):
        table.add_column(col, justify="left" if col == "design" else "right", no_wrap=True)
    for design, row in data["designs"].items():
        table.add_row(esc(design), _pm(row["planned_racks_per_week"], None, 2),
                      _pm(row["racks_per_week"], row["racks_per_week_ci95"], 2),
                      _pm(row["cycle_time_h"], row["cycle_time_h_ci95"]), _pm(row["cycle_time_p90_h"], None),
                      _pct(row["first_pass_rack_share"]), _pm(row["reworks_per_rack"], None, 2),
                      _pct(row["escape_rate"]), f"{row['scrapped']:,.1f}")
    out.print(table)
    table = Table(title="Stations", title_justify="left")
    for col in ("station", "kind", "count", "utilisation", "mean wait h", "racks present"):
        table.add_column(col, justify="left" if col in ("station", "kind") else "right")
    for station, row in data["stations"].items():
        mark = " [bold red]← bottleneck[/]" if station == data["bottleneck"] else ""
        table.add_row(esc(station) + mark, esc(row["kind"]), str(row["count"]),
                      f"{_pct(row['utilisation'])} ± {_pct(row['utilisation_ci95'])}",
                      f"{row['mean_wait_h']:.2f}", f"{row['mean_racks_present']:.2f}")
    out.print(table)
    bal = data["balance"]
    out.print(f"Work in progress {_pm(data['wip_mean'], data['wip_mean_ci95'], 2)} racks; bottleneck "
              f"[bold]{esc(data['bottleneck'])}[/]; racks started {bal['racks_started']:,.1f} = shipped "
              f"{bal['racks_shipped']:,.1f} + scrapped {bal['racks_scrapped']:,.1f} + in process {bal['wip_end']:,.1f}")
    colour = "green" if data["plan_met_share"] >= target else "red"
    out.print(f"[{colour}]{esc(result.headline(target))}[/]")
    for note in data["notes"]:
        out.print(f"note: {esc(note)}")


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _plan_capacity(plan: CapacityPlan, as_json: bool) -> None:
    """Print ``plan``: its JSON (the service's results) or its tables."""
    from rackforge.answers import capacity_answer

    data = capacity_answer(plan).data
    if as_json:
        echo_json(data)
        return
    from rich.table import Table

    from rackforge.factory.capacity import HOT_UTILISATION
    from rackforge.schema.factory import TEST_KINDS

    out = console()
    table = Table(title=f"Stations that meet the build plan with {plan.confidence:.0%} confidence "
                        f"({plan.replications} replications), none above {plan.max_utilisation:.0%} utilisation",
                  title_justify="left")
    for col in ("station", "kind", "now", "recommended", "change", "utilisation", "bounds (peak qtr / horizon)"):
        table.add_column(col, justify="left" if col in ("station", "kind") else "right")
    test_kinds = {k.value for k in TEST_KINDS}  # test bays first
    rows = sorted(data["stations"].items(), key=lambda kv: (kv[1]["kind"] not in test_kinds, kv[0]))
    for station, row in rows:
        change = row["change"]
        change_text = f"[green]{change:+d}[/]" if change < 0 else (f"[red]{change:+d}[/]" if change > 0 else "0")
        table.add_row(esc(station), esc(row["kind"]), str(row["current"]), f"[bold]{row['recommended']}[/]",
                      change_text,
                      _pct(row["utilisation"]), f"{row['peak_quarter_bound']} / {row['horizon_bound']}")
    out.print(table)
    out.print(f"Plan met in {plan.met_share:.0%} of replications at the recommended counts "
              f"({len(plan.trace)} simulated configurations)")
    risk = Table(title="Risk: utilisation and the plan's confidence at each station count (one fewer: the others "
                       "as recommended)", title_justify="left")
    for col in ("station", "count", "utilisation", "plan met in", ""):
        risk.add_column(col, justify="left" if col in ("station", "") else "right")
    for r in plan.risk:
        hot = r["utilisation"] is not None and r["utilisation"] > HOT_UTILISATION
        flag = ("[bold]recommended[/]" if r["recommended"] else "one fewer") + (" [red]runs hot[/]" if hot else "")
        risk.add_row(esc(r["station"]), str(r["count"]), _pct(r["utilisation"]),
                     _pct(r["confidence"]) if r["confidence"] is not None else esc(r.get("why", "–")), flag)
    out.print(risk)
    for note in plan.notes:
        out.print(f"note: {esc(note)}")

