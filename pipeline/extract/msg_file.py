"""Outlook's saved messages (.msg), as coordinators drag them out of Outlook. Like an .eml, a
message is unpacked at intake; one reaches extraction only when it carries no PDF or Word file.
"""

from __future__ import annotations

from pipeline.extract.email_file import EmailExtractor
from pipeline.intake.mail import MailFormat
from pipeline.model import InputKind


class OutlookMessageExtractor(EmailExtractor):
    kind = InputKind.OUTLOOK_MSG
    format = MailFormat.MSG
