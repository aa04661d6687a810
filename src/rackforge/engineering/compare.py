"""Designs side by side, and what changed from one generation to the next, in sentences."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from rackforge.engineering.design_checks import DesignReport


@dataclass(frozen=True)
class MetricSpec:
    """A metric shown in the comparison: key, label, unit, decimals, and the noun used in sentences."""

    key: str
    label: str
    unit: str
    digits: int
    noun: str


COMPARED: tuple[MetricSpec, ...] = (
    MetricSpec("gpus", "GPUs", "", 0, "the GPU count"),
    MetricSpec("cpus", "CPUs", "", 0, "the CPU count"),
    MetricSpec("it_power_kw", "IT kW", "kW", 1, "the IT load"),
    MetricSpec("rack_input_kw", "kW per rack", "kW", 1, "the rack's input power"),
    MetricSpec("kw_per_gpu", "kW per GPU", "kW", 2, "the power per GPU"),
    MetricSpec("liquid_heat_fraction", "liquid share", "%", 1, "the share of heat to liquid"),
    MetricSpec("coolant_flow_lpm", "flow L/min", "L/min", 0, "the coolant flow"),
    MetricSpec("bus_voltage_v", "bus V", "V", 0, "the bus voltage"),
    MetricSpec("busbar_current_a", "busbar A", "A", 0, "the busbar current"),
    MetricSpec("scale_up_cables", "scale-up cables", "", 0, "the scale-up cable count"),
    MetricSpec("mass_kg", "mass kg", "kg", 0, "the rack mass"),
    MetricSpec("rack_units", "rack units", "", 1, "the rack space used (units)"),
)
"""Metrics of the side-by-side table, in column order."""

SPECS: dict[str, MetricSpec] = {spec.key: spec for spec in COMPARED}

CHANGE_THRESHOLD = 0.01
"""Relative change below which a metric counts as unchanged."""


def ordered(reports: list[DesignReport]) -> list[DesignReport]:
    """Reports in generation order: by year, keeping the given order within a year."""
    return sorted(reports, key=lambda r: r.year)


def display_value(spec: MetricSpec, value: Any) -> str:
    """A metric formatted for a table or sentence ("—" when missing)."""
    if value is None:
        return "—"
    number = float(value) * (100.0 if spec.unit == "%" else 1.0)
    text = f"{number:,.{spec.digits}f}"
    if spec.unit == "%":
        return text + " %"
    return f"{text} {spec.unit}".strip()


def side_by_side(reports: list[DesignReport]) -> list[dict[str, Any]]:
    """One row per metric with each design's value: ``{"metric", "unit", <design id>: value}``."""
    rows = []
    for spec in COMPARED:
        row: dict[str, Any] = {"metric": spec.key, "label": spec.label, "unit": spec.unit}
        for report in reports:
            row[report.design_id] = report.metrics.get(spec.key)
        rows.append(row)
    return rows


def _cap(text: str) -> str:
    """First letter upper-cased, the rest kept (so "IT load" stays "IT load")."""
    return text[:1].upper() + text[1:]


def _relative(old: float, new: float) -> float:
    if old == 0:
        return 0.0 if new == 0 else float("inf")
    return (new - old) / abs(old)


def change_sentences(old: DesignReport, new: DesignReport) -> list[str]:
    """What changed from ``old`` to ``new``, one sentence per metric that moved by ≥ 1 %, then what held."""
    sentences = [f"From {old.design_id} ({old.year}) to {new.design_id} ({new.year}):"]
    unchanged = []
    for spec in COMPARED:
        a, b = old.metrics.get(spec.key), new.metrics.get(spec.key)
        if a is None or b is None:
            if b is None and a is not None:
                sentences.append(f"{_cap(spec.noun)} does not apply to {new.design_id} (it was "
                                 f"{display_value(spec, a)}).")
            elif a is None and b is not None:
                sentences.append(f"{_cap(spec.noun)} is {display_value(spec, b)} ({old.design_id} had none).")
            continue
        change = _relative(float(a), float(b))
        if abs(change) < CHANGE_THRESHOLD:
            unchanged.append(f"{spec.noun} ({display_value(spec, b)})")
            continue
        verb = "rises" if change > 0 else "falls"
        if float(a) == 0:
            sentence = f"{_cap(spec.noun)} rises from zero to {display_value(spec, b)}"
        elif float(b) == 0:
            sentence = f"{_cap(spec.noun)} falls from {display_value(spec, a)} to zero"
        else:
            if spec.unit == "%":
                amount = f"{abs(float(b) - float(a)) * 100:.1f} points"
            elif change >= 1.0:
                amount = f"{float(b) / float(a):.1f}-fold"
            else:
                amount = f"{abs(change):.0%}"
            sentence = (f"{_cap(spec.noun)} {verb} {amount}, from {display_value(spec, a)} to "
                        f"{display_value(spec, b)}")
        if spec.key == "busbar_current_a" and _moved(old, new, "bus_voltage_v"):
            volts = SPECS["bus_voltage_v"]
            sentence += (f", because the bus moves from {display_value(volts, old.metrics['bus_voltage_v'])} "
                         f"to {display_value(volts, new.metrics['bus_voltage_v'])} (I = P / V)")
        elif spec.key == "kw_per_gpu" and not _moved(old, new, "gpus"):
            sentence += " with the same GPU count"
        sentences.append(sentence + ".")
    if unchanged:
        sentences.append("Unchanged: " + ", ".join(unchanged) + ".")
    newly_failing = sorted({f.check for f in new.failed} - {f.check for f in old.failed})
    if newly_failing:
        sentences.append(f"{new.design_id} fails checks that {old.design_id} passes: {', '.join(newly_failing)}.")
    return sentences


def _moved(old: DesignReport, new: DesignReport, key: str) -> bool:
    a, b = old.metrics.get(key), new.metrics.get(key)
    return a is not None and b is not None and abs(_relative(float(a), float(b))) >= CHANGE_THRESHOLD


def generation_changes(reports: list[DesignReport]) -> list[dict[str, Any]]:
    """Sentences for each consecutive pair in generation order: ``[{"from", "to", "sentences"}]``."""
    ordered_reports = ordered(reports)
    return [{"from": a.design_id, "to": b.design_id, "sentences": change_sentences(a, b)}
            for a, b in itertools.pairwise(ordered_reports)]
