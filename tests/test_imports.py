"""No import cycles in the package: a static graph of every import statement in python/edgekd (at module
level or inside functions alike: a lazy import still ties two modules together), checked for strongly
connected components. Imports under `if TYPE_CHECKING:` are not edges."""
from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "python" / "edgekd"


def module_name(p: Path) -> str:
    parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n.test):
            for c in n.body:
                ids.update(id(x) for x in ast.walk(c))
    return ids


def import_graph(files: dict[str, Path]) -> dict[str, set[str]]:
    known = set(files) | {"edgekd._core"}  # the compiled module: a leaf
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_nodes(tree)
        pkg = mod.split(".") if path.name == "__init__.py" else mod.split(".")[:-1]
        edges: set[str] = set()
        for n in ast.walk(tree):
            if id(n) in skip:
                continue
            if isinstance(n, ast.Import):
                edges.update(a.name for a in n.names if a.name in known)
            elif isinstance(n, ast.ImportFrom):
                if n.level:
                    base = pkg[: len(pkg) - (n.level - 1)] + ([n.module] if n.module else [])
                    target = ".".join(base)
                else:
                    target = n.module or ""
                # `from pkg import sub` depends on pkg.sub; `from mod import name` on mod itself
                subs = [f"{target}.{a.name}" for a in n.names]
                found = [s for s in subs if s in known]
                edges.update(found)
                if len(found) < len(subs) and target in known:
                    edges.add(target)
        graph[mod] = edges - {mod}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycles():
    files = {module_name(p): p for p in sorted(PKG.rglob("*.py"))}
    found = cycles(import_graph(files))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_detector_finds_a_lazy_cycle(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from .b import f\n")
    b.write_text("def g():\n    from .a import h\n")
    c = tmp_path / "c.py"
    c.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n")
    g = import_graph({"edgekd.a": a, "edgekd.b": b, "edgekd.c": c})
    assert cycles(g) == [["edgekd.a", "edgekd.b"]]
    assert g["edgekd.c"] == set()
