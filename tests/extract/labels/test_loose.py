"""pipeline.extract.labels.loose: a label cut short or reworded is still found, read with a
confidence below the review threshold and a note; one as like two labels is no label."""

from __future__ import annotations

from pipeline.extract.labels import LOOSE_CONFIDENCE, similarity, words_of
from tests.extract.labels.conftest import REG, docx_with, read


def test_a_label_cut_short_is_a_loose_match_with_low_confidence(tmp_path):
    values = read(docx_with(tmp_path, lambda d: d.add_paragraph("Home ZIP: 48912")))
    assert values["psp_zip"].value == "48912"
    assert values["psp_zip"].confidence == LOOSE_CONFIDENCE
    assert "'Home ZIP' was taken for 'Home ZIP code'" in values["psp_zip"].note


def test_an_ambiguous_short_label_is_no_label():
    scores = sorted((similarity(words_of("Supervisor"), tuple(words_of(f.label))) for f in REG.fields), reverse=True)
    assert scores[0] - scores[1] < 0.08  # as like "Supervisor email" as "Supervisor phone": not read
