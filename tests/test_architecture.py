"""The project's module dependency rules, checked by reading the source with ``ast``.

Nothing here imports a project module, so these tests need no Django set-up and no
database. They read every ``.py`` file of ``orders``, ``inventory``, ``returns`` and
``ordersite`` (``migrations`` excluded) and collect every import statement in it.

Deferred imports count. An import written inside a function or a method is still a
dependency: it only moves the moment the module is loaded from import time to call
time, and it is the usual way a cycle gets *hidden* rather than removed. So every
import anywhere in a file makes an edge, with one exception for the cycle rule: an
import under ``if TYPE_CHECKING:`` never runs, so it cannot take part in a cycle.

The rules:

1. No import cycles between the project's modules.
2. ``inventory`` imports nothing from ``orders``.
3. The publish/subscribe seam and the outbox (``ordersite.facts``, ``.outbox``,
   ``.actors``, ``.models``, ``.tasks``, whichever exist) import no app.

Only ``import`` statements are seen: ``importlib.import_module("…")``, Celery task
names sent as strings and ``apps.get_model("orders", …)`` are not.
"""

import ast
from collections import defaultdict, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("orders", "inventory", "returns", "ordersite")
APPS = ("orders", "inventory", "returns")
SEAM = (
    "ordersite.facts",
    "ordersite.outbox",
    "ordersite.actors",
    "ordersite.models",
    "ordersite.tasks",
)


# -- the checker --------------------------------------------------------------------


def module_name(path, root=ROOT):
    """``orders/core/__init__.py`` -> ``orders.core``; ``orders/services.py`` -> ``orders.services``."""
    parts = list(Path(path).relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root=ROOT, packages=PACKAGES):
    """Every module of the given top-level packages, as ``{dotted name: path}``."""
    modules = {}
    for package in packages:
        for path in sorted((Path(root) / package).rglob("*.py")):
            if "migrations" in path.relative_to(root).parts:
                continue
            modules[module_name(path, root)] = path
    return modules


def is_module(name, root=ROOT):
    """Whether the dotted name is a file ``a/b.py`` or a package ``a/b/__init__.py``."""
    base = Path(root).joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def is_type_checking(test):
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_nodes(tree, include_type_checking=False):
    """Every Import/ImportFrom node anywhere in the tree, function bodies included."""
    found = []

    def visit(node):
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        if (
            isinstance(node, ast.If)
            and is_type_checking(node.test)
            and not include_type_checking
        ):
            children = node.orelse  # the body never runs
        else:
            children = ast.iter_child_nodes(node)
        for child in children:
            visit(child)

    visit(tree)
    return found


def imports_of(path, root=ROOT, include_type_checking=False):
    """``[(target module, lineno), …]`` for every import in the file, resolved.

    Relative imports are made absolute. ``from A import b`` targets ``A.b`` when that
    is a module of the project, ``A`` otherwise; ``import A.b.c`` targets ``A.b.c``.
    """
    path = Path(path)
    name = module_name(path, root)
    package = name.split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    result = []
    for node in import_nodes(tree, include_type_checking):
        if isinstance(node, ast.Import):
            result.extend((alias.name, node.lineno) for alias in node.names)
            continue
        if node.level:
            if node.level - 1 > len(package) - 1:
                continue  # beyond the top-level package: not ours to resolve
            base = package[: len(package) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module
        for alias in node.names:
            candidate = f"{source}.{alias.name}"
            if alias.name != "*" and is_module(candidate, root):
                result.append((candidate, node.lineno))
            else:
                result.append((source, node.lineno))
    return list(dict.fromkeys(result))  # ``from A import x, y``: one entry per line


def import_graph(root=ROOT, packages=PACKAGES):
    """``{module: {imported module: ["file:line", …]}}`` between the project's modules.

    Edges to modules outside ``packages`` and self-edges are left out; ``TYPE_CHECKING``
    imports are left out (they never run).
    """
    modules = project_modules(root, packages)
    graph = {name: defaultdict(list) for name in modules}
    for name, path in modules.items():
        where = path.relative_to(root).as_posix()
        for target, lineno in imports_of(path, root):
            if target not in modules:
                # ``import orders.models.Order`` and the like: the nearest module.
                parts = target.split(".")
                while parts and ".".join(parts) not in modules:
                    parts.pop()
                if not parts:
                    continue  # outside the project's packages
                target = ".".join(parts)
            if target != name:
                graph[name][target].append(f"{where}:{lineno}")
    return {name: dict(edges) for name, edges in graph.items()}


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan, iterative).

    Each component is a sorted list of module names; the list of components is sorted.
    """
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        work = [(start, iter(sorted(graph.get(start, ()))))]
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph.get(successor, ())))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
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
    return sorted(components)


def shortest_path(graph, start, goal, allowed):
    """Shortest path ``[start, …, goal]`` through ``allowed`` nodes, or None."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            path = []
            while node is not None:
                path.append(node)
                node = previous[node]
            return path[::-1]
        for successor in sorted(graph.get(node, ())):
            if successor in allowed and successor not in previous:
                previous[successor] = node
                queue.append(successor)
    return None


def cycle_paths(graph, component):
    """Short cycles through the component that, together, use every edge inside it.

    Cutting a cycle means removing one of its imports; listing a cycle for every edge
    shows each import that keeps the component together.
    """
    members = set(component)
    covered, paths = set(), []
    for node in component:
        for successor in sorted(graph.get(node, ())):
            if successor not in members or (node, successor) in covered:
                continue
            back = shortest_path(graph, successor, node, members)
            path = [node, *back]
            covered.update(zip(path, path[1:], strict=False))
            paths.append(path)
    return paths


def describe(graph, components):
    """The failure message: each component, its cycles, and the file:line of each edge."""
    lines = [f"{len(components)} import cycle(s) between the project's modules:"]
    for number, component in enumerate(components, 1):
        lines.append("")
        lines.append(
            f"[{number}] {len(component)} modules import each other: "
            + ", ".join(component)
        )
        for path in cycle_paths(graph, component):
            lines.append("    " + " -> ".join(path))
            for source, target in zip(path, path[1:], strict=False):
                where = ", ".join(graph[source][target])
                lines.append(f"        {source} -> {target}: {where}")
    return "\n".join(lines)


def offending_imports(modules, forbidden, root=ROOT):
    """``["file:line imports target", …]`` for imports of ``forbidden`` packages.

    Every import counts here, ``TYPE_CHECKING`` ones included: the rule is that these
    modules do not know about those packages at all.
    """
    found = []
    for path in modules:
        where = Path(path).relative_to(root).as_posix()
        for target, lineno in imports_of(path, root, include_type_checking=True):
            if target.split(".")[0] in forbidden:
                found.append(f"{where}:{lineno} imports {target}")
    return found


# -- the diagram of who imports whom in docs/architecture.md --------------------------

LAYERS = {
    "pages": "orders pages<br>staff/, admin/, customer.views",
    "wiring": "orders wiring<br>apps, tasks, demo, commands",
    "subscribers": "orders subscribers<br>*.subscribers, notifications.emails",
    "services": "orders services<br>*.services, transitions, moves,<br>payments, refunds, discounts, pricing",
    "selectors": "orders selectors<br>*.selectors, events.timeline",
    "facts": "orders facts<br>*.facts, events.record, events.words",
    "models": "orders models<br>*.models, permissions, conditions,<br>exceptions, delays.calendar",
    "inventory": "inventory",
    "returns": "returns",
    "seam": "ordersite seam, outbox, shared rules<br>facts, outbox, actors, limits,<br>exports, ratelimit",
    "project": "ordersite project<br>settings, urls, staff pages, admin",
}


def layer(module):
    """The layer of a module in the diagram (pages, services, facts, models, …)."""
    parts = module.split(".")
    last = parts[-1]
    if parts[0] == "ordersite":
        seam = {
            "facts",
            "outbox",
            "actors",
            "models",
            "tasks",
            "apps",
            "limits",
            "exports",
            "ratelimit",
        }
        return "seam" if len(parts) > 1 and parts[1] in seam else "project"
    if parts[0] in ("inventory", "returns"):
        return parts[0]
    if last == "models":  # a subject's models, wherever the subject lives
        return "models"
    if "staff" in parts or "admin" in parts or last in ("views", "urls", "forms"):
        return "pages"
    wiring = ("apps", "tasks", "demo", "demo_data", "reference_data")
    if "management" in parts or last in wiring:
        return "wiring"
    if last in ("subscribers", "emails"):
        return "subscribers"
    if last in ("selectors", "timeline", "lifecycle"):
        return "selectors"
    if last in ("facts", "record", "words"):
        return "facts"
    if last in (
        "models",
        "pricing_models",
        "conditions",
        "permissions",
        "exceptions",
        "calendar",
    ):
        return "models"
    return "services"


def import_diagram(graph):
    """The layers and who imports whom, as a Mermaid flowchart (the block in the docs)."""
    edges = sorted(
        {
            (layer(source), layer(target))
            for source, targets in graph.items()
            for target in targets
            if layer(source) != layer(target)
        }
    )
    lines = ["```mermaid", "flowchart TD"]
    used = sorted({node for edge in edges for node in edge}, key=list(LAYERS).index)
    lines += [f'    {node}["{LAYERS[node]}"]' for node in used]
    lines += [f"    {source} --> {target}" for source, target in edges]
    return "\n".join([*lines, "```"])


DOC = ROOT / "docs" / "architecture.md"
START, END = "<!-- imports:start -->", "<!-- imports:end -->"


def documented_diagram():
    text = DOC.read_text(encoding="utf-8")
    return text.split(START, 1)[1].split(END, 1)[0].strip()


def write_diagram():
    """Rewrite the diagram in docs/architecture.md from the code (``make diagram``)."""
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    DOC.write_text(
        f"{head}{START}\n{import_diagram(import_graph())}\n{END}{tail}",
        encoding="utf-8",
    )


# -- the rules ----------------------------------------------------------------------


def test_no_import_cycles_between_modules():
    graph = import_graph()
    components = cycles(graph)
    assert not components, describe(graph, components)


def test_inventory_imports_nothing_from_orders():
    inventory = [
        path
        for name, path in project_modules().items()
        if name.split(".")[0] == "inventory"
    ]
    assert inventory, "no inventory modules found: is ROOT right?"
    offending = offending_imports(inventory, {"orders"})
    assert not offending, "inventory must not import from orders:\n" + "\n".join(
        offending
    )


def test_the_seam_and_the_outbox_import_no_app():
    seam = [
        path
        for name, path in project_modules().items()
        if any(name == module or name.startswith(module + ".") for module in SEAM)
    ]
    # Modules of SEAM that do not exist yet are simply not checked.
    offending = offending_imports(seam, set(APPS))
    assert not offending, (
        "the publish/subscribe seam and the outbox must import no app "
        f"({', '.join(APPS)}):\n" + "\n".join(offending)
    )


# -- the checker checks itself ------------------------------------------------------


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_cycle_detector_finds_a_cycle_made_by_a_deferred_import(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "def f():\n    from pkg import b\n    return b\n",
            "pkg/b.py": "import pkg.a\n",
            "pkg/c.py": "from pkg.a import f\n",
        },
    )
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg.a"] == {"pkg.b": ["pkg/a.py:2"]}
    assert graph["pkg.b"] == {"pkg.a": ["pkg/b.py:1"]}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]
    message = describe(graph, cycles(graph))
    assert "pkg.a -> pkg.b -> pkg.a" in message
    assert "pkg/a.py:2" in message and "pkg/b.py:1" in message

    write(tmp_path, {"pkg/b.py": "import os\n"})
    assert cycles(import_graph(tmp_path, ("pkg",))) == []


def test_the_checker_resolves_relative_imports_and_skips_type_checking(tmp_path):
    write(
        tmp_path,
        {
            "pkg/__init__.py": "from .sub import thing\n",
            "pkg/sub/__init__.py": "thing = 1\n",
            "pkg/sub/x.py": (
                "from typing import TYPE_CHECKING\n"
                "from . import y\n"
                "from .. import other\n"
                "if TYPE_CHECKING:\n"
                "    from pkg import hidden\n"
            ),
            "pkg/sub/y.py": "",
            "pkg/other.py": "",
            "pkg/hidden.py": "",
        },
    )
    graph = import_graph(tmp_path, ("pkg",))
    assert graph["pkg"] == {"pkg.sub": ["pkg/__init__.py:1"]}
    assert graph["pkg.sub.x"] == {
        "pkg.sub.y": ["pkg/sub/x.py:2"],
        "pkg.other": ["pkg/sub/x.py:3"],
    }
    # The layering rules see TYPE_CHECKING imports too.
    assert offending_imports([tmp_path / "pkg/sub/x.py"], {"pkg"}, tmp_path) == [
        "pkg/sub/x.py:2 imports pkg.sub.y",
        "pkg/sub/x.py:3 imports pkg.other",
        "pkg/sub/x.py:5 imports pkg.hidden",
    ]


def test_the_import_diagram_in_the_docs_matches_the_code():
    expected = import_diagram(import_graph())
    assert documented_diagram() == expected, (
        "docs/architecture.md shows another import diagram; run `make diagram`:\n"
        + expected
    )


if __name__ == "__main__":
    write_diagram()
