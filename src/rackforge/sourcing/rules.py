"""Domestic-content rules as data (re-exported from :mod:`rackforge.schema.rules`, where the
programme model can import them without a cycle)."""

from rackforge.schema.rules import (
    COMPARISON_TOLERANCE,
    DEFAULT_RULE_ID,
    RULES_DIR,
    DomesticContentRule,
    Fallback,
    Rules,
    ThresholdStep,
    builtin_rules,
    programme_rule,
    resolve_rule,
)

__all__ = ["COMPARISON_TOLERANCE", "DEFAULT_RULE_ID", "RULES_DIR", "DomesticContentRule", "Fallback", "Rules",
           "ThresholdStep", "builtin_rules", "programme_rule", "resolve_rule"]
