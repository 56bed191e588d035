"""Statuses, outcomes and form ids are the enums of ``pipeline.model``, never strings written out:
a status spelled as a literal elsewhere is one the enums (and the store's CHECK constraints) no
longer vouch for, and a renamed member would silently stop matching it."""

from __future__ import annotations

import ast
from pathlib import Path

from pipeline.model import DecisionAction, FormId, Outcome, PlanStatus, RegistrationStatus, RunStatus

ROOT = Path(__file__).resolve().parent.parent
ENUM_VALUES = {member.value for enum in (Outcome, RunStatus, PlanStatus, RegistrationStatus, DecisionAction, FormId)
               for member in enum}
# Where the values are defined (the model; the specification's FormId) and the migrations, which
# are the schema's history and keep the values they had then.
EXEMPT = ("pipeline/model.py", "pipeline/load/migrations/")


def _keys_and_members(tree: ast.AST) -> set[int]:
    """The ids of string constants that are not a status written out: a dict's key or a subscript
    (the keys of JSON and of rows, which are names in their own right), or the value of another
    enum's member (its definition: NoticeStatus.WITHDRAWN)."""
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            exempt.update(id(key) for key in node.keys if key is not None)
        elif isinstance(node, ast.Subscript):
            exempt.add(id(node.slice))
        elif isinstance(node, ast.ClassDef) and any(
            isinstance(base, ast.Name) and base.id.endswith("Enum") for base in node.bases
        ):
            exempt.update(id(item.value) for item in node.body if isinstance(item, ast.Assign))
    return exempt


def statuses_written_out(source: str) -> list[tuple[int, str]]:
    """Each string literal in ``source`` that is a status, outcome or form id: its line and value."""
    tree = ast.parse(source)
    exempt = _keys_and_members(tree)
    return sorted(
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in ENUM_VALUES and id(node) not in exempt
    )


def test_no_status_or_form_id_is_written_as_a_string_outside_the_model():
    sources = [
        path for folder in ("pipeline", "cli", "flows") for path in sorted((ROOT / folder).rglob("*.py"))
        if not path.relative_to(ROOT).as_posix().startswith(EXEMPT)
    ]
    written_out = [
        f"{path.relative_to(ROOT)}:{line} {value!r}"
        for path in sources for line, value in statuses_written_out(path.read_text(encoding="utf-8"))
    ]
    assert written_out == [], "use the enum member (pipeline.model) instead of its value"


def test_the_check_finds_a_status_written_out_but_not_a_key_or_another_enums_member():
    source = (
        'class Stage(StrEnum):\n    WITHDRAWN = "withdrawn"\n'
        'counts = {"held": 1}\nif outcome == "held":\n    row["held"]\nform = "PSP-REG"\n'
    )
    assert statuses_written_out(source) == [(4, "held"), (6, "PSP-REG")]
