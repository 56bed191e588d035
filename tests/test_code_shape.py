"""The code's shape, held: Prefect only under flows/, no module of the library over 450 lines, no
function over cyclomatic complexity 20 (radon's rank D and worse), and every public function typed
and documented. A change that breaks one says where, so the next person still changes one thing
in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "pipeline"
MOST_LINES = 450
MOST_COMPLEXITY = 20


def _modules(folder: Path) -> list[Path]:
    # Alembic revisions are history: written once, never changed again.
    return [path for path in sorted(folder.rglob("*.py")) if "migrations" not in path.parts]


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_prefect_is_imported_only_under_flows():
    importing = [
        f"{_where(path)}:{number}"
        for path in _modules(LIBRARY) + _modules(ROOT / "cli")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1)
        if re.match(r"\s*(from|import) prefect\b", line)
    ]
    assert importing == []


def test_no_module_of_the_library_is_over_450_lines():
    long = {_where(path): n for path in _modules(LIBRARY) if (n := len(path.read_text("utf-8").splitlines())) > MOST_LINES}
    assert long == {}


def _blocks(blocks):
    """radon's blocks with the functions nested in them (it lists methods, not closures)."""
    for block in blocks:
        yield block
        yield from _blocks(getattr(block, "closures", []))


def test_no_function_is_over_cyclomatic_complexity_20():
    complex_ = [
        f"{_where(path)}:{block.lineno} {block.fullname} ({block.complexity})"
        for path in _modules(LIBRARY) + _modules(ROOT / "flows") + _modules(ROOT / "cli")
        for block in _blocks(cc_visit(path.read_text("utf-8")))
        if block.complexity > MOST_COMPLEXITY
    ]
    assert complex_ == []


def _public_functions(path: Path):
    """Each public function and method of a module (not nested in a function), with its class."""

    def walk(node: ast.AST, owner: str | None):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                yield from walk(child, child.name)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not child.name.startswith("_"):
                yield owner, child

    yield from walk(ast.parse(path.read_text("utf-8")), None)


def test_every_public_function_is_typed_and_documented():
    undocumented, untyped = [], []
    for path in _modules(LIBRARY) + _modules(ROOT / "flows") + _modules(ROOT / "cli"):
        for owner, function in _public_functions(path):
            name = f"{_where(path)}:{function.lineno} {owner + '.' if owner else ''}{function.name}"
            if ast.get_docstring(function) is None:
                undocumented.append(name)
            arguments = [a for a in function.args.args + function.args.kwonlyargs if a.arg not in ("self", "cls")]
            if function.returns is None or any(argument.annotation is None for argument in arguments):
                untyped.append(name)
    assert undocumented == [] and untyped == []
