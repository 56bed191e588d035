"""Intake: which inbox entries are ready, in what order, and what each becomes as received files
(``inbox``); saved emails read (``mail``) and unpacked into their forms in the workers (``unpack``).

The names below are loaded on first use (PEP 562): ``pipeline.settings`` needs only
``intake.forwarded``, and a command that never reads the inbox should not pay for the store's
models that ``inbox`` imports (a run by hand starts in under 2 s; ``benchmarks/run_by_hand.py``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("pipeline.intake.inbox"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
