"""samples/stage.py: the sample submissions staged into an inbox as they arrived, never from the future."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from samples.stage import expected_cases, stage


def test_the_samples_are_staged_only_when_they_arrived_in_the_past(tmp_path):
    staged = stage(tmp_path / "inbox")
    assert staged and all(p.stat().st_mtime <= time.time() for p in staged)
    source, expected = expected_cases()[0]
    folder = tmp_path / "future"
    folder.mkdir()
    (folder / source.name).write_bytes(source.read_bytes())
    expected = {**expected, "received_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    (folder / "case.expected.json").write_text(json.dumps(expected), "utf-8")
    with pytest.raises(ValueError, match="in the future"):
        stage(tmp_path / "inbox2", folder)
    assert not (tmp_path / "inbox2").exists()
