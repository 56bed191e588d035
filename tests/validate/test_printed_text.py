"""Text an agency's version prints at a field, known by recurring there: what is learnt, and what
is never taken for printed text (values people share)."""

from __future__ import annotations

from pipeline.model import FieldValue, ReadMethod
from pipeline.validate.printed_text import (
    OPTIONAL_NOTE,
    PRINTED_TEXT_CONFIDENCE,
    Reading,
    learn,
    looks_printed,
    without_printed_text,
)
from schemas.spec import load_form_spec
from tests.conftest import form_as_read

HINT = "(as on the county ID card)"
REG = load_form_spec("PSP-REG")


def _readings(values: list[str], key: str = "psp_preferred_name", subjects: list[str] | None = None) -> list[Reading]:
    subjects = subjects or [f"psp:{n}" for n in range(len(values))]
    return [Reading(f"stored:{n}", subject, {key: value} if value else {})
            for n, (value, subject) in enumerate(zip(values, subjects, strict=True))]


def _as_read(changes: dict[str, str], method: ReadMethod = ReadMethod.LABEL):
    document = form_as_read("PSP-REG", changes, number=1)
    fields = {key: read.model_copy(update={"method": method, "confidence": 0.9}) for key, read in document.fields.items()}
    return document.model_copy(update={"fields": fields})


def test_a_hint_read_for_three_people_whose_answers_otherwise_differ_is_printed_text():
    assert learn(_readings(["Sam", HINT, HINT, HINT])) == {"psp_preferred_name": frozenset({"as on the county id card"})}


def test_a_hint_read_after_values_counts_as_read_there():
    values = ["Ingham (as on the county ID card)", "Eaton\n(as on the county ID card)", HINT]
    assert learn(_readings(values, key="psp_county")) == {"psp_county": frozenset({"as on the county id card"})}


def test_too_few_documents_or_people_teach_nothing():
    assert learn(_readings(["Sam", HINT, HINT])) == {}
    assert learn(_readings(["Sam", HINT, HINT, HINT], subjects=["psp:a", "psp:b", "psp:b", "psp:c"])) == {}


def test_a_text_that_is_the_fields_only_answer_is_an_answer():
    # every packet of the agency holds it (a bracketed note the agency always writes): nothing varies
    assert learn(_readings([HINT] * 6)) == {}


def test_values_many_people_share_are_never_printed_text():
    # a county, a yes, a common city, an address, a provider's name: recurring among differing answers
    for common, other in (("Ingham", "Eaton"), ("Yes", "No"), ("Grand Rapids", "Lansing"),
                          ("1200 Example Avenue, Lansing", "5 Demo Plaza"),
                          ("Friends of the Family Services", "Example Family Partners, Inc."),
                          ("(517) 555-0190", "(231) 555-0102"),
                          ("riley.testperson@example.org", "sam.other@example.org"),
                          ("Licensed Master Social Worker (LMSW)", "Licensed Professional Counselor (LPC)"),
                          ("[picture]", "Jordan Example")):
        assert learn(_readings([other, common, common, common, common], key="psp_city")) == {}, common
        assert not looks_printed(common)


def test_a_hint_shape_is_bracketed_or_a_sentence_in_small_letters():
    assert looks_printed(HINT)
    assert looks_printed("as it appears on the county ID card")
    assert not looks_printed("Friends of the Family")
    assert not looks_printed("(517)")
    assert looks_printed("(if any)") and not looks_printed("(if any)", after_value=True)
    assert not looks_printed("(LMSW)") and not looks_printed("[picture]") and not looks_printed("(Clinton-Eaton-Ingham)")


def test_a_word_or_two_people_add_in_brackets_after_their_values_stays():
    values = ["2027-03-GR (classroom)", "2027-01-LAN (classroom)", "2027-02-FLINT (classroom)", "2027-01-LAN (in person)",
              "2027-03-GR (in person)", "2027-02-FLINT (in person)"]
    assert learn(_readings(values, key="training_session")) == {}


def test_only_free_text_is_touched_a_choice_or_an_email_that_is_a_hint_does_not_parse_anyway():
    printed = {"supervisor_credential": frozenset({"as on the county id card"}),
               "supervisor_email": frozenset({"as on the county id card"})}
    document = _as_read({"supervisor_credential": HINT, "supervisor_email": HINT})
    assert without_printed_text(document, REG, printed) is document


def test_under_an_optional_field_it_reads_blank_under_a_required_one_a_person_looks():
    printed = {"psp_preferred_name": frozenset({"as on the county id card"}),
               "psp_county": frozenset({"as on the county id card"})}
    document = _as_read({"psp_preferred_name": HINT, "psp_county": HINT})
    read = without_printed_text(document, REG, printed).fields
    assert read["psp_preferred_name"].value == "" and read["psp_preferred_name"].note == OPTIONAL_NOTE
    assert read["psp_county"].value == HINT and read["psp_county"].confidence == PRINTED_TEXT_CONFIDENCE
    assert "not an answer" in read["psp_county"].note


def test_after_a_value_it_ends_the_value():
    printed = {"psp_county": frozenset({"as on the county id card"})}
    for written in ("Ingham (as on the county ID card)", "Ingham\n(as on the county ID card)"):
        read = without_printed_text(_as_read({"psp_county": written}), REG, printed).fields["psp_county"]
        assert (read.value, read.confidence) == ("Ingham", 0.9)


def test_a_value_typed_into_the_forms_own_field_is_left_as_typed():
    printed = {"psp_preferred_name": frozenset({"as on the county id card"})}
    document = _as_read({"psp_preferred_name": HINT}, method=ReadMethod.ACROFORM)
    assert without_printed_text(document, REG, printed) is document


def test_reading_of_a_stored_document_keeps_only_text_read_off_the_page():
    extraction = {
        "psp_county": FieldValue(key="psp_county", value="Ingham", method=ReadMethod.LABEL, location="p", confidence=0.9)
        .model_dump(mode="json", exclude={"key"}),
        "psp_city": {"value": "Lansing", "method": "acroform", "confidence": 1.0},
        "ack_confidentiality": {"value": True, "method": "label", "confidence": 0.95},
    }
    assert Reading.stored(7, "psp:x", extraction).texts == {"psp_county": "Ingham"}


def test_a_bracketed_text_learnt_never_takes_the_same_words_written_plainly():
    printed = learn(_readings(["Eaton", "(ingham county)", "(ingham county)", "(ingham county)"], key="psp_county"))
    assert printed == {"psp_county": frozenset({"ingham county"})}
    document = _as_read({"psp_county": "Ingham County"})
    assert without_printed_text(document, REG, printed) is document
