"""The pipeline's settings: one pydantic-settings class, read once at the entry point and passed down.

Every setting can come from the environment with the ``PSP_`` prefix (``PSP_HOME``,
``PSP_DATABASE_URL``, ``PSP_BATCH_SIZE``...). Nothing below the entry point reads the environment.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.intake.forwarded import OFFICE_TIMEZONE, Office


class DataHome:
    """The folders of a data home. Created by ``psp-pipeline init`` (and by every run)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox = root / "inbox"
        # Originals are filed by outcome so the coordinator can find them without the store.
        self.originals = root / "originals"
        self.notices = root / "notices"
        self.reports = root / "reports"
        self.reference = root / "reference"
        self.prefect = root / "prefect"
        # Emails' attachments wait here until they are filed: the program's own, never the inbox.
        self.staging = root / "staging"

    @property
    def folders(self) -> tuple[Path, ...]:
        """The folders every run makes (private) and must be able to write: the root, inbox,
        originals, notices, reports and staging. Reference data and Prefect's state are optional."""
        return (self.root, self.inbox, self.originals, self.notices, self.reports, self.staging)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PSP_", frozen=True, extra="ignore")

    home: Path = Field(default=Path("psp-data"), description="The data home: inbox, originals, reports, store.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the tracking store; default: SQLite in the data home."
    )
    reference_dir: Path | None = Field(
        default=None,
        description="Folder with the coordinator's cmhsps.csv, michigan_counties.txt and training_sessions.csv; "
        "default: <home>/reference when it exists, otherwise the copies shipped with the package.",
    )
    timezone: str = Field(default=OFFICE_TIMEZONE, description="Time zone of the program office: decides 'the day received'.")
    batch_size: int = Field(default=200, ge=1, le=10_000, description="Documents extracted, validated and stored together.")
    workers: int = Field(default=2, ge=1, le=64, description="Extraction processes.")
    extract_timeout_seconds: float = Field(
        default=60, gt=0, le=3600, description="Longest a document may take to read before it goes to a person."
    )
    settle_seconds: float = Field(
        default=5, ge=0, le=3600,
        description="A file is taken once its size and modification time have not changed for this long.",
    )
    max_file_mb: float = Field(
        default=50, gt=0, description="A file larger than this is set aside for a person, unread."
    )
    mail_date_window_days: int = Field(
        default=14, ge=0, le=3650,
        description="An email's Date header counts as when it was received only within this many days "
        "before the email file arrived; otherwise the arrival counts, and a person is told.",
    )
    office_domains: str = Field(
        default="",
        description="The program office's own email domains, comma-separated (michigan.gov): an email from "
        "them, or from the coordinator's address, was forwarded, and its notice goes to the agency inside it.",
    )
    desk_url: str | None = Field(
        default=None,
        description="The review desk's address as people reach it (https://psp.example.org): Prefect's UI then "
        "links each run to the desk's page of its report instead of a file:// path it cannot open.",
    )
    claim_files: bool = Field(
        default=False,
        description="Several workers share one inbox: each takes distinct files through the store "
        "(instead of one run at a time taking the whole inbox).",
    )
    claim_lease_seconds: int = Field(
        default=900, ge=1, le=86400, description="How long a worker's claim on a file lasts unless it finishes first."
    )
    worker_memory_mb: int = Field(
        default=1536, ge=1024, le=65536,
        # A reading worker already holds about 540 MB of address space when it starts (the forkserver
        # preloads OpenCV, numpy and the readers); a lower limit leaves it no room to take its first task.
        description="Address space a reading process may use (a zip bomb stops here); at least 1024.",
    )
    coordinator_name: str = "Statewide PSP Coordinator"
    coordinator_email: str = "psp-coordinator@example.org"
    coordinator_phone: str = "(517) 555-0100"
    # Delivery of notices (`psp-pipeline notices send`): PSP_SMTP_HOST, PSP_SMTP_PORT...
    smtp_host: str | None = Field(default=None, description="SMTP server that delivers notices; unset: notices are only written.")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS before logging in.")
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for the SMTP server's reply to each command but the end of a message."
    )
    smtp_data_timeout: float = Field(
        default=600.0, gt=0,
        description="Seconds to wait for the server's reply to the end of a message (RFC 5321: 10 minutes). "
        "A notice whose reply does not come in time may have been delivered: it waits for a person's say.",
    )
    # `psp-pipeline mail watch` (pipeline/mailbox/watch.py): PSP_MAIL_QUIET_SECONDS...
    mail_quiet_seconds: float = Field(
        default=30, ge=0, le=3600,
        description="mail watch: a run starts once no new mail came for this long, so a burst of mail is one run.",
    )
    mail_poll_seconds: float = Field(
        default=120, gt=0, le=86400,
        description="mail watch: how often a folder is looked at on a server without IDLE (or with mail_idle off).",
    )
    mail_idle: bool = Field(
        default=True, description="mail watch: wait with IMAP IDLE where the server offers it; off: always poll.",
    )
    mail_reconnect_first_seconds: float = Field(
        default=5, gt=0, le=3600, description="mail watch: the first wait before connecting again after a drop.",
    )
    mail_reconnect_max_seconds: float = Field(
        default=600, gt=0, le=86400,
        description="mail watch: the longest wait between tries to connect again (each wait doubles up to it).",
    )
    mail_ack_answer_within: str = Field(
        default="within 5 working days", min_length=1, max_length=200,
        description="What an acknowledgement of mail says of when the agency can expect an answer.",
    )
    take_over_store: Path | None = Field(
        default=None,
        description="Move the tracking store to this data home deliberately: the absolute path of this data "
        "home, when the store records another one as its owner. Set it for one command, then unset it.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as America/Detroit") from exc
        return value

    @cached_property
    def data_home(self) -> DataHome:
        """The data home at ``home``, as an absolute path (``~`` expanded)."""
        return DataHome(self.home.expanduser().absolute())

    @property
    def worker_name(self) -> str:
        """Who holds a claim: this host and process."""
        return f"{socket.gethostname()}:{os.getpid()}"

    @property
    def office(self) -> Office:
        """Whose mail is forwarded, not sent: the office's domains and the coordinator's own address."""
        return Office.of(self.office_domains.split(","), [self.coordinator_email])

    @property
    def mail_date_window(self) -> timedelta:
        """How long before an email file arrived its Date header may be and still count as when it
        was received (``mail_date_window_days``)."""
        return timedelta(days=self.mail_date_window_days)

    @property
    def zone(self) -> ZoneInfo:
        """The program office's time zone (``timezone``), which decides the day a file was received."""
        return ZoneInfo(self.timezone)

    @property
    def store_url(self) -> str:
        """Where the tracking store is: ``database_url``, else SQLite in the data home."""
        return self.database_url or f"sqlite:///{self.data_home.root / 'store.sqlite'}"

    @property
    def reference_folder(self) -> Path | None:
        """Where the coordinator's reference data lives, or None for the packaged copies."""
        if self.reference_dir is not None:
            return self.reference_dir.expanduser().absolute()
        if self.data_home.reference.is_dir():
            return self.data_home.reference
        return None
