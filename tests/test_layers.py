"""The import layers, read from the source with `ast` (function-level imports included):
`simulation` never imports Streamlit or the dashboard, and its modules form no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("simulation", "dashboard")


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute (relative imports resolved)."""
    module = _module(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            stem = ".".join([*base, node.module] if node.module else base)
            out.add(stem)
            out.update(f"{stem}.{a.name}" for a in node.names)
    return out


def _graph(package: str) -> dict[str, set[str]]:
    files = sorted((ROOT / package).rglob("*.py"))
    modules = {_module(p) for p in files}
    return {_module(p): {m for m in _imports(p) if m in modules} for p in files}


def test_simulation_never_imports_streamlit_or_the_dashboard() -> None:
    for path in sorted((ROOT / "simulation").rglob("*.py")):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("streamlit", "dashboard")}
        assert not bad, (path, bad)


def test_the_dashboard_is_imported_only_by_the_app() -> None:
    for path in sorted(ROOT.glob("*/**/*.py")):
        if path.relative_to(ROOT).parts[0] in ("simulation", "benchmarks"):
            assert not any(m.split(".")[0] == "dashboard" for m in _imports(path)), path


def test_no_import_circle_in_the_packages() -> None:
    for package in PACKAGES:
        graph = _graph(package)
        for start in graph:
            seen, todo = set(), list(graph[start] - {package})
            while todo:
                m = todo.pop()
                assert m != start, f"{start} imports itself through {sorted(seen)}"
                if m not in seen:
                    seen.add(m)
                    todo.extend(graph.get(m, set()) - {package})
