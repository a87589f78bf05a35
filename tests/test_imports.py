"""The package's import graph: dependencies point one way (no circle), and no module imports
another module's private (``_name``) names.

Every ``import`` and ``from ... import`` inside ``segmenter/`` counts, at module level or inside
a function (a lazy import is still a dependency), except those under ``if TYPE_CHECKING:``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "segmenter"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    return skip


def _imports(name: str) -> list[tuple[int, str, str | None]]:
    """``(line, imported module, imported name or None)`` of module ``name``'s imports of
    ``segmenter`` modules."""
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    skip = _type_checking_nodes(tree)
    here = name if _is_package(name) else name.rpartition(".")[0]
    out: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name, None) for a in node.names
                       if a.name.split(".")[0] == "segmenter")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "segmenter":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in MODULES:  # `from . import module`
                    out.append((node.lineno, sub, None))
                else:
                    out.append((node.lineno, target, alias.name))
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name in MODULES:
        edges = set()
        for _, target, _ in _imports(name):
            while target not in MODULES:  # `import segmenter.x.y` of a name inside a module
                target = target.rpartition(".")[0]
            if target != name and not name.startswith(target + "."):  # a parent package
                edges.add(target)
        graph[name] = edges
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_walk_sees_the_package() -> None:
    graph = _graph()
    assert {"segmenter.pipeline", "segmenter.io", "segmenter.cli", "segmenter.engines.local",
            "segmenter.stage"} <= set(graph)
    assert "segmenter.engines" in graph["segmenter.pipeline"]
    assert "segmenter.io" in graph["segmenter.stage"]


def test_no_import_circle() -> None:
    assert _cycle(_graph()) is None, " -> ".join(_cycle(_graph()) or [])


def test_a_circle_would_be_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_private_name_imported_across_modules() -> None:
    private = []
    for name in MODULES:
        for line, target, imported in _imports(name):
            names = target.split(".") + ([imported] if imported else [])
            if any(p.startswith("_") and not p.startswith("__") for p in names):
                private.append(f"{MODULES[name].relative_to(ROOT)}:{line}: "
                               f"{target} {imported or ''}".rstrip())
    assert not private, "\n".join(private)


def test_public_names_are_documented() -> None:
    """Every module, every public (``__all__``) function and class, and their public methods
    (a docstring inherited from an interface counts) say what they do."""
    import importlib
    import inspect

    missing = []
    for name in MODULES:
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name)
        if not module.__doc__:
            missing.append(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != name:
                continue
            found = [f"{name}.{attr}"] if not inspect.getdoc(obj) else []
            if inspect.isclass(obj):
                found += [f"{name}.{attr}.{k}" for k, v in vars(obj).items()
                          if not k.startswith("_") and inspect.isfunction(v)
                          and not inspect.getdoc(getattr(obj, k))]
            missing += found
    assert not missing, "undocumented: " + ", ".join(missing)
