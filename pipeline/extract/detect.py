"""What kind of file a received file is, decided once from its content, never its name.

Telling a PDF's or a Word file's kind means parsing it (are its fields filled? does it keep the
form's content controls?); the parsed document comes back with the kind (``Detected.opened``) and
its extractor reads that, instead of parsing the same file a second time. Nothing is held between
calls: no module state, no cache keyed by path.

| first bytes | kinds | decided by |
|---|---|---|
| ``%PDF-`` | fillable, flat, scanned PDF | ``pdf_kind.detect_pdf`` (pypdf) |
| a zip holding ``word/document.xml`` | Word form, legacy form, document | ``docx_kind.detect_docx`` (python-docx) |
| mail headers, or an OLE file that is an Outlook message | email, Outlook message | ``intake.mail.mail_format`` |
| another OLE file with a ``WordDocument`` stream (or damaged), ``{\\rtf``, a zip of OpenDocument text | Word 97-2003, Rich Text, OpenDocument | ``converted.convertible_kind`` |
| a TIFF, JPEG or PNG signature | a fax or a photo of the pages | ``image_file.is_image`` |

Anything else is no kind the pipeline reads (None).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.extract.converted import convertible_kind
from pipeline.extract.docx_kind import DocxKind, detect_docx, is_docx
from pipeline.extract.image_file import is_image
from pipeline.extract.pdf_kind import PdfKind, detect_pdf, is_pdf
from pipeline.intake.mail import MailFormat, mail_format
from pipeline.model import InputKind

SNIFF_BYTES = 2048

PDF_KINDS = {PdfKind.FILLABLE: InputKind.FILLABLE_PDF, PdfKind.FLAT: InputKind.FLAT_PDF, PdfKind.SCANNED: InputKind.SCANNED_PDF}
DOCX_KINDS = {DocxKind.FORM: InputKind.WORD_FORM, DocxKind.LEGACY_FORM: InputKind.WORD_LEGACY_FORM,
              DocxKind.DOCUMENT: InputKind.WORD_DOCUMENT}
MAIL_KINDS = {MailFormat.EML: InputKind.EMAIL, MailFormat.MSG: InputKind.OUTLOOK_MSG}


@dataclass(frozen=True)
class Detected:
    """A file's kind, and the document it was told from (a pypdf reader, a python-docx document),
    or None when telling it opened nothing its extractor can use (an email, a broken file)."""

    kind: InputKind
    opened: Any = None


def detect(path: Path) -> Detected | None:
    """The kind of the file at ``path``, with what was opened to tell it; None for no kind read here."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if is_pdf(head):
        pdf, reader = detect_pdf(path)
        return Detected(PDF_KINDS[pdf], reader)
    if is_image(head):
        return Detected(InputKind.IMAGE)  # decoded when read, frame by frame
    if is_docx(path, head):
        word, document = detect_docx(path)
        return Detected(DOCX_KINDS[word], document)
    mail = mail_format(path, head)
    if mail is not None:
        return Detected(MAIL_KINDS[mail])
    converted = convertible_kind(path, head)  # an OLE file that is no Outlook message is a .doc, or damaged
    return Detected(converted) if converted is not None else None  # converted when read: nothing opened to hand on
