"""``rackforge catalog list|show ID``: browse the built-in catalog."""

from __future__ import annotations

from typing import Any

import click

from rackforge.cli.common import console, echo_json, esc, json_option, split_path_operands
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
@click.argument("operands", nargs=-1, required=True, metavar="[PATH] ID")
@click.option("--resolved", is_flag=True,
              help="Show a design variant in full (its base with its changes applied), not as its changes.")
@json_option
def show(operands: tuple[str, ...], resolved: bool, as_json: bool) -> None:
    """Show one part, assembly, design, supplier or site by id, as programme input.

    PATH is a programme folder (its own records and design variants are shown too); without it, the
    built-in catalog. The YAML printed is a programme file: paste it into one (changing the id) to
    start a record of your own; the exploded parts of a design or assembly follow as comments.
    A design variant is shown as 'extends:' and its changes; --resolved shows it in full.
    """
    from rackforge.errors import UsageError, did_you_mean
    from rackforge.io.loader import load_catalog, load_programme
    from rackforge.io.variants import shown_record

    path, rest = split_path_operands(operands)
    if len(rest) != 1:
        raise UsageError(f"give one id to show ({len(rest)} given), after the programme folder PATH if any")
    ident = rest[0]
    builtin = load_catalog()
    cat = builtin if path is None else load_programme(path).catalog
    for section in ("parts", "assemblies", "designs", "suppliers", "sites"):
        record = getattr(cat, section).get(ident)
        if record is not None:
            break
    else:
        everything = [*cat.parts, *cat.assemblies, *cat.designs, *cat.suppliers, *cat.sites]
        raise UsageError(f"no catalog record {ident!r}{did_you_mean(ident, everything)}; "
                         "see 'rackforge catalog list'")
    extends = getattr(record, "extends", None)
    base = None if extends is None else (builtin.designs.get(extends) if extends == ident
                                         else cat.designs.get(extends))
    data = shown_record(section, record, base, resolved)
    exploded = explode(cat, ident) if section in ("designs", "assemblies") else None
    if as_json:
        kind = section[:-1] if section != "assemblies" else "assembly"
        echo_json({"kind": kind, **data, **({"exploded_parts": exploded} if exploded is not None else {})})
        return
    import yaml

    text = yaml.safe_dump({section: [data]}, sort_keys=False, allow_unicode=True, width=100)
    if extends is not None and resolved:
        text = f"# {ident}: {extends} with this variant's changes applied (rackforge catalog show --resolved)\n" + text
    if exploded:
        text += "# exploded parts per unit (for reading; not part of the record):\n"
        text += "".join(f"#   {ref}: {quantity:g}\n" for ref, quantity in exploded.items())
    click.echo(text, nl=False)
