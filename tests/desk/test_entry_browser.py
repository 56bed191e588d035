"""The data-entry form in Debian's Chromium, by keyboard and by label as a reviewer works it: sign
in, open a scan of no known form, choose its form, type every value in (each control found by its
printed label), preview the outcome, then save; the scan is then a registration."""

from __future__ import annotations

import re

import pytest

from pipeline.load import review
from pipeline.model import Outcome
from schemas import FieldType, load_form_spec
from tests.conftest import form_as_read
from tests.desk.conftest import PASSWORD, REVIEWER, with_real_pdf
from tests.load.test_entry import typed, unreadable_scan
from tests.report.browser import chromium, chromium_available

pytestmark = pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (make system-deps)")


def named(label: str) -> re.Pattern:
    """A control's accessible name: its printed label, and what marks it required."""
    return re.compile(rf"^{re.escape(label)}( \((required|must be checked)[^)]*\))?$")


def type_in(page, form_id: str, values: dict) -> None:
    """Fill every field by its printed label, as a reviewer reading the original would."""
    for field in load_form_spec(form_id).fields:
        value = values[field.key]
        if field.type is FieldType.MULTICHOICE:
            group = page.get_by_role("group", name=named(field.label))
            for choice in field.choices:
                group.get_by_label(choice, exact=True).set_checked(choice in value)
        elif field.type is FieldType.CHECKBOX:
            page.get_by_label(named(field.label)).set_checked(bool(value))
        elif field.type is FieldType.CHOICE:
            page.get_by_label(named(field.label)).select_option(value or "")
        else:
            page.get_by_label(named(field.label)).fill(str(value))


def test_a_scan_is_typed_in_by_label_previewed_and_saved_in_the_browser(desk, stored, served):
    (plan, scan) = stored(form_as_read("PSP-ORP", number=1), with_real_pdf(unreadable_scan(2)))
    values = typed("PSP-REG", hire_date="2026-11-16", psp_signature_date="2026-12-01",
                   supervisor_signature_date="2026-12-01", director_signature_date="2026-12-01")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{served}/login")
        # Filled by name: typing before the page had given the name field its focus lost keys once.
        page.locator('input[name="username"]').fill(REVIEWER)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_url(f"{served}/")

        page.goto(f"{served}/documents/{scan.received_file_id}")
        page.get_by_role("link", name="Type in every value").click()
        page.get_by_label("Portal PSP Registration Packet").check()
        page.get_by_role("button", name="Type in its values").click()
        assert page.locator(f'img[src="/documents/{scan.received_file_id}/pages/1"]').count() == 1

        page.get_by_label(named("First name")).focus()
        page.keyboard.press("Tab")  # the keyboard goes from one field to the next, in the form's order
        assert page.evaluate("document.activeElement.id") == "v_psp_last_name"
        type_in(page, "PSP-REG", values)
        page.get_by_role("button", name="Preview the outcome").click()
        assert "would be accepted" in " ".join(page.locator(".entry-preview").inner_text().split())
        assert review.show(desk.engine, scan.received_file_id)["outcome"] == Outcome.NEEDS_REVIEW

        page.get_by_label("Internal note").fill("typed in from the fax")
        page.get_by_role("button", name="Save these values").click()
        page.wait_for_url(f"{served}/documents/{scan.received_file_id}?done=entered")
        assert "The values typed in are saved" in page.content()
        assert errors == []
    shown = review.show(desk.engine, scan.received_file_id)
    assert (shown["outcome"], shown["decisions"][-1]["action"]) == (Outcome.ACCEPTED, "entered")
