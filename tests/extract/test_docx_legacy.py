"""pipeline.extract.docx_legacy: a Word form of legacy form fields read whole, the fields named like
the form's keys by name, the others (``Text1``, ``Check3``...) by the printed label beside them."""

from __future__ import annotations

import pytest
from docx import Document

from pipeline.extract import extract
from pipeline.extract.base import DocumentUnreadable
from pipeline.extract.docx_legacy import WordLegacyFormExtractor
from pipeline.model import InputKind, ReadMethod
from tests.conftest import VALID_PACKET
from tests.extract.conftest import legacy_form


@pytest.mark.parametrize("named_like_keys", [True, False], ids=["named-like-keys", "named-by-word"])
def test_every_value_of_a_legacy_form_is_read(tmp_path, received, named_like_keys):
    document = extract(received(legacy_form(tmp_path / "legacy.docx", named_like_keys=named_like_keys)))
    assert (document.kind, document.form_id, document.problem) == (InputKind.WORD_LEGACY_FORM, "PSP-REG", None)
    assert {key: field.value for key, field in document.fields.items()} == VALID_PACKET
    assert document.fields["psp_city"].method is ReadMethod.LEGACY_FORM_FIELD  # the field's value, by name or label


def test_fields_named_like_keys_are_widgets_and_the_others_are_left_to_their_labels(tmp_path):
    by_key = WordLegacyFormExtractor().read(legacy_form(tmp_path / "by-key.docx", named_like_keys=True))
    by_word = WordLegacyFormExtractor().read(legacy_form(tmp_path / "by-word.docx", named_like_keys=False))
    assert by_key.widgets["psp_city"].value == VALID_PACKET["psp_city"]
    assert not set(by_word.widgets) & set(VALID_PACKET)  # Text1, Check1...: no key of the form
    assert "Form PSP-REG version 2025.1" in by_word.marker_text and by_word.layout.lines


def test_a_legacy_form_with_no_text_is_unreadable(tmp_path):
    Document().save(str(tmp_path / "empty.docx"))
    with pytest.raises(DocumentUnreadable, match="has no text"):
        WordLegacyFormExtractor().read(tmp_path / "empty.docx")
