"""Shared base classes and field types for the programme model."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not a valid id: use lower-case letters, digits, '-', '_' and '.', "
                         "starting with a letter or digit")
    return value


Id = Annotated[str, AfterValidator(_check_id), Field(min_length=1, max_length=80)]
"""A catalog or programme identifier, e.g. ``gb200-nvl72``."""


def _check_source(value: str) -> str:
    text = value.strip()
    if text.lower().startswith("estimate"):
        reasoning = text[len("estimate"):].lstrip(" :-—")
        if len(reasoning) < 10:
            raise ValueError("an estimate must give its reasoning, e.g. 'estimate: 2 × 1,200 W B200 + 300 W Grace'")
        return text
    if len(text) < 6:
        raise ValueError("give a public URL or document for this figure, or 'estimate: <reasoning>'")
    return text


SourceRef = Annotated[str, AfterValidator(_check_source)]
"""Where a figure comes from: a public URL or document, or ``estimate: <reasoning>``."""


class Model(BaseModel):
    """Immutable model: unknown keys are errors, values are validated on construction, floats are finite."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              str_strip_whitespace=True, allow_inf_nan=False)


class Sourced(Model):
    """A record whose figures carry a source.

    ``source`` covers the record; ``figure_sources`` may override it for single fields
    (``{mass_kg: "estimate: ..."}``).
    """

    source: SourceRef
    figure_sources: dict[str, SourceRef] = Field(default_factory=dict)

    def source_of(self, field_name: str) -> str:
        """The source of one figure [text]."""
        return self.figure_sources.get(field_name, self.source)
