"""pipeline.extract.image_file: a fax (multi-page TIFF, Group 4 or 3) or a phone's photo (JPEG,
PNG, turned by its EXIF) is read by OCR like a scan; told by its first bytes, not its name."""

from __future__ import annotations

import random

import pytest

from pipeline.extract import extract
from pipeline.extract.detect import detect
from pipeline.extract.image_file import is_image
from pipeline.model import LOW_CONFIDENCE, ExtractionProblem, InputKind, ReadMethod
from samples.scans import fax_tiff, photo_files
from tests.conftest import VALID_PACKET


def _same(read: object, filled: object) -> bool:
    # (spaces aside: recognition's word gaps are uneven; the values' own parsing reads them the same)
    return str(read).replace(" ", "") == str(filled).replace(" ", "")


@pytest.mark.parametrize("group", [4, 3])
def test_a_faxed_packet_is_read_page_by_page(tmp_path, received, filled_packet, group):
    path = tmp_path / "fax.tif"
    fax_tiff(filled_packet, path, random.Random(group), header="FROM CMH FAX  (517) 555-0100", group=group)
    document = extract(received(path))
    assert (document.kind, document.form_id, document.problem, document.pages) == (InputKind.IMAGE, "PSP-REG", None, 2)
    wrong = {k: (v, document.fields[k].value if k in document.fields else None)
             for k, v in VALID_PACKET.items() if not (k in document.fields and _same(document.fields[k].value, v))}
    assert len(wrong) <= 0.5 * len(VALID_PACKET), wrong  # most values read as filled (the benchmark measures how many)
    # a fax's digits are misread with full confidence (5 for 6): none of its values decides alone
    assert all(value.confidence < LOW_CONFIDENCE for value in document.fields.values())
    assert {v.method for v in document.fields.values()} == {ReadMethod.OCR}


def test_a_photo_of_the_first_page_turned_by_its_exif_is_read_upright(tmp_path, received, filled_packet):
    (first, _) = photo_files(filled_packet, tmp_path, random.Random(3), orientation=6, suffix=".jpg")
    document = extract(received(first))
    assert (document.kind, document.form_id, document.problem) == (InputKind.IMAGE, "PSP-REG", None)
    assert _same(document.fields["psp_last_name"].value, VALID_PACKET["psp_last_name"])
    assert "commit_classroom" not in document.fields  # on the second page, which is not in this photo


def test_a_picture_is_told_by_its_bytes_not_its_name(tmp_path, filled_packet):
    (png,) = photo_files(filled_packet, tmp_path, random.Random(5), orientation=1, suffix=".png")[:1]
    renamed = png.rename(tmp_path / "scan.pdf")
    assert detect(renamed).kind is InputKind.IMAGE
    assert is_image(b"II*\x00rest") and is_image(b"MM\x00*rest") and is_image(b"\xff\xd8\xff\xe0")
    assert not is_image(b"%PDF-1.7")


def test_a_picture_that_is_not_a_form_goes_to_a_person_saying_what_it_is(tmp_path, received, tesseract):
    from PIL import Image, ImageDraw

    picture = Image.new("L", (1700, 2200), 255)
    ImageDraw.Draw(picture).text((200, 200), "Quarterly newsletter " * 3, fill=0, font_size=48)
    picture.save(tmp_path / "newsletter.png", dpi=(200, 200))
    document = extract(received(tmp_path / "newsletter.png"))
    assert document.kind is InputKind.IMAGE
    assert document.problem in (ExtractionProblem.UNKNOWN_FORM, ExtractionProblem.UNREADABLE)
