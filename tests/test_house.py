"""The house rules of the package (issue 21): no module over 600 lines, and no import cycle
between its modules. Imports inside functions are left out: they are how a module defers a
heavy or late dependency, and they run after every module has loaded."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "zhuanlan"
MAX_LINES = 600


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {_module_name(path, package): path for path in sorted(package.rglob("*.py"))}


def _top_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules that `name` imports when it is loaded."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            continue
        statements = [node]
        if isinstance(node, (ast.Try, ast.If)):
            statements = [n for block in (node.body, getattr(node, "orelse", [])) for n in block]
        for statement in statements:
            if isinstance(statement, ast.Import):
                targets = [alias.name for alias in statement.names]
            elif isinstance(statement, ast.ImportFrom):
                if statement.level:
                    base = package.split(".")
                    base = base[: len(base) - statement.level + 1]
                    module = ".".join(base + ([statement.module] if statement.module else []))
                else:
                    module = statement.module or ""
                # `from . import x` imports the submodule x when there is one
                targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                           for alias in statement.names]
            else:
                continue
            for target in targets:
                if target in known and target != name:
                    found.add(target)
    return found


def test_no_module_is_over_600_lines():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def import_cycles(package: Path) -> list[list[str]]:
    """Each cycle of top-level imports between the package's modules, as a path of names."""
    modules = _modules(package)
    known = set(modules)
    graph = {name: _top_level_imports(name, path, known) for name, path in modules.items()}
    # A submodule's package is loaded before it, so importing a.b imports a as well.
    for name in list(graph):
        for target in list(graph[name]):
            parent = target.rsplit(".", 1)[0]
            if parent in known and parent != name and not name.startswith(parent + "."):
                graph[name].add(parent)
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return cycles


def test_no_import_cycle_between_modules():
    cycles = import_cycles(PACKAGE)
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_the_cycle_finder_sees_a_cycle(tmp_path):
    """The check itself can fail: two modules that import each other are reported."""
    package = tmp_path / "zhuanlan"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("from .a import x\n")
    (package / "c.py").write_text("def late():\n    from . import a\n")
    assert import_cycles(package) == [["zhuanlan.a", "zhuanlan.b", "zhuanlan.a"]]
