"""Run every available section on a programme and build results.json."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rackforge import __version__
from rackforge.report.framework import AssessContext, AssessOptions, Section, SectionOutput

if TYPE_CHECKING:
    from rackforge.schema import Programme

RESULTS_SCHEMA_VERSION = "1.0"
RESULTS_SCHEMA_ID = "https://rackforge.dev/schemas/results-1.0.json"

Progress = Callable[[str, str, int, int], None]
"""progress(event, text, index, total) with event 'start' or 'done' (text: the section's title) or 'step'
(text: the section's title and where it is, from :attr:`AssessContext.progress`)."""


@dataclass
class AssessmentRun:
    """Everything one run of ``rackforge assess`` produced."""

    programme: Programme
    options: AssessOptions
    sections: list[tuple[Section, SectionOutput]]
    absent: list[dict[str, str]]
    results: dict[str, Any] = field(default_factory=dict)
    timings_s: dict[str, float] = field(default_factory=dict)

    @property
    def skipped(self) -> list[dict[str, str]]:
        """Sections that ran but are not assessed: they failed or ran past their time budget."""
        return [a for a in self.absent if "status" in a]


class SectionOutOfTime(BaseException):
    """A section ran past its time budget (a BaseException, like KeyboardInterrupt, so that analysis code
    catching ``Exception`` cannot swallow it)."""


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`SectionOutOfTime` in the block once ``seconds`` [s] have passed.

    Uses the interval timer (``SIGALRM``), so it works in the main thread of a POSIX process; it
    interrupts Python code, and a solver call as soon as it returns (the optimiser's solves have their
    own time limit, derived from the same budget). Elsewhere (other threads, Windows) the block runs
    to its end and :func:`run_section` checks the time afterwards.
    """
    import signal
    import threading

    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and math.isfinite(seconds))
    if not usable:
        yield
        return

    def out_of_time(_signum: int, _frame: Any) -> None:
        raise SectionOutOfTime

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def run_section(section: Section, ctx: AssessContext, budget_s: float) -> tuple[SectionOutput | None, str | None,
                                                                                str | None]:
    """Run one section within ``budget_s`` [s]: (output, None, None), or (None, status, reason) when it
    is not assessed: status ``failed`` (it raised; the reason names the error) or ``out of time``.

    Bad input (:class:`~rackforge.errors.InputError`, :class:`~rackforge.errors.UsageError`) is not
    caught: it stops the whole run, as the input checks before any section do.
    """
    import time

    from rackforge.errors import InputError, UsageError

    start = time.perf_counter()
    try:
        with time_budget(budget_s):
            output = section.run(ctx)
    except (InputError, UsageError):
        raise
    except SectionOutOfTime:
        return None, "out of time", out_of_time_reason(budget_s)
    except Exception as exc:  # any failure of one analysis leaves the others standing
        return None, "failed", failure_reason(exc)
    if time.perf_counter() - start > budget_s:
        return None, "out of time", out_of_time_reason(budget_s)
    return output, None, None


def out_of_time_reason(budget_s: float) -> str:
    """Why a section past its budget is not assessed, in words."""
    return (f"not assessed: ran past its time budget of {budget_s:g} s "
            "(rackforge assess --section-budget gives sections more time)")


def failure_reason(exc: BaseException) -> str:
    """Why a section that raised is not assessed: the error's kind and message, on one line."""
    message = " ".join(str(exc).split()) or "no message"
    if len(message) > 300:
        message = message[:297] + "..."
    return f"not assessed: the analysis failed ({type(exc).__name__}: {message})"


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
    """Run each available section in order; sections share results through the context.

    Every section's input is checked first (bad input raises before any analysis runs). A section
    that then raises, or runs past ``options.section_budget_s``, is listed under ``absent`` with a
    ``status`` (``failed`` / ``out of time``) and the reason, and the others still run (a later section
    that needs its results fails in turn, with its own reason).
    """
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
            ctx.progress = _step_reporter(progress, section.title, i, len(runnable))
        reset_solver_threads()
        start = time.perf_counter()
        output, status, reason = run_section(section, ctx, options.section_budget_s)
        timings[section.key] = time.perf_counter() - start
        if output is None:
            absent.append({"key": section.key, "title": section.title, "reason": reason or "", "status": status or ""})
        else:
            ctx.outputs[section.key] = output
            ctx.analyses.update(output.analyses)
            done.append((section, output))
        if progress:
            progress("done", section.title, i + 1, len(runnable))
    results = build_results(programme, options, done, absent, generated)
    results["executive_summary"] = executive_summary(results)
    return AssessmentRun(programme, options, done, absent, results, timings)


def _step_reporter(progress: Progress, title: str, index: int, total: int) -> Callable[[str], None]:
    """A section's sub-progress callback: ``progress("step", "<title> — <text>", index, total)``, the title
    cut after its question mark so that the step fits a terminal line ("Which sourcing mix? — …")."""
    short = title.split("?", 1)[0] + "?" if "?" in title else title

    def step(text: str) -> None:
        progress("step", f"{short} — {text}", index, total)
    return step


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
        "options": {"monte_carlo_scenarios": options.scenarios, "seed": options.seed,
                    "section_budget_s": options.section_budget_s, "optimizer_gap": options.optimizer_gap,
                    "optimizer_time_limit_s": options.optimizer_time_limit_s},
        "sections": {s.key: {"title": s.title, "question": s.question, **out.data, "notes": out.notes}
                     for s, out in done},
        "absent": absent,
    })
