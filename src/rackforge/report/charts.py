"""A common look for the report's Plotly charts (readable on screen and on paper)."""

from __future__ import annotations

from typing import Any

PALETTE = ["#1f5f8b", "#e07b39", "#4a9c59", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c",
           "#ccb974", "#64b5cd"]
"""Colour-blind-friendly enough and distinct in greyscale print by lightness."""


def figure(**layout: Any) -> Any:
    """A new ``plotly.graph_objects.Figure`` with the report's layout defaults."""
    import plotly.graph_objects as go

    base: dict[str, Any] = {
        "template": "plotly_white",
        "height": 420,
        "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "colorway": PALETTE,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0},
    }
    base.update(layout)
    return go.Figure(layout=base)
