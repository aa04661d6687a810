"""Fixtures of the browser tests: Debian's chromium driven by Playwright (never a downloaded browser),
live servers, and where screenshots go.

Like tests/test_report_browser.py: without chromium the browser tests skip, unless
RACKFORGE_REQUIRE_CHROMIUM=1 (CI), where they fail.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from webcheck import ARTIFACTS, need_browser


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    path = need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="package")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
