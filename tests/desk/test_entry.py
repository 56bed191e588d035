"""The desk's data-entry form, hold release and session move: the form made from the form's
specification (every field under its printed label, every control labelled), a document of no
known form given its form first, the preview writing nothing, "Save" storing only what was
previewed, values a field cannot read shown beside their input; a hold released only with its
rule confirmed; a wait-listed PSP moved; every POST refused without its CSRF token; hostile
values kept as text."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from pipeline.load import review, schedule
from pipeline.model import Outcome
from schemas import FieldType, load_form_spec
from schemas.reference import TrainingSession
from tests.conftest import form_as_read
from tests.desk.conftest import REVIEWER, with_real_pdf
from tests.desk.test_decisions import HOSTILE, _store_state
from tests.load.conftest import another_psp
from tests.load.test_entry import typed, unreadable_scan

HTML = {"Accept": "text/html"}


class Controls(HTMLParser):
    """The form controls of a page (but hidden inputs and buttons) and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if tag in ("input", "select", "textarea") and attributes.get("type") != "hidden":
            self.controls.append(attributes)
        if tag == "label" and attributes.get("for"):
            self.labelled.add(attributes["for"])


def as_posted(form_id: str, values: dict) -> dict:
    """Typed values as the entry form posts them: inputs named after the fields, ticked boxes sent."""
    spec = load_form_spec(form_id)
    posted = {}
    for field in spec.fields:
        value = values.get(field.key)
        if field.type is FieldType.MULTICHOICE:
            posted.update({f"v_{w}": "yes" for c, w in zip(field.choices, field.widget_keys, strict=True) if c in value})
        elif field.type is FieldType.CHECKBOX:
            if value:
                posted[f"v_{field.key}"] = "yes"
        else:
            posted[f"v_{field.key}"] = str(value or "")
    return {"form": form_id, **posted}


@pytest.mark.parametrize("form_id", ["PSP-ORP", "PSP-REG"])
def test_the_entry_form_has_every_field_of_the_spec_under_its_label(reviewer, stored, form_id):
    (scan,) = stored(with_real_pdf(unreadable_scan(1)))
    choice = reviewer.get(f"/documents/{scan.received_file_id}/entry", headers=HTML)
    assert choice.status_code == 200 and "Which form is it?" in choice.text and 'name="form" value="PSP-REG"' in choice.text
    page = reviewer.get(f"/documents/{scan.received_file_id}/entry?form={form_id}", headers=HTML)
    assert page.status_code == 200
    spec = load_form_spec(form_id)
    for section in spec.sections:
        assert f"<legend>{str(escape(section.title))}</legend>" in page.text
    for field in spec.fields:
        assert str(escape(field.label)) in page.text, field.key
        names = [f"v_{w}" for w in field.widget_keys] if field.type is FieldType.MULTICHOICE else [f"v_{field.key}"]
        for name in names:
            assert f'name="{name}"' in page.text and f'<label for="{name}">' in page.text
    controls = Controls()
    controls.feed(page.text)
    unlabelled = [c for c in controls.controls if c.get("id") not in controls.labelled]
    assert unlabelled == []  # every control has its label, so a screen reader and the keyboard reach it
    kinds = {c["name"]: c.get("type") for c in controls.controls if "name" in c}
    if form_id == "PSP-REG":
        assert (kinds["v_hire_date"], kinds["v_psp_email"], kinds["v_psp_phone"], kinds["v_hours_per_week"]) == (
            "date", "email", "tel", "number")
        assert kinds["v_commit_classroom"] == "checkbox" and kinds["v_child_condition_sed"] == "checkbox"
        assert '<select id="v_position_type" name="v_position_type"' in page.text
        assert "(required)" in page.text and "(must be checked)" in page.text
    assert f'src="/documents/{scan.received_file_id}/pages/1"' in page.text  # the original beside the form


def test_typed_values_are_previewed_without_writing_then_saved_as_the_reviewers(reviewer, desk, stored):
    (plan, scan) = stored(form_as_read("PSP-ORP", number=1), unreadable_scan(2))
    document = reviewer.get(f"/documents/{scan.received_file_id}", headers=HTML)
    assert f'href="/documents/{scan.received_file_id}/entry"' in document.text
    posted = as_posted("PSP-REG", typed("PSP-REG"))
    before = _store_state(desk.engine)
    preview = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="preview", **posted)
    assert preview.status_code == 200 and "would be" in preview.text and "accepted" in preview.text
    assert _store_state(desk.engine) == before
    digest = preview.text.split('name="previewed" value="')[1].split('"')[0]
    assert len(digest) == 64

    changed = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="save", previewed=digest,
                                 note="typed from the fax", **{**posted, "v_psp_city": "Okemos"})
    assert "The values changed since the preview" in changed.text and _store_state(desk.engine) == before
    no_note = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="save", previewed=digest,
                                 note="", **posted)
    assert no_note.status_code == 400 and 'id="error-note"' in no_note.text and _store_state(desk.engine) == before

    saved = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="save", previewed=digest,
                               note="typed from the fax", **posted)
    assert saved.status_code == 200 and "The values typed in are saved" in saved.text
    shown = review.show(desk.engine, scan.received_file_id)
    assert (shown["form_id"], shown["outcome"]) == ("PSP-REG", Outcome.ACCEPTED)
    last = shown["decisions"][-1]
    assert (last["actor"], last["action"], last["reason"]) == (REVIEWER, "entered", "typed from the fax")
    assert "typed in by riley.reviewer" in {f["key"]: f for f in shown["fields"]}["psp_city"]["sources"][0]
    decided = reviewer.get(f"/documents/{scan.received_file_id}/entry", headers=HTML)
    assert decided.status_code == 400 and "is accepted; values are typed in for a document that waits" in decided.text
    assert reviewer.get(f"/documents/{scan.received_file_id}/release", headers=HTML).status_code == 400


def test_a_value_its_field_cannot_read_is_shown_beside_its_input_and_nothing_is_saved(reviewer, desk, stored):
    (scan,) = stored(unreadable_scan(1))
    before = _store_state(desk.engine)
    posted = as_posted("PSP-REG", typed("PSP-REG", hire_date="31/31/2027"))
    answer = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="preview", **posted)
    assert answer.status_code == 400 and "1 value to correct" in answer.text
    assert 'aria-describedby="error-hire_date" aria-invalid="true" autofocus' in answer.text
    assert 'id="error-hire_date">&#39;31/31/2027&#39; is not a date we can read' in answer.text
    assert 'value="31/31/2027"' in answer.text  # the slip stays in its input, to correct
    assert "Save these values" not in answer.text and _store_state(desk.engine) == before


def test_every_post_is_refused_without_its_csrf_token(reviewer, desk, stored):
    (scan,) = stored(unreadable_scan(1))
    before = _store_state(desk.engine)
    for action in ("entry", "release", "move"):
        answer = reviewer.post(f"/documents/{scan.received_file_id}/{action}", headers=HTML,
                               data={"note": "no token", "action": "save", **as_posted("PSP-REG", typed("PSP-REG"))})
        assert answer.status_code == 403, action
    assert _store_state(desk.engine) == before


def test_hostile_values_stay_text_in_the_entry_form_and_its_preview(reviewer, stored):
    (packet,) = stored(form_as_read("PSP-REG", {"psp_city": HOSTILE, "accommodations": HOSTILE}, number=1))
    page = reviewer.get(f"/documents/{packet.received_file_id}/entry", headers=HTML)
    assert page.status_code == 200 and "<script>" not in page.text and "<img src=x" not in page.text
    assert str(escape(HOSTILE)) in page.text
    preview = reviewer.post_form(f"/documents/{packet.received_file_id}/entry", action="preview",
                                 **as_posted("PSP-REG", typed("PSP-REG", psp_first_name=HOSTILE)))
    assert "<script>" not in preview.text and str(escape(HOSTILE)) in preview.text


# The desk released a hold past its cause once its rule's box was ticked (issue 17): a PSP registered
# before their agency's plan. Now it shows what holds the form and what clears it, and refuses.
def test_a_hold_is_not_released_in_the_desk_while_its_cause_is_there(reviewer, desk, stored):
    (held,) = stored(form_as_read("PSP-REG", number=1))
    document = reviewer.get(f"/documents/{held.received_file_id}", headers=HTML)
    assert f'action="/documents/{held.received_file_id}/accept"' not in document.text  # held: released, not accepted
    assert f'href="/documents/{held.received_file_id}/release"' in document.text
    accepted = reviewer.post_form(f"/documents/{held.received_file_id}/accept", note="plan on paper")
    assert accepted.status_code == 400 and "is held, not waiting for a person" in accepted.text
    page = reviewer.get(f"/documents/{held.received_file_id}/release", headers=HTML)
    assert "What held it is still there" in page.text and "REG-R10" in page.text
    assert "To clear it: accept the agency&#39;s readiness plan" in page.text
    assert "despite" not in page.text and 'action="/documents/' not in page.text.split("What held it")[1]
    refused = reviewer.post_form(f"/documents/{held.received_file_id}/release", note="plan on paper",
                                 **{"despite-REG-R10": "yes"})
    assert refused.status_code == 400 and "is still held: REG-R10" in refused.text
    assert review.show(desk.engine, held.received_file_id)["outcome"] == Outcome.HELD
    assert review.show(desk.engine, held.received_file_id)["decisions"] == []


def test_a_wait_listed_psp_is_moved_in_the_desk(reviewer, desk, stored):
    sessions = {"2027-01-LAN": TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 1),
                "2027-03-GR": TrainingSession("2027-03-GR", date(2027, 3, 8), date(2027, 3, 12), 5, "Grand Rapids", 2)}
    schedule.import_schedule(desk.engine, sessions, desk.validation, "tests", desk.router.destination)
    receipts = stored(form_as_read("PSP-ORP", number=1), *(form_as_read("PSP-REG", another_psp(n), number=n + 1,
                                                                        minutes=n) for n in (1, 2)))
    waiting = receipts[2]
    assert waiting.outcome is Outcome.HELD
    document = reviewer.get(f"/documents/{waiting.received_file_id}", headers=HTML)
    assert f'href="/documents/{waiting.received_file_id}/move"' in document.text
    page = reviewer.get(f"/documents/{waiting.received_file_id}/move", headers=HTML)
    assert "2027-03-GR · Grand Rapids · 03/08/2027 · 2 of 2 seats free" in page.text
    assert 'value="2027-01-LAN"' not in page.text  # not the session it waits for
    done = reviewer.post_form(f"/documents/{waiting.received_file_id}/move", session="2027-03-GR",
                              note="the PSP lives near Grand Rapids")
    assert done.status_code == 200 and "Moved to the other session." in done.text
    shown = review.show(desk.engine, waiting.received_file_id)
    assert shown["outcome"] == Outcome.ACCEPTED and shown["decisions"][-1]["action"] == "moved"
    seats = {row["session_id"]: (row["taken"], row["wait_list"]) for row in schedule.session_seats(desk.engine)}
    assert seats["2027-01-LAN"] == (1, 0) and seats["2027-03-GR"] == (1, 0)
