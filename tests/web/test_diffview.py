"""The diff page's rows from the API's diff: older value left, newer right, one row per change."""

from __future__ import annotations

from rackforge.service.web.diffview import diff_rows


def test_rows_of_added_removed_and_changed_records_and_the_figures() -> None:
    diff = {"from": 1, "to": 2, "files": {"added": [], "removed": [], "changed": ["sources.yaml"]},
            "sections": {"sources": {"added": ["gpu@tw"], "removed": ["shelf@mx"],
                                     "changed": {"plate@us": [{"field": "price_usd", "old": 300, "new": 320.5},
                                                              {"field": "moq", "old": None, "new": 10}]}}},
            "key_figures": {"programme_capital": {"old": 2.0e6, "new": 2.1e6, "change": 1.0e5, "unit": "USD"}},
            "key_figures_runs": {"from": 3, "to": 4}}
    view = diff_rows(diff)
    assert [(r["kind"], r["record"], r["field"], r["old"], r["new"]) for r in view["rows"]] == [
        ("added", "gpu@tw", "", "", "added"), ("removed", "shelf@mx", "", "present", "removed"),
        ("changed", "plate@us", "price_usd", "300", "320.5"), ("changed", "plate@us", "moq", "—", "10")]
    assert view["figures"] == [{"name": "programme_capital", "old": 2.0e6, "new": 2.1e6, "change": 1.0e5,
                                "unit": "USD"}]
    assert diff_rows({**diff, "key_figures": None})["figures"] is None
