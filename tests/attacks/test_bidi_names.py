"""Bidirectional control characters in file names (U+202E RIGHT-TO-LEFT OVERRIDE and the rest of
U+202A-U+202E, U+2066-U+2069, U+200E/U+200F) must show in the run report, latest.html and the
overview as visible escapes (⟨U+202E⟩), never raw, so that a name cannot pass for another
("invoice<U+202E>fdp.exe" reads "invoiceexe.pdf") nor turn the rest of its line around.

Before, they went into the pages raw: in the server-rendered tables (what waits for a person,
the overview's lists) and in the data the page's script draws the list of documents from.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from pipeline.run import process

SUBMISSIONS = Path(__file__).resolve().parents[2] / "samples" / "submissions"
LETTER = (SUBMISSIONS / "not_a_form_letter.pdf").read_bytes()  # needs review: waits for a person, on every page
CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
RECEIVED = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def test_bidi_controls_in_file_names_show_as_escapes_on_every_page(settings):
    inbox = settings.data_home.inbox
    inbox.mkdir(parents=True)
    names = ["invoice\u202efdp.exe.pdf"]  # the classic: reads "invoiceexe.pdf"
    names += [f"letter-{ord(c):04x}-{c}abc{c}.pdf" for c in CONTROLS]  # each control on its own
    for number, name in enumerate(names):
        path = inbox / name
        path.write_bytes(LETTER.replace(b"%%EOF", f"%%EOF\n% copy {number}\n".encode()))  # not duplicates
        os.utime(path, (RECEIVED.timestamp(), RECEIVED.timestamp()))

    summary = process(settings)

    assert sorted(d.file for d in summary.documents) == sorted(names)
    assert all(d.outcome == "needs_review" for d in summary.documents)
    reports = settings.data_home.reports
    for page in (summary.report_html, reports / "latest.html", reports / "overview.html"):
        text = page.read_text("utf-8")
        raw = sorted({f"U+{ord(c):04X}" for c in text if c in CONTROLS})
        assert raw == [], f"{page.name} holds raw {raw}"
        assert "invoice\u27e8U+202E\u27e9fdp.exe.pdf" in text, page.name
        for control in CONTROLS:
            assert f"\u27e8U+{ord(control):04X}\u27e9abc\u27e8U+{ord(control):04X}\u27e9" in text, (page.name, control)
    # Programs read the JSON twin: there the names are as received.
    twin = json.loads(summary.report_json.read_text("utf-8"))
    assert sorted(d["file"] for d in twin["documents"]) == sorted(names)
