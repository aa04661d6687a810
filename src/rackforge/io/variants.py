"""Design variants: a design written as ``extends: <design id>`` plus its changes, resolved when loaded.

A variant's record holds the :class:`~rackforge.schema.designs.DesignChanges` keys (``extends``,
``remove_items``, ``set_quantities``, ``add_items``) and any field of a design it overrides: mappings
(``power``, ``cooling``, ``rack``, ``network``...) are merged field by field into the base's, other
values (lists included) replace the base's. The base is any design of the built-in catalog or the
programme (a programme's design replaces a built-in one of the same id, and a variant may extend the
built-in design it replaces: ``id: gb300-nvl72, extends: gb300-nvl72``). Variants may extend variants;
an unknown base, a circle of variants, or a change naming an item the base does not have is reported
at the variant's file, line and field.

:func:`design_changes` is the inverse: the shortest variant record that resolves to a given design,
which ``rackforge catalog show ID`` prints for a variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from rackforge.errors import Problem, did_you_mean, valid_list
from rackforge.schema.designs import DESIGN_CHANGE_KEYS, DesignChanges, RackDesign

if TYPE_CHECKING:
    from rackforge.io.loader import Record
    from rackforge.schema import Catalog, Programme

Located = tuple[tuple[str | int, ...], str]
"""A problem's path within the variant's record, and its message."""


def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` written over it: mappings merged key by key (recursively), other values replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def apply_changes(base: dict[str, Any], written: dict[str, Any], changes: DesignChanges) -> tuple[dict[str, Any],
                                                                                                list[Located]]:
    """The variant's design data: ``base`` (a design's data) with the record ``written`` over it, then its item
    changes; and the problems (changes naming items the base does not have, or adding one it has)."""
    merged = merge(base, {k: v for k, v in written.items() if k not in DESIGN_CHANGE_KEYS})
    merged["extends"] = changes.extends
    items: list[dict[str, Any]] = [dict(item) for item in merged.get("items") or []]
    problems: list[Located] = []
    refs = [str(item.get("ref")) for item in items]
    known = f"; the items of {changes.extends!r} are: {', '.join(refs)}"
    for j, ref in enumerate(changes.remove_items):
        if ref not in refs:
            problems.append((("remove_items", j), f"{ref!r} is not an item of {changes.extends!r}"
                             f"{did_you_mean(ref, refs) or known}"))
    items = [item for item in items if item.get("ref") not in changes.remove_items]
    for ref, quantity in changes.set_quantities.items():
        matching = [item for item in items if item.get("ref") == ref]
        if not matching:
            problems.append((("set_quantities", ref), f"{ref!r} is not an item of {changes.extends!r}"
                             f"{did_you_mean(ref, refs) or known} (add it with add_items)"))
        for item in matching:
            item["quantity"] = quantity
    present = {str(item.get("ref")): item.get("quantity", 1) for item in items}
    for j, added in enumerate(changes.add_items):
        if added.ref in present:
            problems.append((("add_items", j, "ref"), f"{added.ref!r} is already an item of {changes.extends!r} "
                             f"(quantity {present[added.ref]}); change its count with set_quantities"))
        else:
            items.append({"ref": added.ref, "quantity": added.quantity})
            present[added.ref] = added.quantity
    merged["items"] = items
    return merged, problems


def design_data(design: RackDesign) -> dict[str, Any]:
    """A design as input data (units canonical, defaults included, no ``extends``): valid input for the loader."""
    return design.model_dump(mode="json", exclude={"extends"})


def design_changes(base: RackDesign, design: RackDesign) -> dict[str, Any]:
    """The shortest variant record (``id``, ``extends`` and what differs) that resolves from ``base`` to
    ``design`` (fields whose mapping lost keys of the base's are written whole)."""
    old, new = design_data(base), design_data(design)
    out: dict[str, Any] = {"id": design.id, "extends": base.id}
    for key, value in new.items():
        if key in ("id", "extends", "items") or old.get(key) == value:
            continue
        out[key] = _difference(old.get(key), value)
    out.update(_item_changes(old["items"], new["items"]))
    return out


def _difference(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict) and set(old) <= set(new):
        return {k: _difference(old[k], v) if k in old else v for k, v in new.items() if old.get(k, object()) != v}
    return new


def _item_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, Any]:
    old_refs, new_refs = [i["ref"] for i in old], [i["ref"] for i in new]
    kept = [r for r in old_refs if r in new_refs]
    unique = len(set(old_refs)) == len(old_refs) and len(set(new_refs)) == len(new_refs)
    if not unique or new_refs[:len(kept)] != kept:  # repeated refs or a new order: write the list whole
        return {"items": new}
    old_q, new_q = {i["ref"]: i["quantity"] for i in old}, {i["ref"]: i["quantity"] for i in new}
    changes: dict[str, Any] = {}
    removed = [r for r in old_refs if r not in new_q]
    recounted = {r: new_q[r] for r in kept if new_q[r] != old_q[r]}
    added = [i for i in new if i["ref"] not in old_q]
    if removed:
        changes["remove_items"] = removed
    if recounted:
        changes["set_quantities"] = recounted
    if added:
        changes["add_items"] = added
    return changes


# ----- resolution inside the loader --------------------------------------------------------------------

_CHANGES = TypeAdapter(DesignChanges)
_DESIGN = TypeAdapter(RackDesign)


@dataclass
class _Resolver:
    designs: dict[str, Record]
    """Designs written in full, by id (a programme's replacing a built-in one of the same id)."""
    builtin: dict[str, Record]
    """The built-in catalog's designs, by id (a variant may extend the one it replaces)."""
    variants: dict[str, Record]
    problems: list[Problem]
    resolving: list[str]
    done: dict[str, Record | None]

    def base_of(self, rec: Record, base_id: str) -> RackDesign | None:
        """The resolved design ``base_id`` for the variant ``rec``, or None (a problem is recorded)."""
        own = str(rec.value.get("id"))
        if base_id == own:  # a variant replacing the built-in design it extends
            found = self.builtin.get(base_id)
            if found is None:
                self.problems.append(rec.problem(("extends",), f"{own!r} extends itself, and no built-in design has "
                                                 "that id; name the design it is made from"))
            return None if found is None else found.value
        if base_id in self.variants:
            resolved = self.resolve(base_id)
            return None if resolved is None else resolved.value
        if base_id in self.designs:
            return self.designs[base_id].value
        known = sorted({*self.designs, *self.variants})
        self.problems.append(rec.problem(("extends",), f"unknown design {base_id!r}"
                                         f"{did_you_mean(base_id, known) or '; ' + valid_list(known)}"))
        return None

    def resolve(self, ident: str) -> Record | None:
        """The variant ``ident`` resolved into a design record (memoised), or None when it cannot be."""
        if ident in self.done:
            return self.done[ident]
        rec = self.variants[ident]
        if ident in self.resolving:
            chain = [*self.resolving[self.resolving.index(ident):], ident]
            self.problems.append(rec.problem(("extends",), "designs extend each other in a circle: "
                                             + " → ".join(chain)))
            return None
        self.resolving.append(ident)
        try:
            self.done[ident] = self._resolve(rec)
        finally:
            self.resolving.pop()
        return self.done[ident]

    def _resolve(self, rec: Record) -> Record | None:
        from rackforge.io.loader import Record, _problems_from_validation

        raw: dict[str, Any] = rec.value
        try:
            changes = _CHANGES.validate_python({k: raw[k] for k in DESIGN_CHANGE_KEYS if k in raw})
        except ValidationError as exc:
            self.problems.extend(_problems_from_validation(exc, rec.lines, rec.path, DesignChanges))
            return None
        base = self.base_of(rec, changes.extends)
        if base is None:
            return None
        data, located = apply_changes(design_data(base), raw, changes)
        if located:
            self.problems.extend(rec.problem(path, message) for path, message in located)
            return None
        try:
            design = _DESIGN.validate_python(data)
        except ValidationError as exc:
            self.problems.extend(_problems_from_validation(exc, rec.lines, rec.path, RackDesign))
            return None
        return Record(design, rec.file, rec.path, rec.lines, rec.builtin)


def resolve_variants(designs: list[Record], variants: list[Record]) -> tuple[list[Record], list[Problem]]:
    """The design records with every variant resolved into a full design record (at the variant's place in
    its file), and the problems found. ``designs`` are validated full designs; ``variants`` raw mappings."""
    if not variants:
        return designs, []
    builtin = {r.value.id: r for r in designs if r.builtin}
    effective: dict[str, Record] = {}
    for rec in designs:
        current = effective.get(rec.value.id)
        if current is None or (current.builtin and not rec.builtin):
            effective[rec.value.id] = rec
    by_id: dict[str, Record] = {}
    problems: list[Problem] = []
    for rec in variants:
        ident = rec.value.get("id")
        if not isinstance(ident, str):
            problems.append(rec.problem(("id",), "required field is missing" if ident is None
                                        else f"an id is text, got {ident!r}"))
            continue
        first = by_id.get(ident) or (effective[ident] if ident in effective and not effective[ident].builtin
                                     else None)
        if first is not None:
            problems.append(rec.problem((), f"duplicate designs entry {ident!r}; first defined at "
                                            f"{first.file}:{first.line}"))
            continue
        by_id[ident] = rec
    resolver = _Resolver(effective, builtin, by_id, problems, [], {})
    resolved = [r for ident in by_id if (r := resolver.resolve(ident)) is not None]
    return [*designs, *resolved], problems


# ----- what a programme changed in the catalog -----------------------------------------------------------

BUILTIN_PREFIX = "rackforge/catalog/data"
"""How files of the built-in catalog are named in locations and messages."""


def catalog_changes(programme: Programme, builtin: Catalog) -> list[str]:
    """One sentence per catalog record the programme replaces (a programme's record takes precedence over the
    built-in one of the same id) and per design variant (what it extends), with file and line."""
    out = []
    for section in ("parts", "assemblies", "designs", "suppliers", "sites"):
        ours = getattr(programme.catalog, section)
        for ident, record in ours.items():
            where = programme.location(section, ident)
            if where is None or where[0].startswith(BUILTIN_PREFIX):
                continue
            at = f"{where[0]}:{where[1]}" if where[1] is not None else where[0]
            kind = section[:-1] if section != "assemblies" else "assembly"
            if ident in getattr(builtin, section):
                out.append(f"{kind} {ident!r} ({at}) replaces the built-in {kind} of the same id "
                           "(a programme's record takes precedence)")
            extends = getattr(record, "extends", None)
            if extends is not None:
                out.append(f"design {ident!r} ({at}) extends {extends!r}")
    return out


def shown_record(section: str, record: Any, base: RackDesign | None, resolved: bool) -> dict[str, Any]:
    """A catalog record as programme input (``rackforge catalog show``): a design variant as its changes to
    ``base`` unless ``resolved``; anything else (and a resolved variant) in full, defaults left out."""
    if isinstance(record, RackDesign) and record.extends is not None and base is not None and not resolved:
        return design_changes(base, record)
    data: dict[str, Any] = record.model_dump(mode="json", exclude_defaults=True)
    data.pop("extends", None)
    return {"id": data.pop("id"), **data} if "id" in data else data
