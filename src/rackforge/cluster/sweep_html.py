"""``sweep.html``: a small offline page of a sweep's charts (plotly.js inlined, no network).

- **tornado**, per output: how far the output moves with each input. With a Sobol' or Morris
  analysis, the bars are the total index ST or μ*; otherwise the swing of the output's mean over
  the input's values (max − min of the means of the rows at each value, the others averaged over);
- **response surface**, per output: the output over the first two inputs (the mean at each pair of
  values for a grid; each run a point coloured by the output for a sample).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def swings(frame: pd.DataFrame, inputs: Sequence[str], output: str) -> dict[str, float]:
    """Per input, max − min over its values of the output's mean over the rows with that value
    [output's unit]; rows without the output are left out."""
    ok = frame[frame[output].notna()]
    out: dict[str, float] = {}
    for name in inputs:
        means = ok.groupby(name, sort=True)[output].mean()
        out[name] = float(means.max() - means.min()) if len(means) else 0.0
    return out


def _tornado(values: Mapping[str, float], output: str, what: str) -> Any:
    import plotly.graph_objects as go

    names = sorted(values, key=lambda k: abs(values[k]))
    fig = go.Figure(go.Bar(x=[values[n] for n in names], y=names, orientation="h"))
    fig.update_layout(title=f"{output}: {what}", template="plotly_white", height=120 + 40 * len(names),
                      margin={"l": 260})
    return fig


def _surface(frame: pd.DataFrame, inputs: Sequence[str], output: str, grid: bool) -> Any:
    import plotly.graph_objects as go

    x, y = inputs[0], inputs[1]
    ok = frame[frame[output].notna()]
    if grid:
        table = ok.pivot_table(index=y, columns=x, values=output, aggfunc="mean")
        fig = go.Figure(go.Heatmap(z=table.to_numpy(), x=[str(c) for c in table.columns],
                                   y=[str(i) for i in table.index], colorbar={"title": "mean"}))
    else:
        fig = go.Figure(go.Scatter(x=ok[x], y=ok[y], mode="markers",
                                   marker={"color": ok[output], "colorscale": "Viridis", "showscale": True}))
    fig.update_layout(title=f"{output} over {x} and {y}", xaxis_title=x, yaxis_title=y, template="plotly_white")
    return fig


def sweep_html(frame: pd.DataFrame, inputs: Sequence[str], outputs: Sequence[str], design: str,
               indices: Mapping[str, Mapping[str, Mapping[str, float]]], title: str) -> str:
    """The page: a tornado and (with two inputs or more) a response surface per numeric output.
    ``indices``: output → input → {ST or mu_star, …} from :func:`rackforge.cluster.sensitivity.analyse`."""
    import pandas as pd
    from plotly.offline import get_plotlyjs

    parts: list[str] = []
    failed = int(frame["error"].notna().sum())
    for output in outputs:
        if not pd.api.types.is_numeric_dtype(frame[output]):
            continue
        if output in indices:
            key = "ST" if design == "sobol" else "mu_star"
            values = {name: v[key] for name, v in indices[output].items()}
            what = "total Sobol' index ST" if design == "sobol" else "Morris μ* (mean |elementary effect|)"
        else:
            values, what = swings(frame, inputs, output), "swing of the mean over each input's values"
        figures = [_tornado(values, output, what)]
        if len(inputs) >= 2:
            figures.append(_surface(frame, inputs, output, design == "grid"))
        parts.extend(f.to_html(full_html=False, include_plotlyjs=False) for f in figures)
    head = (f"<h1>{html.escape(title)}</h1><p>{len(frame):,} runs ({html.escape(design)} design), {failed:,} "
            "with an error (see rows.csv).</p>")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<script>{get_plotlyjs()}</script></head><body>{head}{''.join(parts)}</body></html>")
