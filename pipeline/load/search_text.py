"""What the desk's queue searches in a document, worked out once when its values are stored
(``documents.search_text``) rather than read out of its JSON on every search: its values as
normalised and as read, accents taken off and case folded (``folded``). A stored document's row
keeps it up to date by itself (``_keep``, listening to the store's ``Document``): whatever stores new values, the text follows.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import event


def folded(text: str) -> str:
    """``text`` as the search compares it: accents taken off (NFKD, its combining marks dropped)
    and case folded."""
    if text.isascii():  # (most of it: nothing to take off, and lower() is casefold() for ASCII)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _text_of(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None or isinstance(value, bool) else str(value)


def search_text(values: dict[str, Any] | None, extraction: dict[str, Any] | None) -> str:
    """The folded text of a document's values (``values``: as normalised) and reads (``extraction``:
    each field as read, its ``value``), each once."""
    read = [_text_of(v) for v in (values or {}).values()]
    read += [_text_of(r.get("value")) for r in (extraction or {}).values() if isinstance(r, dict)]
    return folded(" ".join(dict.fromkeys(text for text in read if text)))


def _keep(mapper: Any, connection: Any, document: Any) -> None:
    """Whatever stores a document's values (a run, a correction, values typed in), its search text follows."""
    document.search_text = search_text(document.values, document.extraction)


def _listen() -> None:
    # (imported at the end of ``store``, once its ``Document`` is defined)
    from pipeline.load.store import Document

    for moment in ("before_insert", "before_update"):
        event.listen(Document, moment, _keep)


_listen()
