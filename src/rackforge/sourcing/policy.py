"""Sourcing policy shared by every caller: which domestic-content rule applies, and what counts as
missing it.

``rackforge sourcing``, ``rackforge whatif``, ``rackforge optimize`` and :mod:`rackforge.api` choose
the rule and judge the figures with these functions, so a rule id means the same everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rackforge.schema import DomesticContentRule, Programme


def builtin_rule(rule_id: str) -> DomesticContentRule:
    """The built-in domestic-content rule ``rule_id`` (e.g. ``far-25.101``).

    Raises :class:`~rackforge.errors.UsageError` naming the valid ids (with a did-you-mean hint)
    when there is no such rule.
    """
    from rackforge.errors import UsageError, did_you_mean, valid_list
    from rackforge.schema.rules import builtin_rules

    rules = builtin_rules()
    if rule_id not in rules:
        raise UsageError(f"no built-in rule {rule_id!r}{did_you_mean(rule_id, rules)}; {valid_list(rules)}")
    return rules[rule_id]


def chosen_rule(rule_id: str | None) -> DomesticContentRule | None:
    """The built-in rule ``rule_id``, or None (meaning: the programme's own rule) when no id is given."""
    return None if rule_id is None else builtin_rule(rule_id)


def applicable_rule(programme: Programme, rule_id: str | None) -> DomesticContentRule:
    """The rule ``rule_id`` when given, else the programme's rule (FAR 25.101 when it states none)."""
    from rackforge.schema.rules import programme_rule

    return builtin_rule(rule_id) if rule_id is not None else programme_rule(programme.rules)


def threshold_misses(sourcing_json: dict[str, Any]) -> list[str]:
    """``"<design> <year>"`` for every design and year with racks in the plan whose domestic content
    (qualified sources) misses the rule's threshold, from :meth:`SourcingAnalysis.to_json
    <rackforge.sourcing.analysis.SourcingAnalysis.to_json>`; empty when every planned year meets it."""
    return [f"{d['design']} {y['year']}" for d in sourcing_json["designs"] for y in d["years"]
            if y["racks"] and not y["meets_threshold"]]
