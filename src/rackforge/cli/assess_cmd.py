"""``rackforge assess [PATH] [-o DIR]``: run every analysis and write the report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from rackforge.cli.cluster_option import cluster_option
from rackforge.cli.common import console, echo_json, esc, json_option, load, path_argument, seed_option
from rackforge.report.framework import SECTION_BUDGET_S
from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS

SECTIONS_SKIPPED_EXIT = 4
"""Exit status when the report was written but at least one section is not assessed (it failed or ran
past its time budget)."""


@click.command()
@path_argument
@click.option("-o", "--output", "output", type=click.Path(path_type=Path), default=Path("rackforge-report"),
              show_default=True, help="Folder to write report.html, results.json and results.xlsx into.")
@click.option("--scenarios", type=click.IntRange(1, 1_000_000), default=MONTE_CARLO_SCENARIOS, show_default=True,
              help="Monte Carlo scenarios for the resilience analysis.")
@seed_option
@click.option("--section-budget", type=click.FloatRange(min=0, min_open=True), default=SECTION_BUDGET_S,
              show_default=True, metavar="SECONDS",
              help="Most any one section may run; past it the section is listed as not assessed (exit status 4). "
                   "The optimiser's solver time limit derives from it.")
@click.option("--gap", type=click.FloatRange(0, 1, max_open=True), default=None, metavar="SHARE",
              help="Relative MIP gap of the optimiser section (default: the optimiser's, 0.001).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Time limit of each optimiser solve (default: the section budget / 20, at most 120).")
@json_option
@cluster_option
def assess(path: Path | None, output: Path, scenarios: int, seed: int, section_budget: float, gap: float | None,
           time_limit: float | None, as_json: bool) -> None:
    """Run every analysis and write a self-contained report.

    PATH is a programme folder; without it the built-in reference programme is used. Writes into
    the output folder: report.html (works offline, charts embedded), results.json with its JSON
    Schema (results.schema.json) and results.xlsx. A section whose analysis is not installed, or
    whose data the programme lacks, is left out and listed under 'Not assessed'.

    Bad input stops the run before any analysis (exit status 2); it is what 'rackforge check' reports
    (e.g. a design in the build plan that no factory route builds), so a folder that passes 'check'
    is not stopped on input here. A section that fails or runs past
    --section-budget is listed under 'Not assessed' with the reason, the rest of the report is
    written, and the exit status is 4.
    """
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    err = console(stderr=True)
    # the bar shows from the first moment (loading and checking a programme takes seconds), and its count
    # column stays empty until the number of sections is known (no "0/None")
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[count]}"),
                  TimeElapsedColumn(), console=err, transient=as_json) as progress:
        task = progress.add_task("loading the programme", total=None, count="")
        from rackforge.report.assess import check_inputs, run_assessment
        from rackforge.report.framework import AssessOptions
        from rackforge.report.write import check_report_dir, write_report

        check_report_dir(output)  # a bad output folder stops the command before a minute of analysis
        programme = load(path)
        progress.update(task, description="checking every section's input")
        check_inputs(programme)

        def report(event: str, title: str, index: int, total: int) -> None:
            count = f"{index}/{total} sections"
            if event == "done":
                progress.update(task, completed=index, count=count)
            else:  # start of a section, or a step inside it
                progress.update(task, description=title, total=total + 1, completed=index, count=count)

        options = AssessOptions(scenarios=scenarios, seed=seed, section_budget_s=section_budget,
                                optimizer_gap=gap, optimizer_time_limit_s=time_limit)
        assessment = run_assessment(programme, options, progress=report)
        progress.update(task, description="writing report.html, results.json, results.xlsx", count="")
        paths = write_report(assessment, output)
        progress.update(task, description="done", completed=progress.tasks[0].total or 1, count="")
    files = {name: {"path": str(p), "bytes": p.stat().st_size} for name, p in paths.items()}
    if as_json:
        echo_json({"output": str(output), "files": files,
                   "sections": [s.key for s, _ in assessment.sections], "absent": assessment.absent,
                   "executive_summary": [s["text"] for s in assessment.results["executive_summary"]["sentences"]],
                   "timings_s": assessment.timings_s, "not_assessed": assessment.skipped})
    else:
        _print_summary(assessment.results, files)
    if assessment.skipped:
        for item in assessment.skipped:
            err.print(f"warning: {item['title']}: {item['reason']}", highlight=False, markup=False)
        click.get_current_context().exit(SECTIONS_SKIPPED_EXIT)


def _print_summary(results: dict[str, Any], files: dict[str, dict[str, Any]]) -> None:
    out = console()
    out.print(f"[bold]{esc(results['programme']['name'])}[/]", highlight=False)
    for sentence in results["executive_summary"]["sentences"]:
        out.print(f"• {sentence['text']}", highlight=False, markup=False)
    for info in files.values():
        out.print(f"wrote {esc(info['path'])} ({info['bytes'] / 1e6:.2f} MB)", highlight=False)
