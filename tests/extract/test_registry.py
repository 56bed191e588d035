"""pipeline.extract: every registered extractor meets the one small interface, the registry picks by
kind, and a file of no kind read here goes to a person. Telling the kind is tests/extract/test_detect.py's."""

from __future__ import annotations

import pytest

from pipeline.extract import EXTRACTORS, extract
from pipeline.extract.base import Extractor
from pipeline.model import ExtractionProblem, InputKind


@pytest.mark.parametrize("kind", list(EXTRACTORS))
def test_each_extractor_meets_the_interface(kind):
    extractor = EXTRACTORS[kind]
    assert isinstance(extractor, Extractor)
    assert extractor.kind is kind


def test_every_input_kind_has_an_extractor():
    assert set(EXTRACTORS) == set(InputKind)


def test_a_file_of_no_known_kind_goes_to_a_person(tmp_path, received):
    path = tmp_path / "notes.txt"
    path.write_text("Form PSP-ORP version 2025.1")
    document = extract(received(path))
    assert document.problem is ExtractionProblem.UNSUPPORTED_KIND
