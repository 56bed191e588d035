"""Intake: which inbox entries are ready, in what order, and what each becomes as received files
(``inbox``); saved emails read (``mail``) and unpacked into their forms in the workers (``unpack``).
"""

from pipeline.intake.inbox import (
    Unpacker,
    collect_inbox,
    inbox_entries,
    is_ignored,
    receive,
    receive_entries,
    settled,
    sha256_of,
)

__all__ = ["Unpacker", "collect_inbox", "inbox_entries", "is_ignored", "receive", "receive_entries", "settled", "sha256_of"]
