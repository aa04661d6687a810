"""``rackforge catalog list|show ID``: browse the built-in catalog."""

from __future__ import annotations

from typing import Any

import click

from rackforge.cli.common import console, echo_json, esc, json_option
from rackforge.core.bom import explode


@click.group()
def catalog() -> None:
    """List and show the built-in catalog."""


@catalog.command("list")
@json_option
@click.option("--kind", type=click.Choice(["parts", "designs", "assemblies", "suppliers", "sites"]),
              help="Only this kind of record.")
def list_(as_json: bool, kind: str | None) -> None:
    """List parts, assemblies, designs, suppliers and sites."""
    from rackforge.io.loader import load_catalog

    cat = load_catalog()
    data: dict[str, list[dict[str, Any]]] = {
        "parts": [{"id": p.id, "name": p.name, "category": p.category.value, "maker": p.maker}
                  for p in cat.parts.values()],
        "assemblies": [{"id": a.id, "name": a.name, "kind": a.kind.value} for a in cat.assemblies.values()],
        "designs": [{"id": d.id, "name": d.name, "generation": d.generation, "year": d.year}
                    for d in cat.designs.values()],
        "suppliers": [{"id": s.id, "name": s.name, "hq_country": s.hq_country} for s in cat.suppliers.values()],
        "sites": [{"id": s.id, "name": s.name, "supplier": s.supplier, "country": s.country, "region": s.region}
                  for s in cat.sites.values()],
    }
    if kind:
        data = {kind: data[kind]}
    if as_json:
        echo_json(data)
        return
    from rich.table import Table

    out = console()
    for section, rows in data.items():
        if not rows:
            continue
        table = Table(title=f"{section} ({len(rows)})", title_justify="left")
        for col in rows[0]:
            table.add_column(col)
        for row in rows:
            table.add_row(*("" if v is None else esc(v) for v in row.values()))
        out.print(table)


@catalog.command("show")
@click.argument("ident")
@json_option
def show(ident: str, as_json: bool) -> None:
    """Show one part, assembly, design, supplier or site by id, with its sources."""
    from rackforge.errors import UsageError, did_you_mean
    from rackforge.io.loader import load_catalog

    cat = load_catalog()
    for section in ("parts", "assemblies", "designs", "suppliers", "sites"):
        record = getattr(cat, section).get(ident)
        if record is not None:
            break
    else:
        everything = [*cat.parts, *cat.assemblies, *cat.designs, *cat.suppliers, *cat.sites]
        raise UsageError(f"no catalog record {ident!r}{did_you_mean(ident, everything)}; "
                         "see 'rackforge catalog list'")
    data = {"kind": section[:-1] if section != "assemblies" else "assembly",
            **record.model_dump(mode="json", exclude_defaults=True)}
    if section in ("designs", "assemblies"):
        data["exploded_parts"] = explode(cat, ident)
    if as_json:
        echo_json(data)
        return
    import yaml

    console().print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), markup=False, highlight=False)
