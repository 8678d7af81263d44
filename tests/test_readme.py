"""The README and docs/ stay true to the package: the README is short, its quick start is exactly the two
commands, every command, flag, Python name, path and link it shows exists, and the prose is about the code
(no diary words)."""
from __future__ import annotations

import ast
import functools
import glob
import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

QUICK_START = [
    'pip install torch==2.13.0 ".[train,peers,dev]" && edgekd demo',
    "./scripts/test.sh",
]
# Words that belong to a work log, not to documentation.
DIARY_WORDS = ["session", "issue #", "previous run"]
REPO_DIRS = ("csrc", "python", "tests", "benchmarks", "scripts", "devices", "docs", ".ci")

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
# `edgekd <command>` (not edgekd-run, not a path like csrc/include/edgekd/...).
CLI_USE = re.compile(r"(?<![\w./-])edgekd ([a-z][a-z0-9_-]*)")
PY_NAME = re.compile(r"(?<![\w./-])edgekd(?:\.[A-Za-z_]\w*)+")
PY_FROM = re.compile(r"^\s*from (edgekd(?:\.\w+)*) import ([\w, ]+?)\s*(?:#.*)?$", re.M)


def _text() -> str:
    return README.read_text(encoding="utf-8")


def _code_blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def _inline_code(text: str) -> list[str]:
    return INLINE_CODE.findall(FENCE.sub("", text))


def _shell_snippets(text: str) -> list[str]:
    """Code that may hold command lines: inline code, and fenced blocks that are not Python."""
    blocks = [body for lang, body in _code_blocks(text) if lang != "python"]
    return _inline_code(text) + [line for body in blocks for line in body.splitlines()]


def _section(text: str, title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"README has no '## {title}' section"
    return m.group(1)


# Runs the installed `edgekd` console script of this interpreter, wherever its entry point lives.
RUN_EDGEKD = """
import sys
from importlib.metadata import entry_points
eps = entry_points()
eps = eps.select(group="console_scripts") if hasattr(eps, "select") else eps.get("console_scripts", [])
main = next(e for e in eps if e.name == "edgekd").load()
sys.argv[0] = "edgekd"
sys.exit(main())
"""


@functools.lru_cache(maxsize=None)
def _help(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", RUN_EDGEKD, *args, "--help"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, f"edgekd {' '.join(args)} --help failed: {proc.stderr.strip()[-300:]}"
    return proc.stdout


def test_readme_is_at_most_300_lines():
    n = len(_text().splitlines())
    assert n <= 300, f"README.md has {n} lines; user documentation fits in 300 (details go to docs/)"


def test_quick_start_block_is_exactly_the_two_commands():
    blocks = _code_blocks(_section(_text(), "Quick start"))
    assert blocks, "the Quick start section has no code block"
    commands = [ln.strip() for ln in blocks[0][1].splitlines() if ln.strip() and not ln.strip().startswith("#")]
    assert commands == QUICK_START


def test_every_edgekd_command_shown_exists():
    top = _help()
    uses = [(m.group(1), snippet) for snippet in _shell_snippets(_text()) for m in CLI_USE.finditer(snippet)]
    commands = {cmd for cmd, _ in uses}
    assert len(commands) >= 8, f"found only {sorted(commands)}: the pattern no longer sees the CLI reference"
    missing = sorted(c for c in commands if not re.search(rf"^\s+{re.escape(c)}\b", top, re.M))
    assert not missing, f"README shows commands that `edgekd --help` does not list: {missing}"


def test_every_flag_shown_for_an_edgekd_command_exists():
    bad = []
    for snippet in _shell_snippets(_text()):
        for m in CLI_USE.finditer(snippet):
            rest = re.split(r"&&|\|\s|;", snippet[m.end():])[0]  # this command's own arguments
            for flag in set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", rest)):
                if not re.search(rf"(?<![\w-]){re.escape(flag)}\b", _help(m.group(1))):
                    bad.append(f"edgekd {m.group(1)} {flag}")
    assert not bad, f"flags the CLI does not take: {sorted(set(bad))}"


def _static_names(modname: str) -> set[str]:
    """Top-level names a module defines or imports, read from its source (its imports need an extra)."""
    spec = importlib.util.find_spec(modname)
    assert spec and spec.origin, f"no module {modname}"
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        modname = ".".join(parts[:i])
        try:
            obj = importlib.import_module(modname)
        except ModuleNotFoundError as e:
            if e.name == modname or modname.startswith(f"{e.name}."):
                continue  # not a module: an attribute of a shorter prefix
            # The module exists but needs an optional extra (torch for distill / quantize).
            rest = parts[i:]
            return not rest or rest[0] in _static_names(modname)
        for attr in parts[i:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False


def test_every_python_name_shown_exists():
    text = _text()
    # File names such as edgekd.h are not Python names.
    names = {n for n in PY_NAME.findall(text) if not re.search(r"\.(h|hpp|cpp|md|toml)$", n)}
    names |= {f"{mod}.{n.strip()}" for mod, imported in PY_FROM.findall(text) for n in imported.split(",")}
    names = sorted(names)
    assert len(names) >= 10, f"found only {names}"
    missing = [n for n in names if not _resolves(n)]
    assert not missing, f"README shows Python names that do not exist: {missing}"


def test_every_model_and_interpreter_method_shown_exists():
    import edgekd

    text = _text()
    code = "\n".join(body for lang, body in _code_blocks(text) if lang == "python")
    used = {("Model", a) for a in re.findall(r"\bm\.(\w+)", code)}
    used |= {("Interpreter", a) for a in re.findall(r"\bit\.(\w+)", code)}
    for cls in ("Model", "Interpreter"):
        row = re.search(rf"^\| `edgekd\.{cls}` \|(.*)\|\s*$", text, re.M)
        assert row, f"the Python API table has no edgekd.{cls} row"
        # Lower-case identifiers in the row are members (capitalized ones name classes).
        used |= {(cls, tok.split("(")[0]) for tok in INLINE_CODE.findall(row.group(1))
                 if re.match(r"^[a-z_]\w*(\(.*\))?$", tok)}
    missing = sorted(f"{c}.{a}" for c, a in used if not hasattr(getattr(edgekd, c), a))
    assert len(used) >= 15 and not missing, f"methods that do not exist: {missing}"


def test_every_repository_path_shown_exists():
    paths = {tok.strip().removeprefix("./") for tok in _inline_code(_text())}
    paths = {p for p in paths if " " not in p and p.split("/")[0] in REPO_DIRS and "/" in p}
    assert paths, "no repository paths found"
    missing = sorted(p for p in paths if not glob.glob(str(ROOT / p)))
    assert not missing, f"README names paths that are not in the repository: {missing}"


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve_to_files(doc: Path):
    targets = [t for t in LINK.findall(doc.read_text(encoding="utf-8"))
               if not re.match(r"^(https?:|mailto:|#)", t)]
    missing = [t for t in targets if not (doc.parent / t.split("#")[0]).is_file()]
    assert not missing, f"{doc.name}: links to missing files: {missing}"


@pytest.mark.parametrize("doc", [README, *DOCS], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_diary_words(doc: Path):
    text = doc.read_text(encoding="utf-8").lower()
    found = [w for w in DIARY_WORDS if w in text]
    assert not found, f"{doc.name} reads like a work log ({found}): write about the code"


def test_docs_exist():
    assert {p.name for p in DOCS} >= {"ARCHITECTURE.md", "PERFORMANCE.md"}
