"""Analysis workers: threads that take runs from the queue and run them through the same code as the CLI.

A run's files are written into a temporary folder and loaded with the CLI's loader; ``assess`` runs
:func:`rackforge.report.assess.run_assessment` and keeps results.json and report.html exactly as
``rackforge assess`` writes them; every other analysis is :func:`rackforge.answers.answer`, the JSON the
command prints with ``--json``. While it runs, a heartbeat renews the lease and records progress.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy import select

from rackforge.answers import Options, parse_options
from rackforge.errors import RackforgeError, UsageError
from rackforge.report.framework import SECTION_BUDGET_S, AssessOptions
from rackforge.resilience.defaults import MONTE_CARLO_SCENARIOS, MONTE_CARLO_SEED
from rackforge.service import queue
from rackforge.service.db import Database
from rackforge.service.models import Revision, Run
from rackforge.service.programmes import revision_files
from rackforge.service.settings import Settings
from rackforge.service.uploads import load_in, programme_folder

log = logging.getLogger("rackforge.service.worker")


@dataclass
class Outcome:
    """What a run produced: results JSON text (None when it failed), the report, exit status, error."""

    results: str | None
    report_html: str | None = None
    exit_status: int = 0
    error: str | None = None


def execute(analysis: str, files: dict[str, str], options: dict[str, Any],
            progress: Callable[[float], None]) -> Outcome:
    """Run ``analysis`` on a revision's ``files`` with ``options``; input errors and failed checks are
    outcomes (as the CLI's exit statuses 2 and 1), not exceptions."""
    from rackforge.answers import answer, json_text

    try:
        with programme_folder(files) as root:
            programme = load_in(root)
            if analysis == "assess":
                return _assess(programme, options, progress)
            result = answer(analysis, programme, options, progress)
        return Outcome(json_text(result.data), exit_status=1 if result.failed else 0, error=result.failed)
    except RackforgeError as exc:
        return Outcome(None, exit_status=exc.exit_code, error=str(exc))


class AssessRunOptions(Options):
    """``rackforge assess`` options (CLI names); defaults from :class:`~rackforge.report.framework.AssessOptions`."""

    scenarios: int = Field(MONTE_CARLO_SCENARIOS, ge=1, le=1_000_000)
    seed: int = Field(MONTE_CARLO_SEED, ge=0)
    section_budget: float = Field(SECTION_BUDGET_S, gt=0, le=24 * 3600)
    gap: float | None = Field(None, ge=0, lt=1)
    time_limit: float | None = Field(None, gt=0, le=3600)


def checked_options(analysis: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` checked for ``analysis`` and written out in full (defaults filled in), so two requests
    that mean the same run have the same options; a UsageError names each bad option."""
    if analysis != "assess":
        return parse_options(analysis, options).model_dump(mode="json")
    try:
        return AssessRunOptions.model_validate(dict(options)).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'options'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"options of assess: {problems}") from None


def assess_options(options: Mapping[str, Any]) -> AssessOptions:
    """Checked assess options as the report's :class:`~rackforge.report.framework.AssessOptions`."""
    o = AssessRunOptions.model_validate(dict(options))
    return AssessOptions(scenarios=o.scenarios, seed=o.seed, section_budget_s=o.section_budget,
                         optimizer_gap=o.gap, optimizer_time_limit_s=o.time_limit)


def _assess(programme: Any, options: dict[str, Any], progress: Callable[[float], None]) -> Outcome:
    from rackforge.report.assess import check_inputs, run_assessment
    from rackforge.report.html import render_html
    from rackforge.report.write import results_json_text

    check_inputs(programme)

    def report(event: str, _title: str, index: int, total: int) -> None:
        progress(index / max(total, 1))

    assessment = run_assessment(programme, assess_options(options), progress=report)
    skipped = "; ".join(f"{s['title']}: {s['reason']}" for s in assessment.skipped) or None
    return Outcome(results_json_text(assessment.results), render_html(assessment), 4 if skipped else 0, skipped)


class Worker:
    """One worker thread's loop: recover expired leases, claim, run with a heartbeat, finish."""

    def __init__(self, db: Database, settings: Settings, stop: threading.Event, index: int = 0) -> None:
        self.db, self.settings, self.stop = db, settings, stop
        self.name = queue.worker_name(index)

    def run_forever(self) -> None:
        """Work until ``stop`` is set; an unexpected error in one run fails that run, not the thread."""
        dead: Callable[[str], bool] | None = queue.stopped_on_this_host  # at start-up: the last process's runs
        while not self.stop.is_set():
            try:
                queue.recover(self.db, self.settings.max_attempts, dead)
                dead = None
                if not self.run_one():
                    self.stop.wait(self.settings.poll_s)
            except Exception:  # the database went away for a moment: keep the thread alive
                log.exception("worker %s: queue step failed; retrying", self.name)
                self.stop.wait(max(self.settings.poll_s, 1.0))

    def run_one(self) -> bool:
        """Claim and run one queued run; False when the queue was empty."""
        run_id = queue.claim(self.db, self.name, self.settings.lease_s)
        if run_id is None:
            return False
        with self.db.read() as session:
            run = session.get(Run, run_id)
            assert run is not None
            revision = session.get(Revision, run.revision_id)
            assert revision is not None
            files = revision_files(session, revision)
            analysis, options = run.analysis, json.loads(run.options)
        log.info("worker %s: run %d (%s) started", self.name, run_id, analysis)
        latest = [0.0]
        done = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(run_id, latest, done), daemon=True)
        beat.start()
        try:
            outcome = execute(analysis, files, options, lambda share: latest.__setitem__(0, min(max(share, 0.0), 1.0)))
        except Exception as exc:  # a bug in an analysis: the run fails with the reason, the worker goes on
            log.exception("worker %s: run %d failed", self.name, run_id)
            outcome = Outcome(None, exit_status=3, error=f"internal error: {type(exc).__name__}: {exc}"[:2000])
        finally:
            done.set()
            beat.join()
        stored = queue.finish(self.db, run_id, self.name, results=outcome.results, report_html=outcome.report_html,
                              exit_status=outcome.exit_status, error=outcome.error)
        log.info("worker %s: run %d %s", self.name, run_id,
                 ("done" if outcome.results is not None else "failed") if stored else "lost its lease; discarded")
        settle_garbage()  # what the analysis loaded (modules, caches) stays out of later collections
        return True

    def _heartbeat(self, run_id: int, latest: list[float], done: threading.Event) -> None:
        while not done.wait(self.settings.heartbeat_s):
            try:
                if not queue.heartbeat(self.db, run_id, self.name, self.settings.lease_s, latest[0]):
                    return
            except Exception:
                log.exception("worker %s: heartbeat of run %d failed", self.name, run_id)


def settle_garbage() -> None:
    """Collect every garbage object now, then move what is left (modules, the app, caches: about 80,000
    objects once the service has started) out of the garbage collector's view (:func:`gc.freeze`), so
    later full collections do not scan it again: one took 36 ms in a started service, a stall for every
    request in flight, and with it frozen the read API's p99 latency at 32 clients went from 103-120 ms
    to 47-70 ms on PostgreSQL (BENCHMARKS.md, "Shared service"). Called when the service has started and
    after each run (whose analysis loads more modules). What was frozen before is looked at again each
    time (:func:`gc.unfreeze` first), so nothing that has died since is kept; the cost is one full
    collection per run."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def start_workers(db: Database, settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    """Start ``settings.workers`` threads that take runs from the queue until ``stop`` is set."""
    threads = []
    for index in range(settings.workers):
        worker = Worker(db, settings, stop, index)
        thread = threading.Thread(target=worker.run_forever, name=f"rackforge-worker-{index}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def pending_runs(db: Database) -> int:
    """How many runs are queued or running (for tests and the benchmark)."""
    with db.read() as session:
        return len(session.scalars(select(Run.id).where(Run.status.in_(("queued", "running")))).all())
