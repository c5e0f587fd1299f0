"""The package's folders are its layers (ARCHITECTURE.md "Layout"): each folder imports only from the
layers below it, and no import cycle exists anywhere, function-level imports included."""
from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "insurance_xl"
VOCABULARY = {"registers", "settings", "findings", "errors", "tables", "outputs"}

# layer -> the layers it may import (besides itself and the shared vocabulary)
ALLOWED: dict[str, set[str]] = {
    "vocabulary": set(),
    "xlsx": set(),
    "core": set(),
    "reading": {"xlsx", "core"},
    "writing": {"xlsx", "core", "reading"},
    "demo": {"xlsx", "core"},
    "services": {"xlsx", "core", "reading", "writing", "demo"},
    "commands": {"xlsx", "core", "reading", "writing", "services", "demo"},
    "excel": {"xlsx", "core", "reading", "writing", "services"},
    "cli": {"commands"},
    "main": {"cli"},
}


def layer_of(module: str) -> str:
    """insurance_xl.core.kpi -> core; insurance_xl.settings -> vocabulary."""
    parts = module.split(".")[1:]
    if not parts or parts[0] == "__init__":
        return "vocabulary"
    head = parts[0]
    if head in VOCABULARY:
        return "vocabulary"
    if head == "__main__":
        return "main"
    return head


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every insurance_xl module `path` imports, at any depth of its code."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "insurance_xl")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and node.module.split(".")[0] == "insurance_xl":
                target = node.module
            else:
                continue
            found.add(target)
            # `from . import board`: the names may be modules themselves
            found.update(f"{target}.{a.name}" for a in node.names)
    return found


def package_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def layer_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    problems = []
    for module, targets in graph.items():
        layer = layer_of(module)
        allowed = ALLOWED[layer] | {layer, "vocabulary"}
        for target in targets:
            if layer_of(target) not in allowed:
                problems.append(f"{module} ({layer}) imports {target} ({layer_of(target)})")
    return sorted(problems)


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_every_layer_imports_only_from_below():
    assert layer_violations(package_graph()) == []


def test_no_import_cycle_anywhere():
    graph = package_graph()
    # a package's __init__ importing its own modules is not a cycle through the layers
    assert cycles(graph) == []


def test_the_checks_fail_when_core_imports_a_writer():
    graph = package_graph()
    graph["insurance_xl.core.kpi"] = set(graph["insurance_xl.core.kpi"]) | {"insurance_xl.writing.report_book"}
    assert "insurance_xl.core.kpi (core) imports insurance_xl.writing.report_book (writing)" in layer_violations(graph)
    graph["insurance_xl.xlsx.save"] = {"insurance_xl.reading.store"}
    assert any(v.startswith("insurance_xl.xlsx.save (xlsx) imports") for v in layer_violations(graph))


def test_the_cycle_check_finds_a_function_level_cycle(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from insurance_xl.core import kpi\n")
    assert "insurance_xl.core.kpi" in {m for m in imports_of_outside(module)}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def imports_of_outside(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("insurance_xl"):
            found.update(f"{node.module}.{a.name}" for a in node.names)
    return found


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_grows_past_450_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 450


def test_at_most_ten_modules_at_the_top_level():
    assert len(list(PACKAGE.glob("*.py"))) <= 10
