"""The spec of ``rackforge sweep PATH SPEC.yaml``: which inputs to vary, which analyses to run, which
outputs to collect (see docs/scaling.md and examples/sweep.yaml).

A spec file holds one ``sweep:`` mapping::

    sweep:
      design: grid            # grid (every combination), sobol or morris (sampled from the ranges)
      inputs:
        - field: build_plan.scale                              # racks of every quarter × this
          values: [0.8, 1.0, 1.2]
        - field: scenarios.events[taiwan-strait].probability
          range: [0.05, 0.30]
          steps: 3
      run:
        simulate: {scenarios: 2000}
      outputs:
        - simulate.summary.expected_value_short_usd

Fields are paths into the programme: a top-level section, then field names, with ``[ID]`` choosing
a list entry by its id (``part@site`` for sources); ``build_plan.scale`` multiplies the build plan;
``optimize.domestic_target`` sets the optimiser's target. Outputs are paths into an analysis's JSON.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from rackforge.schema.base import Model

ANALYSES = ("simulate", "stress", "sourcing", "optimize", "factory", "factory_capacity")
"""Analyses a sweep can run on each row (the API functions of the same names)."""

FIELD_PATTERN = re.compile(r"[a-z_]+(\[[^\]\s]+\])?(\.[a-z_]+(\[[^\]\s]+\])?)*")
"""A field path: ``section.field[ID].field`` (lower-case names, an id in brackets)."""

OUTPUT_PATTERN = re.compile(r"[A-Za-z0-9_\-@.\[\]]+")
"""An output path: ``analysis.key.key`` (keys of the analysis's JSON; list positions as numbers)."""

MAX_ROWS = 1_000_000
"""Most rows one sweep may have [runs]."""


class SweepInput(Model):
    """One input to vary: given ``values`` (a grid axis), or a ``range`` [low, high] (``steps`` evenly
    spaced values for a grid; sampled for sobol and morris). Dates are ISO strings."""

    field: str = Field(description="path into the programme, e.g. sources[gpu@tw-fab].capacity_per_quarter")
    values: tuple[float | int | str, ...] | None = Field(None, min_length=1)
    range: tuple[float | str, float | str] | None = None
    steps: int = Field(3, ge=2, le=1000, description="grid points over a range")

    @model_validator(mode="after")
    def _one_way(self) -> SweepInput:
        if not FIELD_PATTERN.fullmatch(self.field):
            raise ValueError(f"field {self.field!r} is not a path like 'scenarios.events[ID].probability' "
                             "(lower-case names separated by dots, an id in brackets)")
        if (self.values is None) == (self.range is None):
            raise ValueError("give either 'values' (a list) or 'range' ([low, high]), not both or neither")
        return self


class AnalysisOptions(Model):
    """Options of an analysis run on every row (each the analysis's default when not given)."""

    scenarios: int | None = Field(None, ge=1, le=10_000_000, description="simulate: Monte Carlo scenarios")
    seed: int | None = Field(None, ge=0, description="simulate, factory: random seed")
    replications: int | None = Field(None, ge=1, le=1000, description="factory: replications")
    domestic_target: float | None = Field(None, ge=0, le=1, description="optimize: domestic-content target")


class SweepSpec(Model):
    """The ``sweep:`` section of a spec file."""

    name: str = "sweep"
    design: Literal["grid", "sobol", "morris"] = "grid"
    samples: int = Field(64, ge=1, le=100_000, description="sobol: base samples N (N·(D+2) rows); "
                         "morris: trajectories (N·(D+1) rows)")
    seed: int = Field(0, ge=0, description="seed of the sobol/morris sample")
    inputs: tuple[SweepInput, ...] = Field(min_length=1)
    run: dict[Literal["simulate", "stress", "sourcing", "optimize", "factory", "factory_capacity"],
              AnalysisOptions] = Field(min_length=1)
    outputs: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> SweepSpec:
        fields = [i.field for i in self.inputs]
        doubled = sorted({f for f in fields if fields.count(f) > 1})
        if doubled:
            raise ValueError(f"input {doubled[0]!r} is given twice")
        for out in self.outputs:
            head = out.split(".", 1)[0]
            if not OUTPUT_PATTERN.fullmatch(out) or "." not in out:
                raise ValueError(f"output {out!r} is not a path like 'simulate.summary.expected_value_short_usd'")
            if head not in self.run:
                raise ValueError(f"output {out!r} reads analysis {head!r}, which 'run' does not list "
                                 f"(it lists {', '.join(self.run)})")
        if self.design != "grid":
            loose = [i.field for i in self.inputs if i.range is None]
            if loose:
                raise ValueError(f"a {self.design} design samples every input from its 'range'; "
                                 f"{loose[0]!r} gives 'values'")
        return self


class SweepFile(Model):
    """A spec file: one ``sweep:`` section."""

    sweep: SweepSpec
