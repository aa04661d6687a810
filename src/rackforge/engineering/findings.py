"""Findings: the result of one engineering check, and the pass / warn / fail logic.

A :class:`Finding` holds the computed value with its unit, the limit it is held to, the
margin, a status and a one-line message that names the formula. Checks are vectorised: the
value, limit, margin and status of a finding may be NumPy arrays (one entry per design
variant), in which case the message summarises the range.

Status codes are integers so that they can be arrays: ``PASS = 0``, ``WARN = 1``,
``FAIL = 2`` (the worst status of several findings is their maximum).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Num = float | NDArray[np.float64]
"""A number or an array of numbers (one per design variant)."""


class Status(IntEnum):
    """Outcome of a check; ordered so that the worst of several is their maximum."""

    PASS = 0
    WARN = 1
    FAIL = 2

    @property
    def label(self) -> str:
        """Lower-case name as used in JSON: ``pass``, ``warn``, ``fail``."""
        return self.name.lower()


DEFAULT_WARN_MARGIN = 0.05
"""Headroom below which a passing capacity check warns [fraction of the limit]."""


def margin_below(value: Any, limit: Any) -> Any:
    """Headroom of a value under an upper limit [fraction of the limit]: (limit − value) / limit.

    Positive when the value is under the limit; negative when over. A zero limit gives
    −inf for a positive value and 0 for a zero value.
    """
    value = np.asarray(value, dtype=float)
    limit = np.asarray(limit, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(limit != 0, (limit - value) / np.where(limit != 0, limit, 1.0),
                       np.where(value > 0, -np.inf, 0.0))
    return _unwrap(out)


def margin_above(value: Any, minimum: Any) -> Any:
    """Headroom of a value over a lower limit [fraction of the limit]: (value − minimum) / minimum.

    A zero minimum gives +inf for a positive value and 0 for zero.
    """
    value = np.asarray(value, dtype=float)
    minimum = np.asarray(minimum, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(minimum != 0, (value - minimum) / np.where(minimum != 0, minimum, 1.0),
                       np.where(value > 0, np.inf, 0.0))
    return _unwrap(out)


def status_from_margin(margin: Any, warn_margin: float = DEFAULT_WARN_MARGIN) -> Any:
    """Status code from a margin: fail below 0, warn below ``warn_margin``, else pass [code]."""
    m = np.asarray(margin, dtype=float)
    out = np.where(m < 0, Status.FAIL, np.where(m < warn_margin, Status.WARN, Status.PASS)).astype(np.int8)
    return int(out) if out.ndim == 0 else out


def judge_max(value: Any, limit: Any, warn_margin: float = DEFAULT_WARN_MARGIN) -> tuple[Any, Any]:
    """(margin, status) of a value held under an upper limit (value ≤ limit passes)."""
    margin = margin_below(value, limit)
    return margin, status_from_margin(margin, warn_margin)


def judge_min(value: Any, minimum: Any, warn_margin: float = DEFAULT_WARN_MARGIN) -> tuple[Any, Any]:
    """(margin, status) of a value held over a lower limit (value ≥ minimum passes)."""
    margin = margin_above(value, minimum)
    return margin, status_from_margin(margin, warn_margin)


def _unwrap(array: Any) -> Any:
    """A 0-d array as a Python float; other arrays unchanged."""
    arr = np.asarray(array)
    return float(arr) if arr.ndim == 0 else arr


def is_scalar(value: Any) -> bool:
    """True for a single number (not an array of variants)."""
    return bool(np.ndim(value) == 0)


def fmt(value: Any, digits: int = 0, scale: float = 1.0) -> str:
    """Format a number (``1,234``) or an array of variants as its range (``12–140``).

    ``scale`` divides first (e.g. 1e3 to print W as kW); ``digits`` decimals.
    """
    if value is None:
        return "—"
    if is_scalar(value):
        number = float(value) / scale
        if not np.isfinite(number):
            return "∞" if number > 0 else ("−∞" if number < 0 else "n/a")
        return f"{number:,.{digits}f}"
    arr = np.asarray(value, dtype=float) / scale
    if arr.size == 0:
        return "(no variants)"
    low, high = float(np.nanmin(arr)), float(np.nanmax(arr))
    if low == high:
        return f"{low:,.{digits}f}"
    return f"{low:,.{digits}f}–{high:,.{digits}f}"


@dataclass(frozen=True)
class Finding:
    """The outcome of one check on one design (or on arrays of design variants).

    ``value`` and ``limit`` are in ``unit``; ``margin`` is the headroom as a fraction of the
    limit (negative when the limit is broken); ``status`` is a :class:`Status` code.
    ``limit`` and ``margin`` are None for findings that report a figure with no limit
    (these always pass).
    """

    check: str
    area: Literal["power", "cooling", "network", "mechanics", "pod"]
    value: Any
    unit: str
    limit: Any
    margin: Any
    status: Any
    message: str
    scope: Literal["rack", "pod"] = "rack"

    @property
    def status_enum(self) -> Status:
        """The status of a scalar finding (the worst of the variants for arrays)."""
        return Status(int(np.max(self.status)))

    @property
    def failed(self) -> bool:
        """True when the (or any variant's) status is fail."""
        return bool(np.any(np.asarray(self.status) == Status.FAIL))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record: check, status, value, unit, limit, margin, message, area, scope."""
        return {
            "check": self.check,
            "status": self.status_enum.label,
            "value": _json_number(self.value),
            "unit": self.unit,
            "limit": _json_number(self.limit),
            "margin": _json_number(self.margin),
            "message": self.message,
            "area": self.area,
            "scope": self.scope,
        }


def _json_number(value: Any) -> Any:
    if value is None:
        return None
    if is_scalar(value):
        number = float(value)
        if not np.isfinite(number):
            return None
        return round(number, 6)
    return [None if not np.isfinite(v) else round(float(v), 6) for v in np.asarray(value, dtype=float)]


def finding(check: str, area: Any, value: Any, unit: str, message: str, *, limit: Any = None,
            sense: Literal["max", "min", "none"] = "none", warn_margin: float = DEFAULT_WARN_MARGIN,
            scope: Any = "rack") -> Finding:
    """Build a finding, judging ``value`` against ``limit`` by ``sense``.

    ``sense="max"``: value ≤ limit passes; ``"min"``: value ≥ limit passes; ``"none"``: a
    reported figure with no limit (always passes).
    """
    value = _unwrap(value)
    if limit is None or sense == "none":
        status: Any = Status.PASS if is_scalar(value) else np.zeros(np.shape(value), dtype=np.int8)
        return Finding(check, area, value, unit, None, None, status, message, scope)
    limit = _unwrap(limit)
    margin, status = (judge_max if sense == "max" else judge_min)(value, limit, warn_margin)
    return Finding(check, area, value, unit, limit, margin, status, message, scope)


def finding_with_status(check: str, area: Any, value: Any, unit: str, message: str, status: Any, *,
                        limit: Any = None, margin: Any = None, scope: Any = "rack") -> Finding:
    """Build a finding whose status the check decides itself (tolerance bands, whole-number rules)."""
    status_arr = np.asarray(status, dtype=np.int8)
    return Finding(check, area, _unwrap(value), unit, None if limit is None else _unwrap(limit),
                   None if margin is None else _unwrap(margin),
                   int(status_arr) if status_arr.ndim == 0 else status_arr, message, scope)


def worst(findings: list[Finding]) -> Status:
    """The worst status among findings (PASS for none)."""
    return max((f.status_enum for f in findings), default=Status.PASS)
