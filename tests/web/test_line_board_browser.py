"""The line board in chromium against a real server: it changes within 2 s of a posted event, shows
"stale since hh:mm" (keeping the last state) when the server is cut off, and recovers by itself when it
is back; screenshots at both panel sizes, axe-core, and touch targets of at least 10 mm."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from liveserver import LiveServer
from playwright.sync_api import expect
from webcheck import axe_violations, need_browser, screenshots, sign_in, small_targets

CHANGE_WITHIN_MS = 2000


@pytest.fixture(scope="module")
def line_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    need_browser()
    server = LiveServer(tmp_path_factory.mktemp("line") / "data")
    server.prepare()
    server.start()
    try:
        server.seed()
        yield server
    finally:
        server.stop()


def wip(page: Any, station: str) -> str:
    return str(page.text_content(f"#station-{station} .fig-wip .value"))


def test_board_follows_the_line_goes_stale_and_recovers(browser: Any, line_server: LiveServer, artifacts: Path) -> None:
    server = line_server
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    errors: list[str] = []
    expected_while_cut = ("ERR_CONNECTION_REFUSED", "ERR_INCOMPLETE_CHUNKED_ENCODING")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not any(e in m.text for e in expected_while_cut) else None)
    sign_in(page, server.url, "vic")  # a viewer may watch the board
    page.goto(f"{server.url}/line/{server.programme_id}")
    expect(page.locator("#conn")).to_have_text("live", timeout=10_000)
    assert wip(page, "leak-rig") == "0"

    server.post_events([{"station": "leak-rig", "status": "start", "serial": "HOU-GB3-0007",
                         "time": "2027-03-03T08:00:00"},
                        {"station": "l10-cell", "status": "start", "serial": "HOU-GB3-0008",
                         "time": "2027-03-03T06:00:00"},
                        {"station": "l10-cell", "status": "finish", "serial": "HOU-GB3-0008",
                         "time": "2027-03-03T09:00:00"}])
    expect(page.locator("#station-leak-rig .fig-wip .value")).to_have_text("1", timeout=CHANGE_WITHIN_MS)
    assert "HOU-GB3-0007" in str(page.text_content("#station-leak-rig .fig-wip .sub"))
    assert str(page.text_content("#station-l10-cell .fig-done .value")).startswith("1\u2009/\u2009")

    server.post_events([{"station": "burn-in-bay", "status": "down", "time": "2027-03-03T09:30:00"}])
    page.wait_for_selector("#andon .andon-item.down", timeout=CHANGE_WITHIN_MS)
    assert "burn-in-bay" in str(page.text_content("#andon .andon-item.down"))
    assert "down" in str(page.get_attribute("#station-burn-in-bay", "class"))
    assert page.text_content("#line-time") == "09:30"

    shots = screenshots(page, artifacts, "line-board")
    assert all(p.stat().st_size > 10_000 for p in shots)
    page.set_viewport_size({"width": 1280, "height": 800})
    assert axe_violations(page) == []
    assert small_targets(page, "a, button, input, select") == []
    # the fixed layout: every station card fits on the panel without scrolling
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight")

    server.stop()  # the connection is cut
    page.wait_for_selector("#stale", state="visible", timeout=5_000)
    assert re.fullmatch(r"\d\d:\d\d", str(page.text_content("#stale-since")))
    assert wip(page, "leak-rig") == "1"  # the last state stays on the screen
    screenshots(page, artifacts, "line-board-stale")

    server.start()  # back: the page reconnects by itself
    page.wait_for_selector("#stale", state="hidden", timeout=10_000)
    server.post_events([{"station": "leak-rig", "status": "finish", "serial": "HOU-GB3-0007",
                         "time": "2027-03-03T10:00:00"}])
    expect(page.locator("#station-leak-rig .fig-wip .value")).to_have_text("0", timeout=CHANGE_WITHIN_MS)
    assert errors == []
    page.close()


def test_station_view_and_kiosk_mode(browser: Any, line_server: LiveServer, artifacts: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, line_server.url, "vic")
    page.goto(f"{line_server.url}/line/{line_server.programme_id}?station=leak-rig&kiosk=1")
    page.wait_for_selector("#station-leak-rig")
    assert page.query_selector_all(".card") and len(page.query_selector_all(".card")) == 1
    assert page.query_selector("nav") is None and page.query_selector("a") is None  # kiosk: no navigation
    screenshots(page, artifacts, "line-board-station-kiosk")
    assert axe_violations(page) == []
    page.close()
