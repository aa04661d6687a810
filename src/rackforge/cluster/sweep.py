"""``rackforge sweep``: many runs of the analyses over varied inputs, one tidy row per run.

1. :func:`load_spec` reads the spec (the project's safe YAML, errors with file, line and field) and
   checks every input field against the programme;
2. :func:`design_rows` lays out the rows: every combination of the inputs' values (``grid``) or a
   Sobol / Morris sample of their ranges (:mod:`rackforge.cluster.sensitivity`);
3. :func:`run_rows` fans the rows out over the task map in force (the programme is sent once per
   worker), each row a pure task (:func:`run_row`): set the inputs, run the analyses through
   :mod:`rackforge.api`, read the outputs from their JSON. A row whose inputs fail validation, or
   whose analysis refuses them, records the reason in its ``error`` column; the rest go on.
   Finished rows are appended to a checkpoint (``rows.jsonl``, keyed by the row's inputs, the
   analyses and outputs, and the programme), so an interrupted sweep resumes where it stopped;
4. the table is written as Parquet (pyarrow) and CSV (cells escaped for spreadsheets).
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rackforge.cluster.inputs import current_value, options_from, round_half_up, with_inputs
from rackforge.errors import InputError, Problem, RackforgeError

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme
    from rackforge.schema.sweep import AnalysisOptions, SweepInput, SweepSpec

CHECKPOINT = "rows.jsonl"
"""The checkpoint file in the output folder: one finished row per line."""


def load_spec(path: Path, programme: Programme) -> SweepSpec:
    """The spec in ``path``, validated, each input field checked against ``programme``; every problem
    names the file, line and field (:class:`~rackforge.errors.InputError`)."""
    from pydantic import ValidationError

    from rackforge.io.loader import _problems_from_validation  # the loader's one located-message rule
    from rackforge.io.yaml import read_yaml
    from rackforge.schema.sweep import SweepFile

    name = str(path)
    data, lines = read_yaml(path, name)
    try:
        spec = SweepFile.model_validate(data).sweep
    except ValidationError as exc:
        raise InputError(_problems_from_validation(exc, lines, (), SweepFile)) from None
    problems = []
    for i, item in enumerate(spec.inputs):
        try:
            current_value(programme, item.field)
        except ValueError as exc:
            problems.append(lines.problem(("sweep", "inputs", i, "field"), str(exc)))
        for end in item.range or ():
            try:
                as_number(end)
            except InputError as exc:
                problems.append(lines.problem(("sweep", "inputs", i, "range"), exc.problems[0].message))
    if problems:
        raise InputError(problems)
    return spec


def _axis(item: SweepInput, like: Any) -> list[Any]:
    """A grid axis: the given values, or ``steps`` evenly spaced values over the range."""
    if item.values is not None:
        return list(item.values)
    assert item.range is not None
    low, high = (as_number(v) for v in item.range)
    return [_from_number(float(v), like) for v in np.linspace(low, high, item.steps)]


def as_number(value: Any) -> float:
    """A range end as a number (ISO dates as day ordinals)."""
    import datetime as dt

    if isinstance(value, str):
        try:
            return float(dt.date.fromisoformat(value).toordinal())
        except ValueError:
            raise InputError([Problem("(sweep spec)", None, "range", f"{value!r} is neither a number nor an "
                                      "ISO date (YYYY-MM-DD)")]) from None
    return float(value)


def _from_number(value: float, like: Any) -> Any:
    import datetime as dt

    if isinstance(like, dt.date):
        return dt.date.fromordinal(round_half_up(value )).isoformat()
    if isinstance(like, int) and not isinstance(like, bool):
        return round_half_up(value )
    return value


def design_rows(spec: SweepSpec, programme: Programme) -> list[dict[str, Any]]:
    """The rows' inputs, field → value, in a fixed order."""
    likes = [current_value(programme, i.field) for i in spec.inputs]
    if spec.design == "grid":
        axes = [_axis(item, like) for item, like in zip(spec.inputs, likes, strict=True)]
        rows = [dict(zip((i.field for i in spec.inputs), combo, strict=True)) for combo in itertools.product(*axes)]
    else:
        from rackforge.cluster.sensitivity import sample

        bounds = [tuple(as_number(v) for v in i.range or ()) for i in spec.inputs]
        matrix = sample(spec.design, bounds, spec.samples, spec.seed)
        rows = [{i.field: _from_number(float(x), like) for i, x, like in zip(spec.inputs, point, likes, strict=True)}
                for point in matrix]
    from rackforge.schema.sweep import MAX_ROWS

    if len(rows) > MAX_ROWS:
        raise InputError([Problem("(sweep spec)", None, "inputs", f"{len(rows):,} rows; a sweep may have at most "
                                  f"{MAX_ROWS:,}: fewer values or samples")])
    return rows


@dataclass(frozen=True)
class SweepTask:
    """What every row shares (sent once to each worker): the programme, the analyses and the outputs."""

    programme: Programme
    run: dict[str, AnalysisOptions]
    outputs: tuple[str, ...]


def _analysis_json(programme: Programme, analysis: str, opts: dict[str, Any]) -> Any:
    """The JSON of one analysis on the row's programme, through :mod:`rackforge.api`."""
    from rackforge import api

    if analysis == "simulate":
        kw = {k: opts[k] for k in ("scenarios", "seed") if opts.get(k) is not None}
        return api.simulate(programme, **kw).to_json()
    if analysis == "stress":
        return api.stress_test(programme).to_json()
    if analysis == "sourcing":
        return api.sourcing(programme).to_json()
    if analysis == "optimize":
        from rackforge.optimize.policy import SourcingPolicy

        policy = SourcingPolicy() if opts.get("domestic_target") is None else \
            SourcingPolicy(domestic_target=float(opts["domestic_target"]))
        return api.optimize(programme, policy).to_dict()
    kw = {k: opts[k] for k in ("replications", "seed") if opts.get(k) is not None}
    if analysis == "factory":
        return api.factory(programme, workers=1, **kw).to_dict()
    return api.plan_factory_capacity(programme, workers=1, **kw).to_dict()


def read_output(tree: Any, path: str) -> Any:
    """The value at ``path`` (``analysis.key.key``, list positions as numbers) in ``{analysis: json}``;
    a KeyError naming the keys there when it is absent."""
    node = tree
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            there = ", ".join(list(node)[:12]) if isinstance(node, dict) else f"a {type(node).__name__}"
            raise KeyError(f"output {path!r}: no {part!r} (there: {there})")
    if isinstance(node, dict | list):
        raise KeyError(f"output {path!r} is a {type(node).__name__}, not one value; name a value inside it")
    return node


def run_row(task: SweepTask, inputs: dict[str, Any]) -> dict[str, Any]:
    """One row: the inputs, each output (None where the row failed) and ``error`` (None when it ran).
    Pure: the same inputs give the same row wherever it runs."""
    row: dict[str, Any] = dict(inputs)
    row.update({out: None for out in task.outputs})
    try:
        programme = with_inputs(task.programme, inputs)
        extra = options_from(inputs)
        results = {name: _analysis_json(programme, name, {**opts.model_dump(), **extra.get(name, {})})
                   for name, opts in task.run.items()}
        for out in task.outputs:
            row[out] = read_output(results, out)
        row["error"] = None
    except (RackforgeError, ValueError, KeyError) as exc:
        row["error"] = (exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)).strip()
    return row


def row_key(inputs: dict[str, Any], fingerprint: str) -> str:
    """The checkpoint key of a row: a digest of its inputs and the sweep's ``fingerprint``."""
    text = json.dumps({"inputs": inputs, "sweep": fingerprint}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def fingerprint(spec: SweepSpec, programme: Programme) -> str:
    """What a finished row depends on besides its inputs: the analyses, options, outputs and programme."""
    text = json.dumps({"run": {k: v.model_dump() for k, v in spec.run.items()}, "outputs": list(spec.outputs),
                       "programme": programme.model_dump_json()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def read_checkpoint(path: Path) -> dict[str, dict[str, Any]]:
    """Rows already finished, by key (a torn last line, from an interrupted write, is ignored)."""
    done: dict[str, dict[str, Any]] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and "key" in record and "row" in record:
            done[str(record["key"])] = record["row"]
    return done


def run_rows(programme: Programme, spec: SweepSpec, rows: Sequence[dict[str, Any]], checkpoint: Path | None,
             progress: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
    """Every row, in order: taken from ``checkpoint`` when finished before, else run on the task map in
    force and appended to it."""
    from rackforge.core.parallel import current_task_map

    print_key = fingerprint(spec, programme)
    keys = [row_key(r, print_key) for r in rows]
    done = read_checkpoint(checkpoint) if checkpoint is not None else {}
    todo = [r for r, k in zip(rows, keys, strict=True) if k not in done]
    if progress is not None and len(todo) < len(rows):
        progress(len(rows) - len(todo))
    task = SweepTask(programme, {str(k): v for k, v in spec.run.items()}, spec.outputs)
    fresh = current_task_map().map_ordered(run_row, todo, shared=task)
    log = checkpoint.open("a", encoding="utf-8") if checkpoint is not None else None
    try:
        for key in keys:
            if key in done:
                yield done[key]
                continue
            row = next(fresh)
            if log is not None:
                log.write(json.dumps({"key": key, "row": row}, default=str) + "\n")
                log.flush()
            if progress is not None:
                progress(1)
            yield row
    finally:
        close = getattr(fresh, "close", None)
        if close is not None:  # stops a cluster map's pending tasks when the caller stops early
            close()
        if log is not None:
            log.close()


def rows_frame(rows: Sequence[dict[str, Any]], spec: SweepSpec) -> pd.DataFrame:
    """The tidy table: a ``run`` number, the inputs, the outputs, ``error``."""
    import pandas as pd

    columns = ["run", *(i.field for i in spec.inputs), *spec.outputs, "error"]
    frame = pd.DataFrame([{"run": n, **r} for n, r in enumerate(rows)], columns=columns)
    for out in spec.outputs:  # numeric outputs as numbers (None: NaN), others as text
        numeric = pd.to_numeric(frame[out], errors="coerce")
        if numeric.notna().sum() == frame[out].notna().sum():
            frame[out] = numeric
    return frame


def write_table(frame: pd.DataFrame, folder: Path) -> list[Path]:
    """``rows.parquet`` and ``rows.csv`` in ``folder``, each written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from rackforge.io.files import atomic_path, atomic_write_text
    from rackforge.io.spreadsheets import escape_frame

    parquet, csv = folder / "rows.parquet", folder / "rows.csv"
    table = pa.Table.from_pandas(frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}),
                                 preserve_index=False)
    with atomic_path(parquet) as tmp:
        pq.write_table(table, tmp)
    atomic_write_text(csv, escape_frame(frame).to_csv(index=False))
    return [parquet, csv]
