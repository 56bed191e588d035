"""One error tree for the pipeline. Each error says what went wrong and what to do, and carries
the exit status the command line returns for it, so a scheduler can tell kinds of failure apart.

A document that cannot be read is not an error of the run: it becomes a ``needs_review`` outcome.
These errors are for what stops the run itself (configuration, the data home, the store) and for
defects.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error the pipeline raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class BadInputError(PipelineError):
    """A document or an argument is not what it should be."""

    exit_code = 2


class UnsupportedFormatError(BadInputError):
    """The file is of a kind no extractor reads."""

    exit_code = 3


class ConfigurationError(PipelineError):
    """A setting, the data home or the database URL is wrong."""

    exit_code = 4


class StoreError(PipelineError):
    """The tracking store could not be read or written."""

    exit_code = 5


class DeliveryError(PipelineError):
    """Notices could not be delivered (the SMTP server is unreachable or refused them); they stay
    in the outbox for the next try."""

    exit_code = 6


class InboxBusyError(PipelineError):
    """Another run is processing this data home's inbox: try again later."""

    exit_code = 75  # EX_TEMPFAIL


class InternalError(PipelineError):
    """A defect in the pipeline itself: please report it with the log."""

    exit_code = 70
