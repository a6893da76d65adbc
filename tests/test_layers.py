"""The app's layers, read from its import statements (at any depth, function bodies too):
extensions and the clock import nothing of the app, models import no service or view, and
no import cycle runs between packages (a change in a lower layer never needs the upper one)."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def _modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in APP.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str) -> set[str]:
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            # `from .. import clock` is the module app.clock, `from ..models import Job` app.models
            candidates = [f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES
                          else target for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found.update(c for c in candidates if c in MODULES and c != name)
    return found


# `app` itself (create_app) wires every layer together and is imported only to build the
# app (freezer-manage, wsgi.py): it stands above the layers, outside the graph.
GRAPH = {name: _imports(name) - {"app"} for name in MODULES if name != "app"}


def _package(name: str) -> str:
    return name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]


def _cycles() -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    for start in GRAPH:
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        components.append(component)
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(GRAPH[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def test_the_graph_is_read():
    # the reader itself: these imports exist, so a broken reader cannot pass everything
    assert "app.extensions" in GRAPH["app.models.job"]
    assert "app.clock" in GRAPH["app.services.runs"]
    assert "app.cli.users" in GRAPH["app.cli"]  # an import inside a function


@pytest.mark.parametrize("bottom", ["app.extensions", "app.clock"])
def test_the_bottom_layer_imports_nothing_of_the_app(bottom):
    assert GRAPH[bottom] == set()


def test_models_import_no_service_view_or_command():
    upper = ("app.services", "app.api", "app.ui", "app.cli", "app.ops")
    wrong = {name: sorted(d for d in deps if d.startswith(upper))
             for name, deps in GRAPH.items() if name.startswith("app.models")}
    assert {name: deps for name, deps in wrong.items() if deps} == {}


def test_no_import_cycle_between_packages():
    """A package's __init__ and its modules may import each other (a blueprint and its
    views); anything wider is a cycle between layers."""
    across = [sorted(c) for c in _cycles() if len({_package(m) for m in c}) > 1]
    assert across == []
