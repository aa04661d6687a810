"""A whole sweep: rows laid out, run (resuming from the checkpoint), tabled, analysed and charted.

The output folder holds ``rows.jsonl`` (the checkpoint), ``rows.parquet`` and ``rows.csv`` (the tidy
table), ``sensitivity.json`` (indices per output and input, with a sampled design) and
``sweep.html``. Each file but the checkpoint is written atomically once every row is done.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.cluster.sweep import CHECKPOINT, as_number, design_rows, rows_frame, run_rows, write_table
from rackforge.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme
    from rackforge.schema.sweep import SweepSpec

OWNED = (CHECKPOINT, "rows.parquet", "rows.csv", "sensitivity.json", "sweep.html")
"""Files a sweep writes in its output folder."""


@dataclass
class SweepOutcome:
    """A finished sweep: its table, sensitivity indices, files written and notes."""

    frame: pd.DataFrame
    design: str
    indices: dict[str, dict[str, dict[str, float]]]
    files: list[Path]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data: counts, indices, files and notes."""
        return {"rows": len(self.frame), "failed_rows": int(self.frame["error"].notna().sum()),
                "design": self.design, "sensitivity": self.indices, "files": [str(p) for p in self.files],
                "notes": self.notes}


def with_design(spec: SweepSpec, design: str | None) -> SweepSpec:
    """``spec`` with its design replaced by ``design`` (``--sensitivity``), re-validated."""
    if design is None or design == spec.design:
        return spec
    from pydantic import ValidationError

    from rackforge.schema.sweep import SweepSpec as Spec

    try:
        return Spec.model_validate({**spec.model_dump(), "design": design})
    except ValidationError as exc:
        message = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
        raise InputError([Problem("--sensitivity", None, "", message)]) from None


def sensitivity_indices(spec: SweepSpec, frame: pd.DataFrame) -> tuple[dict[str, dict[str, dict[str, float]]],
                                                                        list[str]]:
    """Sobol' or Morris indices of each numeric output (a sampled design with every row finished)."""
    from rackforge.cluster.sensitivity import analyse, sample

    indices: dict[str, dict[str, dict[str, float]]] = {}
    notes: list[str] = []
    if spec.design == "grid":
        return indices, notes
    bounds = [tuple(as_number(v) for v in i.range or ()) for i in spec.inputs]
    x = sample(spec.design, bounds, spec.samples, spec.seed)
    names = [i.field for i in spec.inputs]
    for out in spec.outputs:
        y = frame[out].to_numpy(dtype=float, na_value=np.nan) if frame[out].dtype != object else None
        if y is None or not np.all(np.isfinite(y)):
            notes.append(f"no {spec.design} indices for {out}: some rows have no number for it (see 'error')")
            continue
        if np.ptp(y) == 0:
            notes.append(f"no {spec.design} indices for {out}: it is the same in every row (no variance to "
                         "apportion)")
            continue
        indices[out] = analyse(spec.design, bounds, names, x, y, seed=spec.seed)
    return indices, notes


def run_sweep(programme: Programme, spec: SweepSpec, out: Path, *,
              on_start: Callable[[int], None] | None = None,
              progress: Callable[[int], None] | None = None) -> SweepOutcome:
    """Run the sweep into folder ``out`` on the task map in force; ``on_start(rows)`` then
    ``progress(k)`` as rows finish (rows taken from the checkpoint count at once)."""
    from rackforge.cluster.sweep_html import sweep_html
    from rackforge.io.files import atomic_write_text, check_output_dir

    check_output_dir(out, OWNED)
    rows = design_rows(spec, programme)
    if on_start is not None:
        on_start(len(rows))
    out.mkdir(parents=True, exist_ok=True)
    finished = list(run_rows(programme, spec, rows, out / CHECKPOINT, progress))
    frame = rows_frame(finished, spec)
    indices, notes = sensitivity_indices(spec, frame)
    files = write_table(frame, out)
    inputs = [i.field for i in spec.inputs]
    atomic_write_text(out / "sensitivity.json", json.dumps({"design": spec.design, "indices": indices,
                                                           "notes": notes}, indent=2))
    atomic_write_text(out / "sweep.html", sweep_html(frame, inputs, spec.outputs, spec.design, indices, spec.name))
    files += [out / "sensitivity.json", out / "sweep.html"]
    return SweepOutcome(frame, spec.design, indices, files, notes)
