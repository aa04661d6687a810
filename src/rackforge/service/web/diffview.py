"""The API's revision diff (:func:`rackforge.service.diff.revision_diff`) as rows for a side-by-side page:
the older revision's value on the left, the newer one's on the right."""

from __future__ import annotations

from typing import Any


def diff_rows(diff: dict[str, Any]) -> dict[str, Any]:
    """``rows``: one per added or removed record and per changed field (section, record, field, old, new,
    kind); ``figures``: each key figure's old, new and change (None until both revisions have an assess
    run); ``files``: files added, removed, changed."""
    rows: list[dict[str, Any]] = []
    for section, entry in diff.get("sections", {}).items():
        for key in entry.get("added", []):
            rows.append({"kind": "added", "section": section, "record": key, "field": "", "old": "",
                         "new": "added"})
        for key in entry.get("removed", []):
            rows.append({"kind": "removed", "section": section, "record": key, "field": "", "old": "present",
                         "new": "removed"})
        for key, fields in entry.get("changed", {}).items():
            for f in fields:
                rows.append({"kind": "changed", "section": section, "record": key, "field": f["field"],
                             "old": _shown(f["old"]), "new": _shown(f["new"])})
    figures = diff.get("key_figures")
    return {"rows": rows, "files": diff.get("files", {}),
            "figures": None if figures is None else [{"name": k, **v} for k, v in figures.items()],
            "figure_runs": diff.get("key_figures_runs", {})}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.6g}"
    return str(value)
