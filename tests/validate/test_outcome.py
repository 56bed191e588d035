"""Outcome precedence: error > hold > review > accepted."""

from __future__ import annotations

import itertools

import pytest

from pipeline.model import Finding, Outcome
from pipeline.validate import decide_outcome
from schemas.spec import Severity


def finding(severity: Severity) -> Finding:
    return Finding(rule="REG-R01", severity=severity, message="x")


def test_no_findings_is_accepted():
    assert decide_outcome([]) is Outcome.ACCEPTED


@pytest.mark.parametrize("severities", [p for n in (1, 2, 3) for p in itertools.permutations(list(Severity), n)])
def test_the_most_severe_finding_decides(severities):
    outcome = decide_outcome([finding(s) for s in severities])
    if Severity.ERROR in severities:
        assert outcome is Outcome.REJECTED
    elif Severity.HOLD in severities:
        assert outcome is Outcome.HELD
    else:
        assert outcome is Outcome.NEEDS_REVIEW
