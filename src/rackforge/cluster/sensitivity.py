"""Global sensitivity of a sweep's outputs to its inputs, with SALib.

- ``sobol``: Saltelli's extension of the Sobol' sequence (``SALib.sample.sobol``, ``N·(D+2)`` points
  without second-order terms) and Sobol' first-order and total indices S1, ST
  (``SALib.analyze.sobol``; Saltelli et al. 2010, "Variance based sensitivity analysis of model
  output", Comput. Phys. Commun. 181) with bootstrap 95 % confidence half-widths;
- ``morris``: Morris trajectories (``N·(D+1)`` points, 4 levels) and elementary effects μ*, σ
  (``SALib.analyze.morris``; Campolongo et al. 2007).

Both are checked against the Ishigami function's analytic indices in tests/test_cluster_sweep.py
before they are trusted on rackforge's outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MORRIS_LEVELS = 4
"""Grid levels of the Morris design."""

RESAMPLES = 200
"""Bootstrap resamples of the confidence intervals."""


def problem(bounds: Sequence[Sequence[float]], names: Sequence[str] | None = None) -> dict[str, Any]:
    """SALib's problem description of inputs with ``bounds`` [low, high] each."""
    names = list(names) if names is not None else [f"x{i + 1}" for i in range(len(bounds))]
    return {"num_vars": len(bounds), "names": names, "bounds": [[float(lo), float(hi)] for lo, hi in bounds]}


def sample(design: str, bounds: Sequence[Sequence[float]], samples: int, seed: int) -> np.ndarray:
    """The points of a ``sobol`` or ``morris`` design over ``bounds`` (rows × inputs)."""
    spec = problem(bounds)
    if design == "sobol":
        from SALib.sample import sobol

        return np.asarray(sobol.sample(spec, samples, calc_second_order=False, seed=seed))
    if design == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(spec, samples, num_levels=MORRIS_LEVELS, seed=seed))
    raise ValueError(f"no sampled design {design!r}; sobol or morris")


def analyse(design: str, bounds: Sequence[Sequence[float]], names: Sequence[str], x: np.ndarray, y: np.ndarray,
            seed: int = 0) -> dict[str, dict[str, float]]:
    """Indices per input: ``{name: {"S1", "S1_conf", "ST", "ST_conf"}}`` (sobol) or ``{name: {"mu_star",
    "mu_star_conf", "sigma"}}`` (morris), from the design's points ``x`` and the output ``y`` at them
    (every value finite)."""
    spec = problem(bounds, names)
    y = np.asarray(y, dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError("every row needs a finite output for sensitivity indices")
    if design == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(spec, y, calc_second_order=False, num_resamples=RESAMPLES, seed=seed)
        keys: tuple[str, ...] = ("S1", "S1_conf", "ST", "ST_conf")
    elif design == "morris":
        from SALib.analyze import morris

        res = morris.analyze(spec, np.asarray(x, dtype=float), y, num_resamples=RESAMPLES, num_levels=MORRIS_LEVELS,
                             seed=seed)
        keys = ("mu_star", "mu_star_conf", "sigma")
    else:
        raise ValueError(f"no sampled design {design!r}; sobol or morris")
    return {name: {k: float(np.asarray(res[k])[i]) for k in keys} for i, name in enumerate(names)}


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function sin x1 + a sin² x2 + b x3⁴ sin x1 on [−π, π]³ (Ishigami & Homma 1990)."""
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, tuple[float, float, float]]:
    """Analytic first-order and total Sobol' indices of :func:`ishigami` (Sobol' & Levitan 1999):
    V1 = ½(1 + bπ⁴/5)², V2 = a²/8, V13 = b²π⁸(1/18 − 1/50), V3 = 0, V = V1 + V2 + V13
    = ½ + a²/8 + bπ⁴/5 + b²π⁸/18."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": (v1 / v, v2 / v, 0.0), "ST": ((v1 + v13) / v, v2 / v, v13 / v)}
