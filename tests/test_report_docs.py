"""docs/report.md covers every report section, criterion, evaluations field and command option."""

from __future__ import annotations

from pathlib import Path

from rackforge.cli import cli
from rackforge.report.sections import SECTIONS
from rackforge.schema.evaluations import (
    BUILTIN_CRITERIA,
    Decision,
    EvaluatedSystem,
    EvaluationCriterion,
    Evaluations,
    OptionTerms,
    TcoAssumptions,
)

DOC = (Path(__file__).parent.parent / "docs" / "report.md").read_text(encoding="utf-8")


def test_every_section_is_documented() -> None:
    for section in SECTIONS:
        assert f"(`{section.key}`)" in DOC, section.key


def test_every_criterion_and_evaluations_field_is_documented() -> None:
    for criterion in BUILTIN_CRITERIA:
        assert f"`{criterion}`" in DOC, criterion
    for model in (Evaluations, EvaluationCriterion, EvaluatedSystem, OptionTerms, Decision, TcoAssumptions):
        for name in model.model_fields:
            if name in ("source", "figure_sources"):
                continue
            assert f"{name}:" in DOC or f"`{name}`" in DOC, f"{model.__name__}.{name}"


def test_every_option_of_assess_and_evaluate_is_documented() -> None:
    for name in ("assess", "evaluate"):
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("-") and opt not in ("-h", "--help"):
                    assert opt in DOC, f"{name} {opt}"


def test_yaml_examples_in_the_docs_are_valid() -> None:
    import re

    import yaml

    blocks = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", DOC, re.S)]
    sections = [b["evaluations"] for b in blocks if isinstance(b, dict) and "evaluations" in b]
    assert len(sections) == 2
    for section in sections:
        if "systems" in section:
            Evaluations.model_validate(section)
        else:
            TcoAssumptions.model_validate(section["tco"])
