"""One run at a time per data home; a lock left by a run that died is taken over."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from pipeline.errors import InboxBusyError
from pipeline.lock import RunLock
from pipeline.run import open_run


def test_a_second_run_on_the_same_inbox_is_refused_with_who_holds_it(settings):
    first = open_run(settings)
    try:
        with pytest.raises(InboxBusyError, match="another run is processing this inbox") as error:
            open_run(settings)
        assert error.value.exit_code == 75
    finally:
        first.close()
    open_run(settings).close()  # free again once the first has finished


def test_a_lock_left_by_a_dead_run_is_taken_over_with_a_log_line(tmp_path, caplog):
    # A run in another process takes the lock and dies without letting it go.
    script = (
        "import os, sys; from pathlib import Path; from pipeline.lock import RunLock; "
        "RunLock(Path(sys.argv[1])).acquire(); os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False)
    left = json.loads((tmp_path / "run.lock").read_text())
    assert left["pid"] != 0
    with caplog.at_level(logging.WARNING), RunLock(tmp_path):
        pass
    assert "taking over the run lock left by a run that stopped" in caplog.text
    assert str(left["pid"]) in caplog.text
