"""Shared fixtures: a tiny self-contained programme for loader and CLI tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/data/mini (a complete programme with its own tiny catalog)."""
    dest = tmp_path / "mini"
    shutil.copytree(DATA / "mini", dest)
    return dest
