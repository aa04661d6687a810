"""Data files shipped inside the schema package (built-in domestic-content rules, the readiness
checklist): read with PyYAML's safe loader. They are trusted package data, validated in tests;
user files go through :mod:`rackforge.io.yaml`, which keeps a line for every path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
"""Where the shipped files live."""


def read_shipped_yaml(path: Path) -> Any:
    """Plain data from a shipped YAML file (safe loader: no object tags)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as handle:
        return yaml.load(handle, Loader=loader)
