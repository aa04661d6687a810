"""The layers import in one direction only (docs/architecture.md), with no cycle between subpackages.

Reads every module's imports with ``ast`` (lazy imports inside functions included; imports under
``if TYPE_CHECKING:`` excluded, since they never run) and checks each edge against the layer table.
"""

from __future__ import annotations

import ast
import pathlib
import re
from collections import defaultdict

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "rackforge"

LAYERS: dict[str, int] = {
    # foundation: no rackforge imports except each other (errors < units/calendar/linemap)
    "errors": 0, "units": 0, "calendar": 0, "linemap": 0, "__init__": 0,
    "seeds": 0,
    "schema": 1,
    "io": 2, "catalog": 2, "reference": 2,
    "core": 3,
    "engineering": 4, "sourcing": 4, "resilience": 4, "optimize": 4, "factory": 4, "readiness": 4,
    "evaluate": 4,
    "api": 5, "answers": 5, "cluster": 5,
    "report": 6,
    "service": 7,  # the shared service (issue 15): above the report, below the CLI
    "cli": 8, "__main__": 9,
}
"""Layer of each top-level module or subpackage: a module may import only from its own layer or below.
Analyses (layer 4) may use one another, but only without cycles (checked separately)."""


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST) -> list[str]:
    out: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.extend(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _top(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "rackforge":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else "__init__"


def import_edges() -> dict[tuple[str, str], list[str]]:
    """(importing top-level unit, imported unit) -> importing files."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        unit = rel.parts[0] if len(rel.parts) > 1 else rel.stem
        for name in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = _top(name)
            if target is not None and target != unit:
                edges[(unit, target)].append(str(rel))
    return edges


def test_every_unit_has_a_layer() -> None:
    units = {p.name if p.is_dir() else p.stem for p in PACKAGE.iterdir()
             if (p.is_dir() and (p / "__init__.py").exists()) or p.suffix == ".py"}
    missing = sorted(units - set(LAYERS))
    assert not missing, f"give these modules a layer in tests/test_architecture.py and docs/architecture.md: {missing}"


def test_imports_point_down() -> None:
    upward = [f"{a} (layer {LAYERS[a]}) imports {b} (layer {LAYERS[b]}) in {', '.join(sorted(set(files)))}"
              for (a, b), files in import_edges().items() if LAYERS.get(b, 99) > LAYERS.get(a, -1)]
    assert not upward, "imports that point up:\n" + "\n".join(sorted(upward))


def test_no_cycle_between_subpackages() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in import_edges():
        graph[a].add(b)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_checker_sees_a_violation(tmp_path: pathlib.Path) -> None:
    """The import reader finds lazy imports and skips TYPE_CHECKING blocks (so the tests above can fail)."""
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from rackforge.cli import x\n"
                     "def f():\n    from rackforge.report import y\n")
    assert _runtime_imports(tree) == ["typing.TYPE_CHECKING", "rackforge.report.y"]


def test_no_two_public_classes_share_a_name() -> None:
    seen: dict[str, list[str]] = defaultdict(list)
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                seen[node.name].append(str(path.relative_to(PACKAGE)))
    dupes = {name: files for name, files in seen.items() if len(files) > 1}
    assert not dupes, f"public classes defined twice: {dupes}"


ARCH_DOC = ROOT / "docs" / "architecture.md"


@pytest.mark.parametrize("ref", sorted(set(re.findall(r"`rackforge/([\w/]+(?:\.py)?)`",
                                                       ARCH_DOC.read_text(encoding="utf-8")))))
def test_architecture_doc_names_modules_that_exist(ref: str) -> None:
    assert (PACKAGE / ref).exists(), f"docs/architecture.md names rackforge/{ref}, which does not exist"


def test_adding_a_section_touches_the_schema_and_one_registry(tmp_path: pathlib.Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The worked example of docs/architecture.md: a new section needs its type, its Programme field
    and one SECTIONS entry; the loader reads, validates, locates and attaches it with no other change."""
    import shutil

    from pydantic import Field, create_model

    from rackforge.errors import InputError
    from rackforge.io import loader
    from rackforge.schema import Programme
    from rackforge.schema.base import Model

    class SparesPolicy(Model):
        racks_of_spares: dict[str, float] = Field(default_factory=dict)

    programme_with_spares = create_model("ProgrammeWithSpares", __base__=Programme,
                                         spares=(SparesPolicy | None, None))
    monkeypatch.setattr(loader, "Programme", programme_with_spares)
    monkeypatch.setitem(loader.SECTIONS, "spares",
                        loader.SectionSpec("spares", SparesPolicy, False, help="spare parts policy"))
    folder = tmp_path / "p"
    shutil.copytree(loader.REFERENCE_DIR, folder)
    (folder / "spares.yaml").write_text("spares:\n  racks_of_spares:\n    gb200-nvl72: 2.5\n", encoding="utf-8")
    loaded = loader.load_programme(folder)
    assert loaded.spares.racks_of_spares == {"gb200-nvl72": 2.5}  # type: ignore[attr-defined]
    (folder / "spares.yaml").write_text("spares:\n  racks_of_spares:\n    gb200-nvl72: many\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        loader.load_programme(folder)
    problem = info.value.problems[0]
    assert problem.file.endswith("spares.yaml") and problem.line == 3 and "racks_of_spares" in problem.field
