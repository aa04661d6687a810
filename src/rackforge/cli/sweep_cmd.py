"""``rackforge sweep PATH SPEC.yaml``: many runs of the analyses over varied inputs, as one table."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.cluster_option import cluster_option
from rackforge.cli.common import console, echo_json, esc, json_option, load


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.argument("spec_path", metavar="SPEC.yaml", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), default=Path("sweep-out"), show_default=True,
              help="Folder for rows.parquet, rows.csv, sensitivity.json, sweep.html and the checkpoint rows.jsonl "
                   "(run again to resume an interrupted sweep).")
@click.option("--sensitivity", type=click.Choice(["sobol", "morris"]),
              help="Sample the inputs' ranges for Sobol' or Morris indices (SALib) instead of the spec's design.")
@json_option
@cluster_option
def sweep(path: Path, spec_path: Path, out: Path, sensitivity: str | None, as_json: bool) -> None:
    """Run analyses over a grid or sample of inputs; one table row per run.

    PATH is a programme folder; SPEC.yaml names the input fields to vary (grids or ranges), the
    analyses to run and the outputs to collect (see examples/sweep.yaml). Rows whose inputs fail
    validation are recorded with the reason in the 'error' column, not fatal. Finished rows are
    kept in OUT/rows.jsonl, so running the same command again resumes where it stopped.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from rackforge.cluster.study import run_sweep, with_design
    from rackforge.cluster.sweep import load_spec

    programme = load(path)
    spec = with_design(load_spec(spec_path, programme), sensitivity)
    err = console(stderr=True)
    with Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("rows", total=None)
        outcome = run_sweep(programme, spec, out, on_start=lambda n: bar.update(task, total=n),
                            progress=lambda k: bar.advance(task, k))
    if as_json:
        echo_json(outcome.to_json())
        return
    data = outcome.to_json()
    con = console()
    con.print(f"{data['rows']:,} runs ({data['design']}), {data['failed_rows']:,} with an error")
    for output, by_input in outcome.indices.items():
        key = "ST" if outcome.design == "sobol" else "mu_star"
        ranked = sorted(by_input.items(), key=lambda kv: -kv[1][key])
        con.print(f"{esc(output)}: " + ", ".join(f"{esc(name)} {key} {v[key]:.3g}" for name, v in ranked))
    for note in outcome.notes:
        con.print(f"note: {esc(note)}")
    for file in outcome.files:
        con.print(f"wrote {esc(file)}", highlight=False)
