from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.intake import receive

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"


@pytest.fixture
def received(tmp_path):
    def make(path: Path):
        return receive(path, path.parent)

    return make


def blank(form_id: str, suffix: str) -> Path:
    return FORMS / f"{form_id}_2025.1{suffix}"
