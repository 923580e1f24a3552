"""The house's plan, held: imports run one way between the stages, and no module imports
itself back through others. Every import counts, those inside functions and under
``TYPE_CHECKING`` too (docs/architecture.md draws the stages)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "xltool"

# A stage imports only stages of a lower rank; stages of one rank do not import each other.
# The top-level modules (errors, findings, paths …) are the shared basics, rank 0.
RANKS = {
    "forms": 1,
    "reading": 2,
    "checking": 3,
    "round": 4,
    "render": 5,
    "mail": 5,
    "web": 6,
    "cli": 7,
    "__main__": 8,
}


def stage(module: str) -> str:
    """``xltool.forms.spec`` → ``forms``; a top-level module → ``basics``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANKS else "basics"


def rank(module: str) -> int:
    return RANKS.get(stage(module), 0)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(module: str, source: str, known: set[str]) -> set[str]:
    """Every xltool module ``source`` imports, wherever the import statement stands."""
    is_package = any(k.startswith(f"{module}.") for k in known)
    package = module.split(".") if is_package else module.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("xltool"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package[: len(package) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            if not base.startswith("xltool"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if sub in known else base)
    return {m for m in out if m in known and m != module}


def graph(sources: dict[str, str]) -> dict[str, set[str]]:
    known = set(sources)
    return {m: imports_of(m, text, known) for m, text in sources.items()}


def against_direction(edges: dict[str, set[str]]) -> list[str]:
    bad = []
    for a, targets in edges.items():
        for b in targets:
            same_rank = rank(a) == rank(b) and stage(a) != stage(b) and rank(a) > 0
            if rank(b) > rank(a) or same_rank:
                bad.append(f"{a} → {b} ({stage(a)} may not import {stage(b)})")
    return sorted(bad)


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            on.difference_update(component)
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def package_sources() -> dict[str, str]:
    return {module_name(p, PACKAGE): p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def test_the_package_has_its_stages() -> None:
    edges = graph(package_sources())
    assert {stage(m) for m in edges} == {*RANKS, "basics"}
    assert sum(len(t) for t in edges.values()) > 100  # the parser sees the imports


def test_imports_run_one_way() -> None:
    assert against_direction(graph(package_sources())) == []


def test_no_import_circles() -> None:
    assert circles(graph(package_sources())) == []


def test_the_checks_fail_on_an_import_against_the_direction() -> None:
    """What the two tests above would say if the form description imported the round,
    inside a function, or a stage imported its sibling under TYPE_CHECKING."""
    sources = package_sources()
    sources["xltool.forms.spec"] += (
        "\n\ndef _late():\n    from xltool.round.folder import Campaign\n"
    )
    sources["xltool.mail.send"] += (
        "\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from xltool.render import summary\n"
    )
    bad = against_direction(graph(sources))
    assert "xltool.forms.spec → xltool.round.folder (forms may not import round)" in bad
    assert "xltool.mail.send → xltool.render.summary (mail may not import render)" in bad
    assert any("xltool.forms.spec" in c for c in circles(graph(sources)))


def test_the_checks_fail_on_a_circle_inside_one_stage() -> None:
    sources = package_sources()
    sources["xltool.forms.cells"] += "\nfrom xltool.forms import layout\n"
    found = circles(graph(sources))
    assert any({"xltool.forms.cells", "xltool.forms.layout"} <= set(c) for c in found)


def test_relative_imports_are_resolved() -> None:
    known = {"xltool.forms.spec", "xltool.forms.fields", "xltool.errors", "xltool.forms"}
    found = imports_of(
        "xltool.forms.spec", "from .fields import TYPES\nfrom ..errors import SpecError\n", known
    )
    assert found == {"xltool.forms.fields", "xltool.errors"}
