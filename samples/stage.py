"""Put the sample submissions into an inbox as if they had arrived: each file's modification time
is set to the ``received_at`` of its ``.expected.json``, so the date rules judge it on that day.

    python samples/stage.py psp-data/inbox
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import datetime
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
    inbox.mkdir(parents=True, exist_ok=True)
    staged = []
    for source, expected in expected_cases(folder):
        target = inbox / source.name
        shutil.copyfile(source, target)
        arrival = datetime.fromisoformat(expected["received_at"]).timestamp()
        os.utime(target, (arrival, arrival))
        staged.append(target)
    return staged


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python samples/stage.py INBOX_FOLDER")
    files = stage(Path(sys.argv[1]))
    print(f"Staged {len(files)} sample submissions in {sys.argv[1]}")
