"""Shared fixtures (a tiny self-contained programme for loader and CLI tests) and hypothesis profiles."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# CI draws the same examples on every run (a failure there is reproducible from the log); local runs
# keep exploring new ones, and print the blob that replays any failure they find.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "explore")

DATA = Path(__file__).parent / "data"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/data/mini (a complete programme with its own tiny catalog)."""
    dest = tmp_path / "mini"
    shutil.copytree(DATA / "mini", dest)
    return dest
