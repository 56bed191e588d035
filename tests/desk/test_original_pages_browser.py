"""A value's place on the original in Debian's Chromium: giving "show on page N" the keyboard's
focus draws the box over the page where the value was read, under the desk's
Content-Security-Policy (no inline script or style: the CSSOM only)."""

from __future__ import annotations

import re

import pytest

from samples.fill import fill_pdf
from tests.conftest import SAMPLES, VALID_PACKET
from tests.desk.conftest import PASSWORD, REVIEWER
from tests.desk.test_original_pages import stored_file  # noqa: F401 - the fixture
from tests.report.browser import chromium, chromium_available

pytestmark = pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (make system-deps)")


def test_focusing_a_values_link_draws_its_place_over_the_page(stored_file, served, tmp_path):  # noqa: F811
    path = tmp_path / "inbox" / "packet.pdf"
    path.parent.mkdir()
    fill_pdf(SAMPLES / "forms" / "PSP-REG_2025.1.pdf", VALID_PACKET, path)
    receipt = stored_file(path)
    area = receipt.result.document.fields["psp_city"].area
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("console", lambda message: problems.append(f"{message.text} {message.location.get('url')}")
                if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
        page.goto(f"{served}/login")
        page.locator('input[name="username"]').fill(REVIEWER)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_url(f"{served}/")

        page.goto(f"{served}/documents/{receipt.received_file_id}")
        picture = page.locator("#page-1 img")
        picture.scroll_into_view_if_needed()
        page.wait_for_load_state("networkidle")  # (the page's picture drawn; the CSP allows no eval to ask)
        place = page.locator("#page-1 .place")
        assert not place.is_visible()
        page.get_by_role("link", name=re.compile(r"^show on page 1\s*: Home city$")).focus()
        assert place.is_visible()
        shown, drawn = place.bounding_box(), picture.bounding_box()
        assert shown["x"] - drawn["x"] == pytest.approx(area.left * drawn["width"], abs=2)
        assert shown["y"] - drawn["y"] == pytest.approx(area.top * drawn["height"], abs=2)
        assert shown["width"] == pytest.approx(area.width * drawn["width"], abs=2)
        assert problems == []
