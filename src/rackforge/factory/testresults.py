"""Per-rack-serial test results: import (CSV or JSON), validate, and report.

Format (docs/factory.md, "Test results"): one record per test attempt of a rack at a station.

============  ========  ===========================================================
column        required  value
============  ========  ===========================================================
serial        yes       rack serial number (any text without spaces)
design        yes       design id (checked against the programme when one is given)
station       yes       station id (checked against the factory when one is given)
attempt       yes       1 for the first attempt at that station, then 2, 3, ...
result        yes       ``pass`` or ``fail``
failure_mode  on fail   failure mode id; must be empty on a pass
started       yes       ISO 8601 date-time, e.g. 2027-03-02T08:15:00
duration_h    no        test duration in hours (a number, or with a unit: "90 min")
============  ========  ===========================================================

CSV files have a header row; JSON files hold a list of objects (or ``{"results": [...]}``).
Every row is checked before anything is kept: a bad row raises :class:`InputError` listing each
problem with file, line and column, and nothing is loaded.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rackforge.errors import InputError, Problem, did_you_mean, valid_list
from rackforge.io.spreadsheets import escape_cell, unescape_csv_cell
from rackforge.io.yaml import read_text
from rackforge.units import parse_quantity

if TYPE_CHECKING:
    import pandas as pd

    from rackforge.schema import Programme

COLUMNS = ("serial", "design", "station", "attempt", "result", "failure_mode", "started", "duration_h")
REQUIRED = ("serial", "design", "station", "attempt", "result", "started")
MAX_PROBLEMS = 50
_SERIAL = re.compile(r"^\S{1,80}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class TestRecord:
    """One attempt of one rack at one station."""

    __test__ = False  # not a pytest test class

    serial: str
    design: str
    station: str
    attempt: int
    passed: bool
    failure_mode: str | None
    started: dt.datetime
    duration_h: float | None
    line: int | None = None


def _rows_csv(text: str, name: str) -> tuple[list[dict[str, Any]], list[int | None], list[Problem]]:
    reader = csv.reader(io.StringIO(text))
    rows: list[dict[str, Any]] = []
    lines: list[int | None] = []
    problems: list[Problem] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [Problem(name, None, "", "file is empty; give a header row and one row per test attempt")]
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in COLUMNS]
    for h in unknown:
        problems.append(Problem(name, 1, h, f"unknown column {h!r}{did_you_mean(h, COLUMNS)}; {valid_list(COLUMNS)}"))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(Problem(name, 1, "", f"missing column(s) {', '.join(missing)}; "
                                f"required: {', '.join(REQUIRED)}"))
    if problems:
        return [], [], problems
    line = 1
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(Problem(name, line, "", f"{len(record)} values for {len(header)} columns"))
            continue
        rows.append(dict(zip(header, (unescape_csv_cell(cell) for cell in record), strict=True)))
        lines.append(line)
    return rows, lines, problems


def _rows_json(text: str, name: str) -> tuple[list[dict[str, Any]], list[int | None], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [], [Problem(name, exc.lineno, "", f"malformed JSON: {exc.msg}")]
    except RecursionError:  # "[[[[…" thousands deep: Python's parser gives up before the file ends
        return [], [], [Problem(name, 1, "", "lists or objects nested thousands of levels deep; expected a list "
                                "of result objects or {\"results\": [...]}")]
    if isinstance(data, dict) and "results" in data:
        data = data["results"]
    if not isinstance(data, list):
        return [], [], [Problem(name, 1, "", "expected a list of result objects or {\"results\": [...]}")]
    lines = _json_item_lines(text, len(data))
    rows: list[dict[str, Any]] = []
    row_lines: list[int | None] = []  # the line of each row kept (items that are not objects are not)
    problems: list[Problem] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            problems.append(Problem(name, lines[i], f"[{i}]", "each result must be an object"))
            continue
        unknown = [k for k in item if k not in COLUMNS]
        for k in unknown:
            problems.append(Problem(name, lines[i], f"[{i}].{k}", f"unknown field {k!r}{did_you_mean(k, COLUMNS)}"))
        rows.append({k: "" if v is None else v for k, v in item.items()})
        row_lines.append(lines[i])
    return rows, row_lines, problems


def _json_item_lines(text: str, count: int) -> list[int | None]:
    """Line of each top-level list item (via the YAML line map; JSON is YAML), or None."""
    from rackforge.io.yaml import parse_yaml

    try:
        data, lines = parse_yaml(text, "json")
    except InputError:
        return [None] * count
    prefix: tuple[str | int, ...] = ("results",) if isinstance(data, dict) else ()
    return [lines.lines.get((*prefix, i)) for i in range(count)]


def parse_results(path: Path, programme: Programme | None = None) -> list[TestRecord]:
    """Read and validate a results file; raises :class:`InputError` with every problem (nothing half-loaded)."""
    name = str(path)
    text = read_text(path, name)
    if path.suffix.lower() == ".json":
        rows, lines, problems = _rows_json(text, name)
        where = "json"
    elif path.suffix.lower() == ".csv":
        rows, lines, problems = _rows_csv(text, name)
        where = "csv"
    else:
        raise InputError([Problem(name, None, "", "test results must be a .csv or .json file")])
    designs = set(programme.catalog.designs) if programme is not None else None
    stations = ({s.id for s in programme.factory.stations}
                if programme is not None and programme.factory is not None else None)
    records: list[TestRecord] = []
    for index, (row, line) in enumerate(zip(rows, lines, strict=True)):
        prefix = f"[{index}]." if where == "json" else ""
        record, row_problems = _record(row, line, name, prefix, designs, stations)
        problems.extend(row_problems)
        if record is not None:
            records.append(record)
    if not problems:
        problems.extend(_sequence_problems(records, name))
    if not problems and not records:
        problems.append(Problem(name, None, "", "no result rows"))
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(Problem(name, None, "", f"… and {len(problems) - MAX_PROBLEMS} more problems"))
        raise InputError(shown)
    return records


def _record(row: dict[str, Any], line: int | None, name: str, prefix: str, designs: set[str] | None,
            stations: set[str] | None) -> tuple[TestRecord | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(column: str, message: str) -> None:
        problems.append(Problem(name, line, prefix + column, message))

    def text(column: str) -> str:
        value = row.get(column, "")
        return str(value).strip()

    for column in REQUIRED:
        if text(column) == "":
            bad(column, "required value is empty")
    serial, design, station = text("serial"), text("design"), text("station")
    if serial and not _SERIAL.match(serial):
        bad("serial", f"{serial!r} is not a serial number (no spaces, at most 80 characters)")
    for column, value, known in (("design", design, designs), ("station", station, stations)):
        if not value:
            continue
        if not _ID.match(value):
            bad(column, f"{value!r} is not an id (lower-case letters, digits, '-', '_', '.')")
        elif known is not None and value not in known:
            bad(column, f"unknown {column} {value!r}{did_you_mean(value, known) or '; ' + valid_list(known)}")
    attempt: int | None = None
    raw_attempt = text("attempt")
    if raw_attempt:
        try:
            attempt = int(raw_attempt)
            if attempt < 1:
                raise ValueError
        except ValueError:
            bad("attempt", f"{raw_attempt!r} is not a whole number of 1 or more")
            attempt = None
    result = text("result").lower()
    if result and result not in ("pass", "fail"):
        bad("result", f"{text('result')!r} is not a result; valid: pass, fail")
    mode = text("failure_mode")
    if result == "fail" and not mode:
        bad("failure_mode", "a failed attempt needs its failure mode")
    if result == "pass" and mode:
        bad("failure_mode", f"a passed attempt has no failure mode (got {mode!r})")
    if mode and not _ID.match(mode):
        bad("failure_mode", f"{mode!r} is not an id (lower-case letters, digits, '-', '_', '.')")
    started: dt.datetime | None = None
    raw_started = text("started")
    if raw_started:
        try:
            started = dt.datetime.fromisoformat(raw_started.replace("Z", "+00:00"))
            if started.tzinfo is not None:
                started = started.astimezone(dt.UTC).replace(tzinfo=None)
        except ValueError:
            bad("started", f"{raw_started!r} is not an ISO 8601 date-time (e.g. 2027-03-02T08:15:00)")
    duration: float | None = None
    raw_duration = row.get("duration_h", "")
    if str(raw_duration).strip() != "":
        try:
            quantity: Any = raw_duration if isinstance(raw_duration, int | float) else str(raw_duration).strip()
            if isinstance(quantity, str):
                with contextlib.suppress(ValueError):
                    quantity = float(quantity)
            duration = parse_quantity(quantity, "h")
            if duration < 0:
                raise ValueError("a duration cannot be negative")
        except ValueError as exc:
            bad("duration_h", f"{raw_duration!r}: {exc}")
            duration = None
    if problems or attempt is None or started is None:
        return None, problems
    return TestRecord(serial, design, station, attempt, result == "pass", mode or None, started, duration, line), []


def _sequence_problems(records: list[TestRecord], name: str) -> list[Problem]:
    """Each (serial, station) has attempts 1..n once each, nothing after a pass, one design per serial."""
    problems: list[Problem] = []
    by_key: dict[tuple[str, str], list[TestRecord]] = {}
    design_of: dict[str, TestRecord] = {}
    for r in records:
        by_key.setdefault((r.serial, r.station), []).append(r)
        first = design_of.setdefault(r.serial, r)
        if first.design != r.design:
            problems.append(Problem(name, r.line, "design", f"serial {r.serial} is {first.design!r} on line "
                                    f"{first.line} but {r.design!r} here"))
    for (serial, station), group in by_key.items():
        group.sort(key=lambda r: (r.attempt, r.line or 0))
        seen: set[int] = set()
        for r in group:
            if r.attempt in seen:
                problems.append(Problem(name, r.line, "attempt", f"serial {serial} at {station}: attempt {r.attempt} "
                                        "given twice"))
            seen.add(r.attempt)
        attempts = sorted(seen)
        if attempts != list(range(1, len(attempts) + 1)):
            problems.append(Problem(name, group[-1].line, "attempt", f"serial {serial} at {station}: attempts "
                                    f"{attempts} skip a number; they count 1, 2, 3, ..."))
        passes = [r for r in group if r.passed]
        if passes and passes[0].attempt != max(attempts):
            problems.append(Problem(name, passes[0].line, "result", f"serial {serial} at {station}: attempt "
                                    f"{passes[0].attempt} passed but later attempts follow"))
    return problems


# --------------------------------------------------------------------------------------------
# report


@dataclass(frozen=True)
class TestReport:
    """Yields, failure Paretos and the weekly trend of a set of test results."""

    __test__ = False  # not a pytest test class

    file: str
    serials: int
    attempts: int
    yield_: float
    first_pass_yield: float
    by_station: pd.DataFrame
    pareto_modes: pd.DataFrame
    pareto_stations: pd.DataFrame
    weekly: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.reset_index().to_json(orient="records"))

        return {"file": self.file, "serials": self.serials, "attempts": self.attempts,
                "yield": round(self.yield_, 6), "first_pass_yield": round(self.first_pass_yield, 6),
                "by_station": records(self.by_station), "pareto_modes": records(self.pareto_modes),
                "pareto_stations": records(self.pareto_stations), "weekly": records(self.weekly)}


def report(records: list[TestRecord], file: str = "") -> TestReport:
    """Yield, first-pass yield, Pareto of failures by mode and by station, and weekly trend.

    - yield: share of serials whose last attempt at every station they visited passed;
    - first-pass yield: share of serials that never failed an attempt;
    - per station: first-pass yield (first attempts passed / first attempts) and final yield;
    - Pareto: failed attempts per mode (and per station), descending, with cumulative share;
    - weekly: by ISO week (Monday) of each serial's first test: serials, first-pass yield, failures.
    """
    import pandas as pd

    frame = pd.DataFrame([{"serial": r.serial, "design": r.design, "station": r.station, "attempt": r.attempt,
                           "passed": r.passed, "failure_mode": r.failure_mode, "started": r.started,
                           "duration_h": r.duration_h} for r in records])
    last = frame.sort_values("attempt").groupby(["serial", "station"]).tail(1)
    serial_final = last.groupby("serial")["passed"].all()
    serial_clean = frame.groupby("serial")["passed"].all()
    first = frame[frame["attempt"] == 1]
    by_station = pd.DataFrame({
        "serials": first.groupby("station")["serial"].nunique(),
        "first_pass_yield": first.groupby("station")["passed"].mean(),
        "final_yield": last.groupby("station")["passed"].mean(),
        "failures": frame[~frame["passed"]].groupby("station").size(),
        "mean_duration_h": frame.groupby("station")["duration_h"].mean(),
    }).fillna({"failures": 0}).astype({"failures": int})
    fails = frame[~frame["passed"]]

    def pareto(keys: list[str]) -> pd.DataFrame:
        if fails.empty:
            return pd.DataFrame(columns=[*keys, "failures", "share", "cumulative_share"]).set_index(keys)
        counts = fails.groupby(keys).size().sort_values(ascending=False).rename("failures").to_frame()
        counts["share"] = counts["failures"] / counts["failures"].sum()
        counts["cumulative_share"] = counts["share"].cumsum()
        return counts

    start = frame.groupby("serial")["started"].min()
    week = (start - pd.to_timedelta(start.dt.day_of_week, unit="D")).dt.normalize().rename("week")
    weekly = pd.DataFrame({"serials": week.groupby(week).size(),
                           "first_pass_yield": serial_clean.groupby(week).mean(),
                           "yield": serial_final.groupby(week).mean()})
    weekly["failures"] = fails.assign(week=fails["serial"].map(week)).groupby("week").size()
    weekly = weekly.fillna({"failures": 0}).astype({"failures": int})
    weekly.index = pd.DatetimeIndex(weekly.index).strftime("%Y-%m-%d")
    return TestReport(file=file, serials=int(frame["serial"].nunique()), attempts=len(frame),
                      yield_=float(serial_final.mean()), first_pass_yield=float(serial_clean.mean()),
                      by_station=by_station, pareto_modes=pareto(["failure_mode"]),
                      pareto_stations=pareto(["station", "failure_mode"]), weekly=weekly)


def write_normalised_csv(records: list[TestRecord], target: Path) -> None:
    """Write validated records as CSV (the documented columns), atomically."""
    from rackforge.io.files import atomic_write_text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in records:  # text that a spreadsheet would run as a formula is escaped (read back by _rows_csv)
        writer.writerow([escape_cell(v) for v in (
            r.serial, r.design, r.station, r.attempt, "pass" if r.passed else "fail", r.failure_mode or "",
            r.started.isoformat(), "" if r.duration_h is None else r.duration_h)])
    atomic_write_text(target, out.getvalue())
