"""The device side runs on the Pythons boards ship (3.8 on Jetson's Ubuntu 20.04, 3.10, 3.11): every module
that `import edgekd`, the `edgekd` and `edgekd-run` commands, the profiles and the benchmark load must
parse as Python 3.8 and use no 3.9+ construct that runs at import or call time. No 3.8 interpreter is
needed: the source is checked with ast, which knows the grammar of each version, plus a list of the
runtime features that newer versions added (builtin generics, `X | Y` types, str.removeprefix, ...)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "python" / "edgekd"

# What runs on a board: the runtime facade, the profiles, the benchmark harness and its workers, the CLI
# (whose parser imports every command module), the edgekd-run shim, the .tflite reader (bench and deploy
# check models with it) and the script the device wheel's check runs with the board's Python.
DEVICE_SIDE = sorted({
    *PKG.glob("*.py"),          # __init__, runtime, errors, cli, run_binary, ir
    *PKG.glob("devices/*.py"),
    *PKG.glob("bench/**/*.py"),
    *PKG.glob("commands/*.py"),
    *PKG.glob("tflite/*.py"),
})

GENERIC_BUILTINS = {"list", "dict", "tuple", "set", "frozenset", "type"}
TYPE_NAMES = GENERIC_BUILTINS | {"int", "float", "str", "bytes", "bool", "complex", "object", "Path"}
NEW_ATTRS = {  # attribute -> version that added it
    "removeprefix": "3.9", "removesuffix": "3.9", "is_relative_to": "3.9", "with_stem": "3.9",
    "readlink": "3.9", "randbytes": "3.9", "waitstatus_to_exitcode": "3.9", "bit_count": "3.10",
    "pairwise": "3.10", "hardlink_to": "3.10", "batched": "3.12", "file_digest": "3.11",
}
NEW_FROM_IMPORTS = {
    "functools": {"cache": "3.9"}, "math": {"lcm": "3.9", "nextafter": "3.9", "ulp": "3.9"},
    "itertools": {"pairwise": "3.10", "batched": "3.12"}, "contextlib": {"chdir": "3.11"},
    "typing": {"Annotated": "3.9", "TypeAlias": "3.10", "ParamSpec": "3.10", "Concatenate": "3.10",
               "TypeGuard": "3.10", "Self": "3.11", "Never": "3.11", "LiteralString": "3.11",
               "assert_never": "3.11", "Required": "3.11", "NotRequired": "3.11", "override": "3.12"},
    "enum": {"StrEnum": "3.11"}, "datetime": {"UTC": "3.11"}, "dataclasses": {"KW_ONLY": "3.10"},
}
NEW_MODULES = {"zoneinfo": "3.9", "graphlib": "3.9", "tomllib": "3.11"}
NEW_KWARGS = {("zip", "strict"): "3.10", ("dataclass", "slots"): "3.10", ("dataclass", "kw_only"): "3.10"}
GUARD_EXC = {"ImportError", "ModuleNotFoundError", "AttributeError", "Exception"}


def _guarded(node: ast.AST, parents: dict) -> bool:
    """Inside a try that catches the failure, or under `if TYPE_CHECKING` / `if sys.version_info ...`."""
    child, p = node, parents.get(node)
    while p is not None:
        if isinstance(p, ast.Try) and child in p.body:
            for h in p.handlers:
                names = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
                if h.type is None or any(isinstance(n, ast.Name) and n.id in GUARD_EXC for n in names):
                    return True
        if isinstance(p, ast.If) and child in p.body:
            src = ast.dump(p.test)
            if "TYPE_CHECKING" in src or "version_info" in src:
                return True
        child, p = p, parents.get(p)
    return False


def _annotations(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for n in ast.walk(tree):
        anns = []
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = n.args
            anns = [x.annotation for x in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg] if x]
            anns.append(n.returns)
        elif isinstance(n, ast.AnnAssign):
            anns = [n.annotation]
        for ann in anns:
            if ann is not None:
                ids.update(id(x) for x in ast.walk(ann))
    return ids


def py38_problems(source: str, name: str) -> list[str]:
    try:
        tree = ast.parse(source, name, feature_version=(3, 8))
    except SyntaxError as e:
        return [f"{name}:{e.lineno}: not Python 3.8 syntax: {e.msg}"]
    lazy = any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and
               any(a.name == "annotations" for a in n.names) for n in tree.body)
    in_ann = _annotations(tree) if lazy else set()  # without the future import annotations are evaluated
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    out = []

    def bad(n: ast.AST, what: str) -> None:
        if not _guarded(n, parents):
            out.append(f"{name}:{getattr(n, 'lineno', '?')}: {what}")

    for n in ast.walk(tree):
        if id(n) in in_ann:
            continue
        if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id in GENERIC_BUILTINS:
            bad(n, f"{n.value.id}[...] at run time needs 3.9")
        elif isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) and any(
                (isinstance(s, ast.Constant) and s.value is None) or (isinstance(s, ast.Name) and s.id in TYPE_NAMES)
                for s in (n.left, n.right)):
            bad(n, "X | Y type union at run time needs 3.10")
        elif isinstance(n, ast.Attribute) and n.attr in NEW_ATTRS:
            bad(n, f".{n.attr} needs {NEW_ATTRS[n.attr]}")
        elif isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and \
                n.attr in NEW_FROM_IMPORTS.get(n.value.id, {}):
            bad(n, f"{n.value.id}.{n.attr} needs {NEW_FROM_IMPORTS[n.value.id][n.attr]}")
        elif isinstance(n, ast.ImportFrom) and n.module in NEW_FROM_IMPORTS:
            for a in n.names:
                if a.name in NEW_FROM_IMPORTS[n.module]:
                    bad(n, f"from {n.module} import {a.name} needs {NEW_FROM_IMPORTS[n.module][a.name]}")
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""]
            for m in mods:
                if m.split(".")[0] in NEW_MODULES:
                    bad(n, f"import {m} needs {NEW_MODULES[m.split('.')[0]]} (guard it, with a fallback)")
        elif isinstance(n, ast.Call):
            fn = n.func.id if isinstance(n.func, ast.Name) else n.func.attr if isinstance(n.func, ast.Attribute) else ""
            for kw in n.keywords:
                if (fn, kw.arg) in NEW_KWARGS:
                    bad(n, f"{fn}({kw.arg}=...) needs {NEW_KWARGS[(fn, kw.arg)]}")
    return out


def test_the_device_side_list_is_what_a_board_imports():
    names = {p.relative_to(PKG).as_posix() for p in DEVICE_SIDE}
    for must in ("__init__.py", "runtime.py", "errors.py", "cli.py", "run_binary.py", "devices/profile.py",
                 "bench/harness.py", "bench/worker.py", "commands/bench.py"):
        assert must in names


@pytest.mark.parametrize("path", DEVICE_SIDE, ids=lambda p: p.relative_to(PKG).as_posix())
def test_device_module_is_python38(path):
    problems = py38_problems(path.read_text(encoding="utf-8"), path.relative_to(PKG).as_posix())
    assert not problems, "\n".join(problems)


def test_device_wheel_script_is_python38():
    from edgekd.deploy import wheel

    assert not py38_problems(wheel._DEVICE_SCRIPT, "wheel._DEVICE_SCRIPT")


@pytest.mark.parametrize("src, why", [
    ("match x:\n    case 1: pass\n", "syntax"),
    ("def f(x: list[int]): pass\n", "list[...]"),
    ("from __future__ import annotations\nAlias = dict[str, int]\n", "dict[...]"),
    ("from __future__ import annotations\nok = isinstance(1, int | None)\n", "X | Y"),
    ("import tomllib\n", "tomllib"),
    ("import functools\n@functools.cache\ndef f(): pass\n", "functools.cache"),
    ("s = 'ab'.removeprefix('a')\n", "removeprefix"),
    ("for a, b in zip([1], [2], strict=True): pass\n", "zip(strict"),
])
def test_checker_catches(src, why):
    assert py38_problems(src, "m.py"), why


@pytest.mark.parametrize("src", [
    "from __future__ import annotations\ndef f(x: list[int] | None) -> dict[str, int]: ...\n",
    "try:\n    import tomllib\nexcept ModuleNotFoundError:\n    import tomli as tomllib\n",
    "import sys\nif sys.version_info >= (3, 9):\n    s = 'ab'.removeprefix('a')\n",
    "flags = 1 | 2\n",
])
def test_checker_allows(src):
    assert py38_problems(src, "m.py") == []
