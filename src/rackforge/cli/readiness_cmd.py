"""``rackforge readiness [PATH]``: manufacturing readiness levels per part and site."""

from __future__ import annotations

from pathlib import Path

import click

from rackforge.cli.common import console, echo_json, esc, json_option, load, path_argument


@click.command()
@path_argument
@json_option
@click.option("--gaps", "max_gaps", type=click.IntRange(0), default=20, show_default=True,
              help="Gaps to list (lowest level first); 0 lists none.")
def readiness(path: Path | None, as_json: bool, max_gaps: int) -> None:
    """Score manufacturing readiness (MRL) per part and site.

    PATH is a programme folder with a 'readiness:' section; without it the built-in reference
    programme is used. Prints the heat map (level per DoD thread), each part's MRL (its weakest
    thread), the gaps to the target level with the actions that close them, and US sources not
    yet assessed. JSON output has the full gap list.
    """
    from rackforge import api

    result = api.readiness(load(path), require_assessments=True)
    if as_json:
        echo_json(result.to_dict())
        return
    from rich.table import Table

    out = console()
    table = Table(title="Manufacturing readiness levels (thread levels; MRL = weakest thread)", title_justify="left")
    table.add_column("part @ site")
    for t in result.threads:
        name = _SHORT.get(t, t)
        table.add_column(name, justify="right", min_width=len(name), no_wrap=True)
    table.add_column("MRL", justify="right", no_wrap=True)
    table.add_column("target", justify="right", no_wrap=True)
    for row in result.rows:
        cells = []
        for t in result.threads:
            level = row.levels[t]
            if level is None:
                cells.append("n/a")
            else:
                style = "red" if level < row.target_mrl - 2 else ("yellow" if level < row.target_mrl else "green")
                cells.append(f"[{style}]{level}[/]")
        mrl = "–" if row.mrl is None else f"[bold]{row.mrl}[/]"
        table.add_row(esc(f"{row.part} @ {row.site}"), *cells, mrl, str(row.target_mrl))
    out.print(table)
    for row in result.rows:
        for note in row.notes:
            out.print(esc(f"note: {row.part} @ {row.site}: {note}"))
    gaps = result.gaps
    if max_gaps and gaps:
        table = Table(title=f"Gaps to target ({len(gaps)}; lowest level first)", title_justify="left")
        for col in ("part @ site", "level", "criterion", "action"):
            table.add_column(col, justify="right" if col == "level" else "left", no_wrap=col != "action")
        for g in gaps[:max_gaps]:
            table.add_row(esc(f"{g.part} @ {g.site}"), str(g.level), esc(g.criterion), esc(g.action))
        out.print(table)
        if len(gaps) > max_gaps:
            out.print(f"… {len(gaps) - max_gaps} more gaps (--gaps N, or --json for all)")
    if result.unassessed:
        out.print(f"{len(result.unassessed)} US sources not assessed yet, e.g. "
                  + esc(", ".join(f"{p} @ {s}" for p, s in result.unassessed[:5])))


_SHORT = {"technology": "tech", "design": "design", "cost": "cost", "materials": "matl", "process": "proc",
          "quality": "qual", "workforce": "work", "facilities": "facil", "management": "mgmt"}
