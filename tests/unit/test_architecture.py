"""The import graph of chalicelib has no cycles and runs one way; adapters are built in bootstrap only.

The graph holds every import, the type-only ones under `if TYPE_CHECKING:` and the function-local
ones included: a cycle a type checker needs is still a cycle a reader must untangle.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "chalicelib"

# Top-level packages of chalicelib, lowest first: a module imports its own package or one listed before it.
# A name not listed is a module of the foundation (config, tenancy, exceptions, telemetry, dynamo, ...).
PACKAGE_ORDER = [
    "foundation", "catalog", "filters", "jsonapi", "dashboard", "ratelimit", "auth", "http", "idempotency",
    "records", "cleanups", "previews", "events", "schedules", "entrypoints",
]
# Modules that wire or serve: they may import anything, nothing imports them but app.py.
ENTRYPOINTS = [r"chalicelib\.bootstrap", r"chalicelib\.handlers", r"chalicelib\.views(\..*)?", r"chalicelib\..*\.web"]
# Layers inside a package, lowest first, by path (first match wins; anything else is `domain`):
# use cases call adapters (the packages without ports) or ports; adapters implement ports on the domain;
# a package's `__init__` names its public surface, above all of it.
LAYERS = ["domain", "adapters", "services", "surface"]
LAYER_OF = [
    ("surface", r"chalicelib\.[a-z_]+"),
    ("adapters", r"chalicelib\.(.*\.)?adapters(\..*)?"),
    ("adapters", r"chalicelib\.[a-z_]+\.([a-z_]+_)?store"),
    ("adapters", r"chalicelib\.(aws|dynamo|queue)"),
    ("services", r"chalicelib\.(.*\.)?service_layer(\..*)?"),
    ("services", r"chalicelib\.[a-z_]+\.(restore\.)?(services?|worker|reconciler)"),
    ("services", r"chalicelib\.events\.(delivery|queries|recorder|webhooks)"),
    ("services", r"chalicelib\.records\.(batch|links|matching|preview|restore)"),
]
# Packages whose use cases reach storage through ports only: their use cases never import an adapter.
PORTED = ["cleanups", "previews", "schedules"]
# Adapter classes: the Dynamo*/S3*/Sqs*/Http* ones, and these.
ADAPTER_NAME = re.compile(r"(Dynamo|S3|Sqs|Http)[A-Z]\w*")
ADAPTERS = {"RecordsStore", "HostedRecords", "RecordsPreviewer", "SystemClock"}
# The settings rule (docs/DESIGN.md#layers-and-settings): the modules of chalicelib that may name `get_settings`.
# The composition root, and the adapters that bind their own table, queue or bucket name when built.
READS_SETTINGS = {
    "chalicelib.config", "chalicelib.bootstrap", "chalicelib.dynamo", "chalicelib.queue",
    "chalicelib.records.adapters.store", "chalicelib.records.archive", "chalicelib.auth.applications",
}
# Known debt, listed so it can only shrink: the retention read by the cleanup and event writes, and the
# request-edge helpers (token issue, rate limits, the filter operand limit).
READS_SETTINGS_DEBT = {
    "chalicelib.cleanups.adapters.store", "chalicelib.cleanups.adapters.count_store",
    "chalicelib.events.adapters.store", "chalicelib.auth.tokens", "chalicelib.ratelimit", "chalicelib.limits",
}


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted((ROOT / PACKAGE).rglob("*.py"))}


def imported(tree: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Every chalicelib module `tree` imports (a `from x import y` names y when y is a module)."""
    known = modules()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")[: len(name.split(".")) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in known else base), node.lineno


@cache
def graph() -> tuple[Edge, ...]:
    known, edges, seen = modules(), [], set()
    for name, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for target, line in imported(tree, name, path.name == "__init__.py"):
            if target in known and target != name and (name, target) not in seen:
                seen.add((name, target))
                edges.append(Edge(name, target, line))
    return tuple(edges)


def cycles(edges: tuple[Edge, ...]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    following: dict[str, list[str]] = {}
    for edge in edges:
        following.setdefault(edge.source, []).append(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in following.get(node, []):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(modules()):
        if node not in index:
            visit(node)
    return found


def is_entrypoint(name: str) -> bool:
    return any(re.fullmatch(pattern, name) for pattern in ENTRYPOINTS)


def package_of(name: str) -> str:
    if is_entrypoint(name):
        return "entrypoints"
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else ""
    return top if top in PACKAGE_ORDER else "foundation"


def layer_of(name: str) -> str:
    return next((layer for layer, pattern in LAYER_OF if re.fullmatch(pattern, name)), "domain")


def upward(edge: Edge) -> str | None:
    """Why `edge` runs back up, or None when it runs down (or across one layer of one package)."""
    source, target = package_of(edge.source), package_of(edge.target)
    if PACKAGE_ORDER.index(target) > PACKAGE_ORDER.index(source):
        return f"package {source} imports the higher package {target}"
    if source == "entrypoints":
        return None
    lower, upper = layer_of(edge.source), layer_of(edge.target)
    if source == target and LAYERS.index(upper) > LAYERS.index(lower):
        return f"a {lower} module imports a {upper} module"
    if source == target and source in PORTED and (lower, upper) == ("services", "adapters"):
        return "a use case imports an adapter instead of taking a port"
    if source != target and target != "foundation" and upper == "adapters" and lower != "adapters":
        return f"a {lower} module imports another package's adapter"
    return None


def adapter_classes() -> set[str]:
    names = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and (node.name in ADAPTERS or ADAPTER_NAME.fullmatch(node.name)):
                names.add(node.name)
    return names


def constructions(adapters: set[str]) -> set[tuple[str, str]]:
    """(module, class) for every call of an adapter class in chalicelib, bootstrap excepted."""
    found = set()
    for name, path in modules().items():
        if name == "chalicelib.bootstrap":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
                if called in adapters:
                    found.add((name, called))
    return found


def settings_readers() -> set[str]:
    """The modules of chalicelib that name `get_settings` (defined, imported, called or passed on)."""
    found = set()
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            named = (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
                     else node.name if isinstance(node, (ast.alias, ast.FunctionDef)) else None)
            if named == "get_settings":
                found.add(name)
    return found


def test_architecture_graph_sees_type_only_and_local_imports() -> None:
    # Given the graph of chalicelib
    edges = {(edge.source, edge.target) for edge in graph()}
    # Then it holds the composition root's imports, and the graph is not empty
    assert ("chalicelib.bootstrap", "chalicelib.config") in edges
    assert len(edges) > 100


def test_architecture_has_no_import_cycles() -> None:
    # Given every import of chalicelib, type-only and function-local ones included
    # Then no module reaches itself through them
    assert cycles(graph()) == []


def test_architecture_imports_run_down_the_layers() -> None:
    # Given the package order and the layers as data
    # Then no import runs from a lower package or layer to a higher one
    wrong = [f"{e.source}:{e.line} -> {e.target}: {why}" for e in graph() if (why := upward(e)) is not None]
    assert wrong == []


def test_architecture_every_module_has_a_package_and_a_layer() -> None:
    # Given every module of chalicelib, its package and its layer are known names
    assert layer_of("chalicelib.cleanups") == "surface" and layer_of("chalicelib.config") == "surface"
    for name in modules():
        assert package_of(name) in PACKAGE_ORDER
        assert layer_of(name) in LAYERS


def test_architecture_adapters_are_built_in_bootstrap_only() -> None:
    # Given every adapter class: the Dynamo*/S3*/Sqs*/Http* ones and those listed
    adapters = adapter_classes()
    assert {"DynamoCleanupRepository", "DynamoEventLog", "DynamoClaims", "SqsWorkQueue", "S3Archive"} <= adapters
    # Then none is constructed in chalicelib outside the composition root
    assert constructions(adapters) == set()


def test_architecture_settings_are_read_where_the_rule_allows_only() -> None:
    # Given every module of chalicelib that names get_settings
    readers = settings_readers()
    # Then each is one the settings rule allows (or listed debt), and every listed one still reads them
    assert "chalicelib.bootstrap" in readers
    assert readers == READS_SETTINGS | READS_SETTINGS_DEBT


def test_architecture_bootstrap_is_imported_by_app_only() -> None:
    # Given the composition root, then no chalicelib module reaches up to it (app.py passes what it builds)
    assert [e.source for e in graph() if e.target == "chalicelib.bootstrap"] == []


def test_architecture_rules_catch_what_they_forbid() -> None:
    # Given an edge from a domain module up to an adapter, and one from cleanups to events
    # Then both are reported, and one from a use case down to the domain is not
    assert upward(Edge("chalicelib.cleanups.domain.model", "chalicelib.cleanups.adapters.store", 1))
    assert upward(Edge("chalicelib.cleanups.ports", "chalicelib.events.model", 1))
    assert upward(Edge("chalicelib.cleanups.service_layer.worker", "chalicelib.cleanups.adapters.store", 1))
    assert upward(Edge("chalicelib.idempotency.web", "chalicelib.bootstrap", 1)) is None
    assert upward(Edge("chalicelib.idempotency.service", "chalicelib.bootstrap", 1))
    assert upward(Edge("chalicelib.cleanups.service_layer.worker", "chalicelib.cleanups.domain.model", 1)) is None
    assert cycles((Edge("a", "b", 1), Edge("b", "a", 1))) == []  # unknown modules are not visited
