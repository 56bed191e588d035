"""What the intake tests share: the sample submissions an email carries (the committed plan and
registration packet, as bytes)."""

from __future__ import annotations

from tests.conftest import SAMPLES

SUBMISSIONS = SAMPLES / "submissions"
PLAN = (SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()
PACKET = (SUBMISSIONS / "reg_valid_cei.docx").read_bytes()
