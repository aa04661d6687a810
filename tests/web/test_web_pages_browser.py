"""The team's pages in chromium against a real server: sign in, upload a spreadsheet with an error and
see it at its sheet, row and column, upload a good change, open the diff, start a run and watch its
progress reach done, open the report; screenshots at both sizes and axe-core on every page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from liveserver import LiveServer
from playwright.sync_api import expect
from webcheck import axe_violations, need_browser, screenshots, sign_in, small_targets

MINI = Path(__file__).parents[1] / "data" / "mini"
RUN_DONE_WITHIN_MS = 120_000


@pytest.fixture(scope="module")
def pages_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int]]:
    need_browser()
    server = LiveServer(tmp_path_factory.mktemp("pages") / "data")
    server.prepare()
    server.start()
    try:
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted(MINI.glob("*.yaml"))}
        created: Any = server.api("POST", "/api/programmes", {"name": "Mini rack programme", "files": files})
        yield server, int(created["id"])
    finally:
        server.stop()


def check_page(page: Any, artifacts: Path, name: str, iframes: bool = True) -> None:
    """Screenshots at both sizes, no serious axe violation, buttons and fields at least 10 mm."""
    screenshots(page, artifacts, name)
    assert axe_violations(page, iframes) == [], name
    assert small_targets(page, "button, input:not([type=hidden]), select") == [], name


def test_sign_in_upload_diff_run_report(browser: Any, pages_server: tuple[LiveServer, int], artifacts: Path,
                                        tmp_path: Path) -> None:
    server, pid = pages_server
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    expected = ("status of 401", "status of 422")  # the wrong password and the bad upload answer so, on purpose
    page.on("console", lambda m: errors.append(m.text) if m.type == "error"
            and not any(e in m.text for e in expected) else None)

    page.goto(server.url + f"/programmes/{pid}")
    expect(page).to_have_url(f"{server.url}/signin?next=/programmes/{pid}")  # not signed in: asked to
    page.fill("#name", "ann")
    page.fill("#password", "wrong")
    page.click("main button[type=submit]")
    expect(page.locator("p.error")).to_contain_text("wrong password")
    check_page(page, artifacts, "signin")
    sign_in(page, server.url)
    expect(page.locator("main table")).to_contain_text("Mini rack programme")
    check_page(page, artifacts, "programmes")

    # a spreadsheet whose third row has a bad price: the problem is shown at that row and column
    sheet = tmp_path / "new-sources.csv"
    sheet.write_text("part,site,price_usd,lead_time_weeks,capacity_per_quarter,source\n"
                     "mini-shelf,mini-acme-hsinchu,9100,12,40,estimate: second source quote\n"
                     "mini-cold-plate,mini-acme-hsinchu,cheap,8,500,estimate: second source quote\n",
                     encoding="utf-8")
    page.goto(server.url + f"/programmes/{pid}")
    page.set_input_files("#file", str(sheet))
    page.fill("#message", "second sources in Hsinchu")
    page.click("#upload-h ~ form button[type=submit]")
    rows = page.locator("#problems tbody tr")
    expect(rows.first).to_be_visible()
    cells = [c.strip() for c in rows.first.locator("td").all_text_contents()]
    assert cells[0] == "new-sources.csv" and cells[1] == "3" and "price_usd" in cells[2], cells
    assert "cheap" in cells[3]
    check_page(page, artifacts, "upload-error")

    # a good change to a programme file: revision 2
    sources = (MINI / "sources.yaml").read_text(encoding="utf-8").replace("price_usd: 300", "price_usd: 320")
    changed = tmp_path / "sources.yaml"
    changed.write_text(sources, encoding="utf-8")
    page.set_input_files("#file", str(changed))
    page.fill("#message", "cold plate quote 2027")
    page.click("#upload-h ~ form button[type=submit]")
    expect(page.locator("p.notice")).to_have_text("Saved revision 2.")
    check_page(page, artifacts, "programme")

    # the diff of revision 1 and 2, side by side
    page.select_option("#diff-a", "1")
    page.select_option("#diff-b", "2")
    page.click("form[aria-label='Compare two revisions'] button")
    row = page.locator("#records tr.changed", has_text="price_usd")
    expect(row).to_have_count(1)
    assert [c.strip() for c in row.locator("td").all_text_contents()][3:] == ["300", "320"]
    check_page(page, artifacts, "diff")

    # start an assess run of revision 2 and watch it reach done
    page.goto(server.url + f"/programmes/{pid}")
    page.select_option("#analysis", "assess")
    page.select_option("#run-revision", "2")
    page.click("#run-h ~ form button[type=submit]")
    expect(page.locator("#run-status")).to_contain_text("Status: ", timeout=5_000)
    expect(page.locator("#run-status")).to_have_text("Status: done", timeout=RUN_DONE_WITHIN_MS)
    expect(page.locator("#run-progress-pct")).to_have_text("100%")
    check_page(page, artifacts, "run")
    page.click("#report-link")
    frame = page.frame_locator("iframe.report")
    expect(frame.locator("h1").first).to_be_visible(timeout=20_000)
    check_page(page, artifacts, "report", iframes=False)  # the report is a sandboxed page of its own
    assert errors == []
    page.close()


def test_a_viewer_sees_no_upload_or_run_forms_and_a_stranger_gets_404(
        browser: Any, pages_server: tuple[LiveServer, int]) -> None:
    server, pid = pages_server
    server.api("PUT", f"/api/programmes/{pid}/members/vic", {"role": "viewer"})
    page = browser.new_page()
    sign_in(page, server.url, "vic")
    page.goto(server.url + f"/programmes/{pid}")
    expect(page.locator("h1")).to_have_text("Mini rack programme")
    assert page.query_selector("#file") is None and page.query_selector("#analysis") is None
    server.api("PUT", f"/api/programmes/{pid}/members/vic", {"role": None})
    response = page.goto(server.url + f"/programmes/{pid}")
    assert response is not None and response.status == 404
    page.close()
