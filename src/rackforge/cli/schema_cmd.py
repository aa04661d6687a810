"""``rackforge schema``: JSON Schema of programme files for editor autocompletion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


def programme_file_schema() -> dict[str, Any]:
    """JSON Schema of one programme or catalog file: a mapping of optional sections."""
    from pydantic import TypeAdapter

    from rackforge.io.loader import SECTIONS

    properties: dict[str, Any] = {}
    defs: dict[str, Any] = {}
    for name, spec in SECTIONS.items():
        schema = TypeAdapter(spec.model).json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        title = schema.get("title", name)
        defs[title] = schema
        ref = {"$ref": f"#/$defs/{title}"}
        properties[name] = {"type": "array", "items": ref, "description": spec.help} if spec.many else ref
    defs["DesignVariant"] = _design_variant_schema(defs)
    properties["designs"]["items"] = {"anyOf": [properties["designs"]["items"], {"$ref": "#/$defs/DesignVariant"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "rackforge programme file",
        "description": "A YAML file of a rackforge programme folder or catalog. Each top-level key is a section.",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "$defs": defs,
    }


def _design_variant_schema(defs: dict[str, Any]) -> dict[str, Any]:
    """A design written as ``extends:`` and its changes (docs/catalog.md): any design field, none required."""
    from pydantic import TypeAdapter

    from rackforge.schema.designs import DesignChanges

    changes = TypeAdapter(DesignChanges).json_schema(ref_template="#/$defs/{model}")
    defs.update(changes.pop("$defs", {}))
    design = defs["RackDesign"]
    # a mapping field is merged into the base's, so any part of it may be given: checked when loaded
    loose = {name: {"type": ["object", "null"], "description": prop.get("description", "merged into the base's")}
             if name != "items" and "$ref" in str(prop) else prop for name, prop in design["properties"].items()}
    return {"title": "DesignVariant", "type": "object", "additionalProperties": False,
            "description": "A design made from another: 'extends: <design id>', any field to override, and "
                           "remove_items / set_quantities / add_items.",
            "properties": {**loose, **changes["properties"]}, "required": ["id", "extends"]}


@click.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
def schema(output: Path | None) -> None:
    """Print the JSON Schema of programme files.

    Point your editor's YAML language server at it (e.g. '# yaml-language-server:
    $schema=rackforge.schema.json') to get completion and checks while you type.
    """
    import json

    if output is not None:
        from rackforge.io.files import check_output_file

        check_output_file(output)
    text = json.dumps(programme_file_schema(), indent=2)
    if output is None:
        click.echo(text)
    else:
        from rackforge.io.files import atomic_write_text

        atomic_write_text(output, text + "\n")
        click.echo(f"wrote {output}", err=True)
