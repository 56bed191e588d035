"""From findings to the one outcome of a document: error > hold > review > accepted."""

from __future__ import annotations

from collections.abc import Iterable

from pipeline.model import Finding, Outcome
from schemas.spec import Severity

PRECEDENCE: tuple[tuple[Severity, Outcome], ...] = (
    (Severity.ERROR, Outcome.REJECTED),
    (Severity.HOLD, Outcome.HELD),
    (Severity.REVIEW, Outcome.NEEDS_REVIEW),
)


def decide_outcome(findings: Iterable[Finding]) -> Outcome:
    """The outcome of the most severe finding's kind (``PRECEDENCE``); accepted when none counts."""
    severities = {finding.severity for finding in findings}
    for severity, outcome in PRECEDENCE:
        if severity in severities:
            return outcome
    return Outcome.ACCEPTED
