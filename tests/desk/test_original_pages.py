"""The original beside its values in the desk: each value's place drawn over its page, Word files
converted once by LibreOffice and drawn like a PDF, and every page drawn in a process of its own,
bounded in time and pixels, then kept (owner-only) in the data home."""

from __future__ import annotations

import io
import re
import shutil
import stat

import pytest
from PIL import Image
from pypdf import PdfWriter

from pipeline.desk import draw, pages
from pipeline.drawn import drawn_files, drawn_folder
from pipeline.extract import extract
from pipeline.intake import receive
from pipeline.load import program
from pipeline.model import InputKind
from pipeline.service import Changes, after_change
from samples.fill import fill_docx, fill_pdf
from tests.conftest import SAMPLES, VALID_PACKET, form_as_read, require_tools

HTML = {"Accept": "text/html"}
PLACE = re.compile(r'<a class="show-place" href="#page-(\d+)" data-page="\d+" data-left="([\d.]+)" '
                   r'data-top="([\d.]+)" data-width="([\d.]+)" data-height="([\d.]+)">')


@pytest.fixture
def stored_file(desk, tmp_path):
    """``stored_file(path)``: the file read as a run reads it, recorded and filed; its receipt."""
    from pipeline.load import store

    run_id = store.start_run(desk.engine)

    def record(path):
        document = extract(receive(path, path.parent))
        receipts, releases = program.record_batch(desk.engine, run_id, [document], desk.validation,
                                                  desk.router.destination)
        after_change(desk, Changes(stored=receipts, releases=releases))
        return receipts[0]

    return record


def _drawn(desk):
    return drawn_folder(desk.settings.data_home.root)


def test_each_value_links_to_its_place_drawn_over_the_page(reviewer, desk, stored_file, tmp_path):
    path = tmp_path / "inbox" / "packet.pdf"
    path.parent.mkdir()
    fill_pdf(SAMPLES / "forms" / "PSP-REG_2025.1.pdf", VALID_PACKET, path)
    receipt = stored_file(path)
    area = receipt.result.document.fields["psp_city"].area
    assert area is not None and area.page == 1

    page = reviewer.get(f"/documents/{receipt.received_file_id}", headers=HTML)
    assert page.status_code == 200
    places = {tuple(float(v) for v in match.groups()) for match in PLACE.finditer(page.text)}
    assert (1, round(area.left, 4), round(area.top, 4), round(area.width, 4), round(area.height, 4)) in places
    assert '<div class="page" id="page-1">' in page.text and '<div class="place" hidden></div>' in page.text
    assert '<script src="/static/document.js" defer></script>' in page.text
    assert " style=" not in page.text and "<script>" not in page.text  # the CSP allows neither
    script = reviewer.get("/static/document.js")
    assert script.status_code == 200 and "place.style.left" in script.text and '"focus"' in script.text

    picture = reviewer.get(f"/documents/{receipt.received_file_id}/pages/1")
    assert picture.content.startswith(b"\x89PNG")
    sha = receipt.result.document.received.sha256
    kept = _drawn(desk) / f"{sha}.page-1.png"
    assert kept.read_bytes() == picture.content
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(_drawn(desk).stat().st_mode) == 0o700
    assert drawn_files(desk.settings.data_home.root, sha) == [_drawn(desk) / f"{sha}.page-1.png",
                                                                   _drawn(desk) / f"{sha}.pages"]


def test_a_word_file_is_converted_once_by_libreoffice_and_drawn(reviewer, desk, stored_file, tmp_path):
    require_tools([] if shutil.which("soffice") else ["soffice (libreoffice-writer-nogui)"])
    path = tmp_path / "inbox" / "packet.docx"
    path.parent.mkdir()
    fill_docx(SAMPLES / "forms" / "PSP-REG_2025.1.docx", VALID_PACKET, path)
    receipt = stored_file(path)
    assert receipt.result.document.kind is InputKind.WORD_FORM
    assert all(value.area is None for value in receipt.result.document.fields.values())  # Word has no pages

    page = reviewer.get(f"/documents/{receipt.received_file_id}", headers=HTML)
    assert page.status_code == 200 and 'id="page-1"' in page.text and "could not be drawn" not in page.text
    assert "show-place" not in page.text
    converted = _drawn(desk) / f"{receipt.result.document.received.sha256}.pdf"
    assert converted.read_bytes().startswith(b"%PDF-") and stat.S_IMODE(converted.stat().st_mode) == 0o600
    made_at = converted.stat().st_mtime_ns
    picture = reviewer.get(f"/documents/{receipt.received_file_id}/pages/1")
    assert picture.content.startswith(b"\x89PNG")
    reviewer.get(f"/documents/{receipt.received_file_id}", headers=HTML)
    assert converted.stat().st_mtime_ns == made_at  # converted once, then kept


def test_a_word_file_that_cannot_be_converted_says_so_and_still_downloads(reviewer, stored_file, tmp_path, monkeypatch):
    path = tmp_path / "inbox" / "packet.docx"
    path.parent.mkdir()
    fill_docx(SAMPLES / "forms" / "PSP-REG_2025.1.docx", VALID_PACKET, path)
    receipt = stored_file(path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no LibreOffice on this machine
    page = reviewer.get(f"/documents/{receipt.received_file_id}", headers=HTML)
    assert page.status_code == 200
    assert "The original could not be drawn: soffice is not installed on this machine" in page.text
    assert "Download it to read it." in page.text and 'id="page-1"' not in page.text
    assert reviewer.get(f"/documents/{receipt.received_file_id}/pages/1").status_code == 404
    original = reviewer.get(f"/documents/{receipt.received_file_id}/original")
    assert original.status_code == 200 and original.content == receipt.stored_path.read_bytes()


def test_a_huge_page_is_drawn_within_the_pixel_limit(reviewer, stored):
    document = form_as_read("PSP-REG", number=7)
    writer = PdfWriter()
    writer.add_blank_page(width=14_400, height=14_400)  # 200 inches square: 324 million pixels at 1.5
    writer.write(document.received.path)
    (receipt,) = stored(document)
    picture = reviewer.get(f"/documents/{receipt.received_file_id}/pages/1")
    assert picture.status_code == 200
    width, height = Image.open(io.BytesIO(picture.content)).size
    assert width * height <= draw.MOST_PIXELS and width > 1000


def test_a_drawing_past_its_time_limit_is_stopped_and_not_kept(reviewer, desk, stored_file, tmp_path, monkeypatch):
    path = tmp_path / "inbox" / "packet.pdf"
    path.parent.mkdir()
    fill_pdf(SAMPLES / "forms" / "PSP-REG_2025.1.pdf", VALID_PACKET, path)
    receipt = stored_file(path)
    assert reviewer.get(f"/documents/{receipt.received_file_id}", headers=HTML).status_code == 200
    monkeypatch.setattr(pages, "DRAW_TIMEOUT_SECONDS", 0.01)
    assert reviewer.get(f"/documents/{receipt.received_file_id}/pages/1").status_code == 404
    assert not (_drawn(desk) / f"{receipt.result.document.received.sha256}.page-1.png").exists()


def test_forget_deletes_the_pictures_the_desk_kept(reviewer, desk, settings, stored_file, tmp_path):
    from typer.testing import CliRunner

    from cli import app

    path = tmp_path / "inbox" / "packet.pdf"
    path.parent.mkdir()
    fill_pdf(SAMPLES / "forms" / "PSP-REG_2025.1.pdf", VALID_PACKET, path)
    receipt = stored_file(path)
    assert reviewer.get(f"/documents/{receipt.received_file_id}/pages/2").status_code == 200
    sha = receipt.result.document.received.sha256
    assert len(drawn_files(settings.data_home.root, sha)) == 2

    result = CliRunner().invoke(app, ["forget", "--psp-email", VALID_PACKET["psp_email"], "--reason", "request",
                                      "--by", "coordinator", "--home", str(settings.data_home.root)],
                                env={"PSP_DATABASE_URL": settings.store_url})
    assert result.exit_code == 0, result.output
    assert drawn_files(settings.data_home.root, sha) == []


def test_a_faxed_picture_is_drawn_frame_by_frame_with_square_pixels(reviewer, stored):
    document = form_as_read("PSP-REG", number=8)
    document = document.model_copy(update={"kind": InputKind.IMAGE})
    frames = [Image.new("1", (1728, 1100), 1), Image.new("1", (1728, 1100), 0)]  # fine mode's oblong pixels
    frames[0].save(document.received.path, "TIFF", save_all=True, append_images=frames[1:], dpi=(204, 98),
                   compression="group4")
    (receipt,) = stored(document)
    page = reviewer.get(f"/documents/{receipt.received_file_id}", headers=HTML)
    assert 'id="page-2"' in page.text and 'id="page-3"' not in page.text
    picture = Image.open(io.BytesIO(reviewer.get(f"/documents/{receipt.received_file_id}/pages/2").content))
    assert picture.size == (1728, round(1100 * 204 / 98)) and picture.getpixel((5, 5)) == 0
