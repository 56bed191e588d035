"""Every committed sample submission is read exactly: no field lost, no value changed."""

from __future__ import annotations

import pytest

from pipeline.extract import extract
from samples.stage import expected_cases

CASES = [(path, expected) for path, expected in expected_cases() if expected["form_id"]]


@pytest.mark.parametrize(("path", "expected"), CASES, ids=[e["file"] for _, e in CASES])
def test_sample_is_read_exactly(path, expected, received):
    document = extract(received(path))
    assert (document.form_id, document.form_version, document.problem) == (expected["form_id"], expected["form_version"], None)
    assert set(document.fields) == set(expected["values"])
    for key, value in expected["values"].items():
        read = document.fields[key].value
        if value in ("", False):
            assert not read, key
        else:
            assert read == value, key


def test_a_document_that_is_neither_form_is_unknown(received):
    letter = next(path for path, expected in expected_cases() if expected["form_id"] is None)
    document = extract(received(letter))
    assert document.form_id is None
    assert document.problem == "unknown_form"
