"""The renditions of a few sample cases, generated once per test session (``samples/renditions.py``).

They need LibreOffice, qpdf and the PDF tools of ``samples/pdf_tools.py`` (``make setup`` and
``make system-deps``, which ``make test`` runs first). Without them
these tests skip, except in CI (``CI=true``), where a missing tool is a failure.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.intake import receive
from samples import pdf_tools
from samples.renditions import RENDITIONS, form_cases, generate
from tests.conftest import require_tools

# An accepted plan (a two-line narrative), an accepted packet of that agency (two boxes of three,
# dates like 12/1/26), a plan rejected for empty fields, a packet whose choice decides (part time
# at 35 hours).
CASES = ("orp_valid_cei", "reg_valid_cei", "orp_r01_missing_fields", "reg_r08_hours_do_not_fit")
FORM_RENDITIONS = tuple(r for r in RENDITIONS if r not in ("email", "email_forwarded", "outlook_msg", "scanned_pdf"))


def _tools_missing() -> list[str]:
    missing = [tool for tool in ("soffice",) if shutil.which(tool) is None]
    return missing + pdf_tools.missing_tools()


@pytest.fixture(scope="session")
def renditions(tmp_path_factory) -> Path:
    require_tools(_tools_missing())
    out = tmp_path_factory.mktemp("renditions")
    cases = [c for c in form_cases() if c.name in CASES]
    generate(out, RENDITIONS, cases)
    return out


def expectation(folder: Path, name: str) -> dict:
    return json.loads((folder / f"{name}.expected.json").read_text("utf-8"))


def rendition_file(folder: Path, case: str) -> Path:
    return next(p for p in folder.iterdir() if p.stem == case and not p.name.endswith(".json"))


@pytest.fixture
def received_copy(tmp_path):
    """A rendition received from an inbox of its own (a copy, so tests may move it)."""

    def make(path: Path):
        inbox = tmp_path / "inbox"
        inbox.mkdir(exist_ok=True)
        target = inbox / path.name
        shutil.copy2(path, target)
        return receive(target, inbox)

    return make
