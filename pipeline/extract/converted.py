"""Other editors' files: Word 97-2003 (.doc), Rich Text (.rtf) and OpenDocument text (.odt),
converted to Word (.docx) by headless LibreOffice, then read exactly as a Word file is read.

Each kind is told by content, never by name (``convertible_kind``):

| kind | content |
|---|---|
| Word 97-2003 | an OLE file with a ``WordDocument`` stream (an Outlook message has none), or one too damaged to tell |
| Rich Text | text that begins ``{\\rtf`` |
| OpenDocument text | a zip whose ``mimetype`` says ``application/vnd.oasis.opendocument.text`` (a .docx has none) |

The received file is never touched: it is copied under a plain name into a temporary folder, and
LibreOffice converts the copy there, with a profile of its own (two workers never share one),
under a time limit below the worker's own. The converted file is checked like any zip, its Word
kind told (``docx_kind.detect_docx``) and read by that kind's Word reader, whose fields' locations
and methods it keeps; the kind recorded stays the received file's. A file that is
password-protected, broken, or that LibreOffice turns into nothing becomes ``DocumentUnreadable``
with one plain line, asking the sender for the form as PDF or Word.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

from pipeline.errors import DocumentUnreadable
from pipeline.extract.base import RawDocument
from pipeline.extract.docx_form import WordFormExtractor
from pipeline.extract.docx_kind import DocxKind, detect_docx
from pipeline.extract.docx_legacy import WordLegacyFormExtractor
from pipeline.extract.docx_text import WordDocumentExtractor
from pipeline.extract.tools import find_tool, run_tool
from pipeline.extract.zip_guard import check_archive
from pipeline.model import InputKind

LIBREOFFICE_PACKAGE = "libreoffice-writer-nogui"
# Below the worker's own limit (``Settings.extract_timeout_seconds``, 60 s), so that a conversion
# that hangs is stopped here, with its reason, and the worker still has time to read the result.
# A form converts in 2-4 s (LibreOffice starting with a fresh profile is most of it).
CONVERT_TIMEOUT_SECONDS = 45.0

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
RTF_MAGIC = b"{\\rtf"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Word 97's File Information Block: its identifier, and the flags word (offset 10) with the bits
# saying the document is encrypted (fEncrypted) or XOR-obfuscated (fObfuscated), both by a password.
FIB_IDENT = 0xA5EC
FIB_ENCRYPTED = 0x0100
FIB_OBFUSCATED = 0x8000

LABELS = {InputKind.WORD_97: ".doc", InputKind.RICH_TEXT: ".rtf", InputKind.OPEN_DOCUMENT: ".odt"}
ASK_SENDER = "ask the sender for the form as PDF or Word (.docx)"

# The Word reader of each Word kind the converted file turns out to be.
WORD_READERS = {
    DocxKind.FORM: WordFormExtractor(),
    DocxKind.LEGACY_FORM: WordLegacyFormExtractor(),
    DocxKind.DOCUMENT: WordDocumentExtractor(),
}

Source = Path | bytes  # a file, or an attachment's bytes


def convertible_kind(source: Source, head: bytes) -> InputKind | None:
    """Which of .doc, .rtf and .odt the file (or an attachment's bytes) ``source`` is, from its
    content (``head``: its first bytes); None for any other file, a .docx among them. An Outlook
    message is an OLE file too: tell it first (``intake.mail.mail_format``)."""
    if head.startswith(OLE_MAGIC):
        streams = _ole_streams(source)
        # An OLE file whose parts cannot be told is a damaged Office file: taken for a .doc, whose
        # reader says it is damaged. (Outlook messages, the other OLE files read here, are told
        # before this, by ``mail_format``.)
        return InputKind.WORD_97 if streams is None or "WordDocument" in streams else None
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(RTF_MAGIC):
        return InputKind.RICH_TEXT
    if head.startswith(ZIP_MAGIC) and _zip_member(source, "mimetype", len(ODT_MIMETYPE) + 1) == ODT_MIMETYPE:
        return InputKind.OPEN_DOCUMENT
    return None


def _ole_streams(source: Source) -> set[str] | None:
    """The names of the streams at the root of the OLE file ``source``; None when it cannot be
    opened, or has parts that are not where its header says (damaged: parsed leniently, random
    bytes after a header read as a directory of random names)."""
    import olefile

    try:  # bytes always as a file: olefile takes a short ``bytes`` for a file name
        with olefile.OleFileIO(BytesIO(source) if isinstance(source, bytes) else str(source),
                               raise_defects=olefile.DEFECT_INCORRECT) as ole:
            return {entry[0] for entry in ole.listdir(streams=True, storages=False) if len(entry) == 1}
    except (OSError, ValueError, TypeError, IndexError, struct.error):
        return None


def _zip_member(source: Source, name: str, limit: int) -> bytes | None:
    """The first ``limit`` bytes of the zip member ``name`` (no more: nothing here unpacks a
    bomb), or None when the file is no readable zip or has no such member."""
    try:
        with zipfile.ZipFile(BytesIO(source) if isinstance(source, bytes) else source) as archive:
            with archive.open(name) as member:
                return member.read(limit)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError, EOFError):
        return None


def _word_97_flags(path: Path) -> int | None:
    """The flags of a Word 97 file's File Information Block; None when the file has no readable one."""
    import olefile

    try:
        with olefile.OleFileIO(str(path)) as ole, ole.openstream("WordDocument") as stream:
            fib = stream.read(12)
    except (OSError, ValueError, TypeError, IndexError, struct.error):
        return None
    if len(fib) < 12 or struct.unpack_from("<H", fib, 0)[0] != FIB_IDENT:
        return None
    return struct.unpack_from("<H", fib, 10)[0]


def refusal(path: Path, kind: InputKind) -> str | None:
    """Why the file at ``path`` cannot be converted at all, told without LibreOffice: a damaged .doc,
    or a .doc or .odt encrypted by a password (LibreOffice, run headless, cannot ask for one and
    converts nothing). None when it is worth converting. An .rtf has no password."""
    label = LABELS[kind]
    locked = f"the {label} file is protected by a password, so it cannot be read; {ASK_SENDER}"
    if kind is InputKind.WORD_97:
        flags = _word_97_flags(path)
        if flags is None:
            return f"the file is a damaged Office file ({label} or .msg): its parts cannot be read; {ASK_SENDER}"
        return locked if flags & (FIB_ENCRYPTED | FIB_OBFUSCATED) else None
    if kind is InputKind.OPEN_DOCUMENT:
        manifest = _zip_member(path, "META-INF/manifest.xml", 1024 * 1024)
        return locked if manifest is not None and b"encryption-data" in manifest else None
    return None


def convert_to_docx(path: Path, folder: Path, kind: InputKind, *, timeout: float = CONVERT_TIMEOUT_SECONDS) -> Path:
    """Convert the file at ``path`` (of ``kind``) to Word in ``folder`` with headless LibreOffice,
    and return the .docx made. ToolMissing when LibreOffice is not installed; DocumentUnreadable
    when it fails, takes longer than ``timeout`` seconds (it is then stopped) or makes nothing."""
    label = LABELS[kind]
    converted = convert_with_libreoffice(path, folder, label, "docx", timeout=timeout)
    if converted is None:
        raise DocumentUnreadable(
            f"the {label} file could not be converted by LibreOffice (it is damaged, or not what it seems); {ASK_SENDER}"
        )
    return converted


def convert_with_libreoffice(path: Path, folder: Path, label: str, target: str, *,
                             timeout: float = CONVERT_TIMEOUT_SECONDS) -> Path | None:
    """Convert the file at ``path`` (a ``label`` file: ".doc", ".docx"...) to ``target`` ("docx",
    "pdf") in ``folder`` with headless LibreOffice, and return the file made; None when LibreOffice
    made nothing (it could not load the file). ToolMissing when LibreOffice is not installed;
    DocumentUnreadable when it fails or takes longer than ``timeout`` seconds (it is then stopped)."""
    soffice = find_tool("soffice", LIBREOFFICE_PACKAGE)
    # A copy under a plain name: the sender's file name never reaches the command line, and the
    # original is never touched; LibreOffice names what it writes after it.
    source = folder / f"received{label}"
    shutil.copyfile(path, source)
    out = folder / "converted"
    profile = folder / "profile"  # a profile of its own: two conversions never share one, or wait for its lock
    run_tool(
        [soffice, "--headless", "--norestore", "--nolockcheck", f"-env:UserInstallation={profile.as_uri()}",
         "--convert-to", target, "--outdir", out, source],
        timeout=timeout, what=f"converting the {label} file with LibreOffice", cwd=folder,
    )
    converted = out / f"received.{target}"
    # LibreOffice exits 0 even when it could not load the file: only the missing output says so.
    if not converted.is_file() or converted.stat().st_size == 0:
        return None
    return converted


class ConvertedExtractor:
    """Reads a file of ``kind`` by converting it to Word and reading that as Word is read."""

    kind: InputKind

    def read(self, path: Path, opened: Any = None) -> RawDocument:
        """The widgets and text the Word reader finds in the converted file; DocumentUnreadable
        for a file that is password-protected or cannot be converted."""
        reason = refusal(path, self.kind)
        if reason is not None:
            raise DocumentUnreadable(reason)
        with tempfile.TemporaryDirectory(prefix="psp-convert-", ignore_cleanup_errors=True) as folder:
            converted = convert_to_docx(path, Path(folder), self.kind)
            try:
                check_archive(converted)  # what LibreOffice made is unpacked only within the limits of any zip
                word, document = detect_docx(converted)
                return WORD_READERS[word].read(converted, document)
            except DocumentUnreadable as exc:  # the Word reader's reason, said of the file received
                raise DocumentUnreadable(f"the {LABELS[self.kind]} file was converted to Word by LibreOffice, "
                                         f"but {exc}") from exc


class Word97Extractor(ConvertedExtractor):
    kind = InputKind.WORD_97


class RichTextExtractor(ConvertedExtractor):
    kind = InputKind.RICH_TEXT


class OpenDocumentExtractor(ConvertedExtractor):
    kind = InputKind.OPEN_DOCUMENT
