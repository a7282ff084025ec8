"""Layout rules of the qa package: no import cycles among its modules, and no module over 450 lines.

The import graph counts every import statement in a module: at the top, under `if TYPE_CHECKING:` and inside
functions. A lazy or type-only import still says "this module depends on that one"; a cycle through one is a
cycle a later edit can turn into an ImportError, and it means two modules cannot be understood apart.
"""

from __future__ import annotations

import ast
from pathlib import Path

QA_DIR = Path(__file__).resolve().parent.parent / "qa"
MAX_LINES = 450


def module_files(root: Path = QA_DIR) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of the package (a package is named by its __init__.py)."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The package modules a module imports anywhere in its body (type-only and function-level imports included).

    `from a.b import c` names the module a.b.c when that is a module, else a.b. Importing a module also runs its
    parent packages' __init__, so those count too, except the importer's own parents (already running by then).
    """
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join([*base_parts, node.module] if node.module else base_parts)
            else:
                base = node.module or ""
            for alias in node.names:
                full = f"{base}.{alias.name}"
                targets.add(full if full in known else base)
    own_parents = set(_ancestors(name)) | ({name} if is_package else set())
    edges: set[str] = set()
    for target in targets:
        for candidate in [*_ancestors(target), target]:
            if candidate in known and candidate not in own_parents and candidate != name:
                edges.add(candidate)
    return edges


def import_graph(root: Path = QA_DIR) -> dict[str, set[str]]:
    """Module → the package modules it imports."""
    modules = module_files(root)
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (each a set of modules that import in a ring)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative Tarjan: no recursion limit to worry about
        nonlocal counter
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
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
                    components.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return components


def _ring(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One concrete import ring inside a component, for the failure message (a → b → … → a)."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & members):
            if child == start:
                return [*paths[node], start]
            if child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component


def test_the_cycle_finder_finds_a_ring_and_a_type_only_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import C\n"
    )
    (package / "c.py").write_text("def f():\n    from . import a\n")
    (package / "d.py").write_text("import pkg.a\n")
    graph = import_graph(package)
    assert graph["pkg.a"] == {"pkg.sub", "pkg.sub.b"}
    assert find_cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub.b"]]
    assert _ring(["pkg.a", "pkg.c", "pkg.sub.b"], graph) == ["pkg.a", "pkg.sub.b", "pkg.c", "pkg.a"]


def test_no_import_cycles_among_qa_modules() -> None:
    graph = import_graph()
    assert "qa.index.store" in graph and graph["qa.retrieve"]  # the walk found the package
    rings = [
        f"{' → '.join(_ring(component, graph))}  (modules in this tangle: {', '.join(component)})"
        for component in find_cycles(graph)
    ]
    assert not rings, "import cycles:\n" + "\n".join(rings)


def test_no_qa_module_is_over_450_lines() -> None:
    lengths = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in module_files().items()}
    too_long = {name: n for name, n in sorted(lengths.items()) if n > MAX_LINES}
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
