"""Run every available section on a programme and build results.json."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge import __version__
from rackforge.report.framework import AssessContext, AssessOptions, Section, SectionOutput

if TYPE_CHECKING:
    from rackforge.schema import Programme

RESULTS_SCHEMA_VERSION = "1.0"
RESULTS_SCHEMA_ID = "https://rackforge.dev/schemas/results-1.0.json"

Progress = Callable[[str, str, int, int], None]
"""progress(event, section title, index, total) with event 'start' or 'done'."""


@dataclass
class AssessmentRun:
    """Everything one run of ``rackforge assess`` produced."""

    programme: Programme
    options: AssessOptions
    sections: list[tuple[Section, SectionOutput]]
    absent: list[dict[str, str]]
    results: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)


def to_jsonable(value: Any) -> Any:
    """Plain JSON data: dates as ISO text, numpy numbers as Python numbers, NaN and ±inf as null."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return to_jsonable(value.item())
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} into results.json")


def run_assessment(programme: Programme, options: AssessOptions | None = None,
                   sections: Sequence[Section] | None = None, progress: Progress | None = None,
                   generated: dt.datetime | None = None) -> AssessmentRun:
    """Run each available section in order; sections share results through the context."""
    import time

    from rackforge.report.sections import SECTIONS
    from rackforge.report.summary import executive_summary

    options = options or AssessOptions()
    chosen = list(SECTIONS if sections is None else sections)
    ctx = AssessContext(programme, options)
    absent: list[dict[str, str]] = []
    timings: dict[str, float] = {}
    runnable = []
    for section in chosen:
        reason = section.absent_reason(programme)
        if reason is None:
            runnable.append(section)
        else:
            absent.append({"key": section.key, "title": section.title, "reason": reason})
    check_inputs(programme, runnable)
    done: list[tuple[Section, SectionOutput]] = []
    for i, section in enumerate(runnable):
        if progress:
            progress("start", section.title, i, len(runnable))
        reset_solver_threads()
        start = time.perf_counter()
        output = section.run(ctx)
        timings[section.key] = time.perf_counter() - start
        ctx.outputs[section.key] = output
        ctx.analyses.update(output.analyses)
        done.append((section, output))
        if progress:
            progress("done", section.title, i + 1, len(runnable))
    results = build_results(programme, options, done, absent, generated)
    results["executive_summary"] = executive_summary(results)
    return AssessmentRun(programme, options, done, absent, results, timings)


def reset_solver_threads() -> None:
    """Release HiGHS's process-wide worker threads between sections.

    Analyses that solve through :mod:`rackforge.core.lp` already get a scheduler of the size they ask
    for (:func:`rackforge.core.lp.fit_thread_scheduler`); releasing it between sections also leaves
    no idle HiGHS workers behind a section and covers code that drives highspy directly.
    """
    from rackforge.core.lp import release_thread_scheduler

    release_thread_scheduler()


def check_inputs(programme: Programme, sections: Sequence[Section] | None = None) -> None:
    """Run every applicable section's input check, so bad input is reported before any analysis runs."""
    from rackforge.report.sections import SECTIONS

    for section in SECTIONS if sections is None else sections:
        if section.absent_reason(programme) is None:
            section.check(programme)


def build_results(programme: Programme, options: AssessOptions, done: list[tuple[Section, SectionOutput]],
                  absent: list[dict[str, str]], generated: dt.datetime | None = None) -> dict[str, Any]:
    """results.json without its executive summary."""
    when = generated or dt.datetime.now(dt.UTC).replace(microsecond=0)
    return to_jsonable({
        "$schema": RESULTS_SCHEMA_ID,
        "schema_version": RESULTS_SCHEMA_VERSION,
        "rackforge_version": __version__,
        "generated": when.isoformat(),
        "programme": {"name": programme.info.name, "folder": programme.root,
                      "designs": [d.id for d in programme.planned_designs],
                      "quarters": programme.build_plan.quarter_list},
        "options": {"monte_carlo_scenarios": options.scenarios, "seed": options.seed},
        "sections": {s.key: {"title": s.title, "question": s.question, **out.data, "notes": out.notes}
                     for s, out in done},
        "absent": absent,
    })
