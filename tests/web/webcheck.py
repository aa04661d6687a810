"""Helpers of the browser tests: find chromium (skip without it, fail when RACKFORGE_REQUIRE_CHROMIUM=1),
sign in, axe-core, touch targets, screenshots at the panel sizes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

SIZES = {"1920x1080": (1920, 1080), "1280x800": (1280, 800)}
PX_PER_MM = 96 / 25.4
"""CSS pixels per millimetre at the panel's 96 px/in."""
TOUCH_MIN_PX = 10 * PX_PER_MM
"""10 mm (ISA-101 panels, gloved fingers) = 37.8 px."""
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
REQUIRED = os.environ.get("RACKFORGE_REQUIRE_CHROMIUM") == "1"
ARTIFACTS = Path(os.environ.get("RACKFORGE_ARTIFACTS") or Path(__file__).parents[1] / "artifacts") / "web"
"""Where screenshots go."""


def need_browser() -> str:
    """The chromium path, or skip (fail when RACKFORGE_REQUIRE_CHROMIUM=1)."""
    if CHROMIUM is None:
        if REQUIRED:
            pytest.fail("RACKFORGE_REQUIRE_CHROMIUM=1 but chromium is not installed; run scripts/install-test-deps.sh")
        pytest.skip("chromium not installed; run scripts/install-test-deps.sh")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if REQUIRED:
            pytest.fail("RACKFORGE_REQUIRE_CHROMIUM=1 but the playwright package is not installed")
        pytest.skip("playwright (python) is not installed")
    return CHROMIUM




def sign_in(page: Any, base: str, name: str = "ann") -> None:
    from liveserver import PASSWORD

    page.goto(base + "/signin")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/programmes")


def axe_violations(page: Any, iframes: bool = True) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page (axe shipped in the package, loaded from the
    service itself)."""
    page.add_script_tag(url="/static/axe.min.js")
    found = page.evaluate("""async (iframes) => {
        const r = await axe.run(document, {iframes: iframes, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""", iframes)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def small_targets(page: Any, selector: str) -> list[dict[str, Any]]:
    """Visible elements matching ``selector`` smaller than 10 mm either way, with their size [px]."""
    boxes = page.evaluate("""(selector) => Array.from(document.querySelectorAll(selector))
        .filter(e => e.offsetParent !== null)
        .map(e => { const r = e.getBoundingClientRect();
                    return {what: e.tagName + ' ' + (e.textContent || e.name || '').trim().slice(0, 30),
                            width: r.width, height: r.height}; })""", selector)
    assert boxes, f"no element matches {selector!r}: nothing was measured"
    return [b for b in boxes if b["width"] < TOUCH_MIN_PX or b["height"] < TOUCH_MIN_PX]


def screenshots(page: Any, artifacts: Path, name: str) -> list[Path]:
    """Full screenshots at each panel size; returns the files."""
    out = []
    for label, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(200)
        target = artifacts / f"{name}-{label}.png"
        page.screenshot(path=str(target))
        out.append(target)
    return out
