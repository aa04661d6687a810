"""``rackforge init DIR``: write the reference programme as a starting point."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist in DIR.")
def init(directory: Path, force: bool) -> None:
    """Write the reference programme into DIR as plain files.

    The files (programme, sources, build plan, facility...) are the starting point for your
    own programme; edit them, add parts or designs in new files, then run
    'rackforge check DIR'.
    """
    from rackforge.errors import UsageError
    from rackforge.io.files import atomic_directory
    from rackforge.io.loader import REFERENCE_DIR

    files = sorted(p for p in REFERENCE_DIR.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".csv"))
    clashes = [f for f in files if (directory / f.relative_to(REFERENCE_DIR)).exists()]
    if clashes and not force:
        names = ", ".join(str(directory / c.relative_to(REFERENCE_DIR)) for c in clashes[:5])
        raise UsageError(f"{names} already exist; use --force to overwrite, or pick an empty DIR")
    with atomic_directory(directory) as tmp:
        for f in files:
            dest = tmp / f.relative_to(REFERENCE_DIR)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(f.read_bytes())
    click.echo(f"wrote {len(files)} files to {directory}; next: rackforge check {directory}")
