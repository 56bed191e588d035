"""Put the sample submissions into an inbox as if they had arrived: each file's modification time
is set to the ``received_at`` of its ``.expected.json``, so the date rules judge it on that day.
Every arrival must be in the past: the pipeline never takes a file as received later than it saw it.

    python samples/stage.py psp-data/inbox
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

SUBMISSIONS = Path(__file__).resolve().parent / "submissions"


def expected_cases(folder: Path = SUBMISSIONS) -> list[tuple[Path, dict]]:
    """Every sample submission with its expected outcome, in order of arrival."""
    cases = []
    for expected_file in sorted(folder.glob("*.expected.json")):
        expected = json.loads(expected_file.read_text("utf-8"))
        cases.append((folder / expected["file"], expected))
    return sorted(cases, key=lambda case: (case[1]["received_at"], case[1]["file"]))


def stage(inbox: Path, folder: Path = SUBMISSIONS) -> list[Path]:
    cases = expected_cases(folder)
    now = datetime.now(UTC)
    future = [expected["file"] for _, expected in cases if datetime.fromisoformat(expected["received_at"]) > now]
    if future:
        raise ValueError(f"{len(future)} samples arrive in the future (first: {future[0]}); "
                         "date every sample's received_at in the past")
    inbox.mkdir(parents=True, exist_ok=True)
    staged = []
    for source, expected in cases:
        target = inbox / source.name
        shutil.copyfile(source, target)
        arrival = datetime.fromisoformat(expected["received_at"]).timestamp()
        os.utime(target, (arrival, arrival))
        staged.append(target)
    return staged


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python samples/stage.py INBOX_FOLDER")
    try:
        files = stage(Path(sys.argv[1]))
    except ValueError as exc:
        sys.exit(f"stage: {exc}")
    print(f"Staged {len(files)} sample submissions in {sys.argv[1]}")
