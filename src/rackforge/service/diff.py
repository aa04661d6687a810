"""What changed between two revisions: records by section and id, fields with old and new values, and
the change in the key figures once both revisions have a finished assess run.

Records are read with the loader's own validation (:func:`rackforge.io.loader.collect`, without the
built-in catalog) and keyed by the loader's record keys (``SECTIONS[...].key``: a part's id, a source's
``part@site``, a lane's ``origin->destination``), so values are compared in canonical units (``10 kW``
and ``10000 W`` are the same) and a record moved to another file is not a change. Key figures are the
report's executive-summary facts (one definition, :mod:`rackforge.report.summary`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from rackforge.service.models import Revision, Run, RunStatus
from rackforge.service.programmes import revision_files
from rackforge.service.queue import run_output
from rackforge.service.uploads import programme_folder

KEY_FIGURES = ("programme_capital", "optimal_plan_cost", "domestic.", "mc_expected_value_short",
               "mc_probability_of_shortfall", "factory_racks_per_week")
"""Executive-summary facts compared between revisions: cost [USD], domestic content per design
[fraction], expected shortfall [USD] and its probability [fraction], factory throughput [racks/week].
A name ending in ``.`` takes every fact it starts (one per design)."""


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings and lists as ``{dotted.path: leaf}`` (list items by index)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out or ({prefix: {}} if prefix else {})
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
        return out or {prefix: []}
    return {prefix: value}


def sections_of(files: Mapping[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    """``{section: {record key: flattened fields}}`` of a revision's files (a single section's key is
    its name). Records the loader cannot read are left out (a stored revision always loads)."""
    from rackforge.io.loader import SECTIONS, collect

    with programme_folder(files) as root:
        collected = collect([(root, "")])
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for section, records in collected.records.items():
        spec = SECTIONS[section]
        keyed = out.setdefault(section, {})
        for index, record in enumerate(records):
            key = spec.key(record.value) if spec.key is not None else (section if not spec.many else str(index))
            keyed[key] = flatten(record.value.model_dump(mode="json", exclude_none=True))
    return out


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Fields whose value differs (or that exist on one side only), by field path."""
    return [{"field": f, "old": old.get(f), "new": new.get(f)}
            for f in sorted(set(old) | set(new)) if old.get(f) != new.get(f)]


def records_diff(old: Mapping[str, Mapping[str, Mapping[str, Any]]],
                 new: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per section that differs: ids added and removed, and each changed record's fields."""
    out: dict[str, dict[str, Any]] = {}
    for section in sorted(set(old) | set(new)):
        before, after = old.get(section, {}), new.get(section, {})
        changed = {key: changed_fields(before[key], after[key]) for key in sorted(set(before) & set(after))}
        entry = {"added": sorted(set(after) - set(before)), "removed": sorted(set(before) - set(after)),
                 "changed": {k: v for k, v in changed.items() if v}}
        if entry["added"] or entry["removed"] or entry["changed"]:
            out[section] = entry
    return out


def key_figures(results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The key figures of an assess results.json: ``{fact: {value, unit}}``."""
    facts = results.get("executive_summary", {}).get("facts", {})
    return {name: {"value": fact.get("value"), "unit": fact.get("unit", "")} for name, fact in facts.items()
            if any(name == k or (k.endswith(".") and name.startswith(k)) for k in KEY_FIGURES)}


def figures_diff(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Old, new and the change (new - old) of each key figure on both sides."""
    out = {}
    for name in sorted(set(old) | set(new)):
        a, b = old.get(name, {}).get("value"), new.get(name, {}).get("value")
        numeric = isinstance(a, int | float) and isinstance(b, int | float)
        out[name] = {"old": a, "new": b, "change": (b - a) if numeric else None,  # type: ignore[operator]
                     "unit": (new.get(name) or old.get(name) or {}).get("unit", "")}
    return out


def latest_assess(session: Session, revision: Revision) -> Run | None:
    """The revision's newest finished assess run, if any."""
    return session.scalar(select(Run).where(Run.revision_id == revision.id, Run.analysis == "assess",
                                            Run.status == RunStatus.DONE.value).order_by(Run.id.desc()).limit(1))


def _assess_figures(session: Session, run: Run) -> dict[str, dict[str, Any]]:
    return key_figures(json.loads(run_output(session, run.id).results or "{}"))


def revision_diff(session: Session, old: Revision, new: Revision) -> dict[str, Any]:
    """The API's diff of revision ``old`` → ``new`` (both of the same programme, already access-checked)."""
    old_files, new_files = revision_files(session, old), revision_files(session, new)
    files = {"added": sorted(set(new_files) - set(old_files)), "removed": sorted(set(old_files) - set(new_files)),
             "changed": sorted(p for p in set(old_files) & set(new_files) if old_files[p] != new_files[p])}
    figures: dict[str, Any] | None = None
    runs = latest_assess(session, old), latest_assess(session, new)
    if runs[0] is not None and runs[1] is not None:
        figures = figures_diff(_assess_figures(session, runs[0]), _assess_figures(session, runs[1]))
    return {"from": old.number, "to": new.number, "files": files,
            "sections": records_diff(sections_of(old_files), sections_of(new_files)),
            "key_figures": figures,
            "key_figures_runs": {"from": runs[0].id if runs[0] else None, "to": runs[1].id if runs[1] else None}}
