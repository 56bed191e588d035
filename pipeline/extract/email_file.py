"""Saved emails (.eml). Intake unpacks an email's attachments into documents of their own, so an
email reaches extraction only when it carries no PDF or Word file: it goes to a person, with why.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.intake.mail import (
    MailFormat,
    MailUnreadable,
    no_form_reason,
    read_mail,
)
from pipeline.model import InputKind


class EmailExtractor:
    kind = InputKind.EMAIL
    format = MailFormat.EML

    def read(self, path: Path, opened: object = None) -> RawDocument:
        """Never a reading: always DocumentUnreadable, saying why the email held no form."""
        try:
            mail = read_mail(path, self.format)
        except MailUnreadable as exc:
            raise DocumentUnreadable(str(exc)) from exc
        raise DocumentUnreadable(no_form_reason(mail))
