"""samples/scans.py makes what it claims: forms signed by hand, scans with no text layer at the dpi
asked, Group 4 faxes at 204×196 dpi, phone photos turned back upright by their EXIF tag, the same
bytes for the same seed; and samples/renditions.py writes them with their expectations."""

from __future__ import annotations

import json
import random
import shutil
import zipfile
from pathlib import Path

import pdfplumber
import pytest
from PIL import Image, ImageOps

from samples import pdf_tools, scans
from samples.renditions import _blank, form_cases, generate
from tests.conftest import require_tools

CASE = "reg_valid_cei"  # two pages, three signatures


def _case():
    return next(c for c in form_cases() if c.name == CASE)


@pytest.fixture(scope="module")
def signed(tmp_path_factory) -> Path:
    """The registration packet printed and signed by hand (two pages)."""
    require_tools([t for t in pdf_tools.missing_tools() if t.startswith(("qpdf", "PyMuPDF"))])
    case = _case()
    out = tmp_path_factory.mktemp("signed") / "signed.pdf"
    signed = scans.printed_and_signed(_blank(case, "pdf"), case.values, scans.signature_keys(case.spec), out, random.Random(1))
    assert signed == ["psp_signature", "supervisor_signature", "director_signature"]
    return out


@pytest.fixture(scope="module")
def last_page(signed, tmp_path_factory) -> Path:
    """The signed packet's second page alone (the signatures'): one page keeps the photos quick."""
    import pymupdf

    out = tmp_path_factory.mktemp("page") / "page2.pdf"
    with pymupdf.open(signed) as document:
        document.select([1])
        document.save(out)
    return out


def test_signatures_are_written_by_hand_on_their_lines_and_the_values_typed(signed):
    import pymupdf

    case = _case()
    with pymupdf.open(_blank(case, "pdf")) as form:
        lines = {w.field_name: (page.number, w.rect) for page in form for w in page.widgets()
                 if w.field_name in scans.signature_keys(case.spec)}
    with pdfplumber.open(signed) as pdf:
        words = [page.extract_words(extra_attrs=["fontname"]) for page in pdf.pages]
    for key, (number, rect) in lines.items():
        on_line = [w for w in words[number] if rect.x0 <= (w["x0"] + w["x1"]) / 2 <= rect.x1 + 60
                   and rect.y0 - 10 <= (w["top"] + w["bottom"]) / 2 <= rect.y1 + 10]
        assert on_line and all("Z003" in w["fontname"] for w in on_line), key  # ink only, no typed name
        assert str(case.values[key]).split()[-1] in {w["text"] for w in on_line}
    typed = {w["text"] for page in words for w in page if "Z003" not in w["fontname"]}
    assert str(case.values["psp_email"]) in typed  # the values as the fillable form prints them


def test_a_scan_has_no_text_layer_and_its_pages_are_pictures_at_the_dpi_asked(signed, tmp_path):
    for dpi, bilevel in ((200, True), (150, False)):
        out = tmp_path / f"scan-{dpi}.pdf"
        scans.scan_pdf(signed, out, random.Random(2), dpi=dpi, bilevel=bilevel)
        with pdfplumber.open(out) as pdf:
            assert len(pdf.pages) == 2
            for page in pdf.pages:
                assert page.extract_words() == []
                (image,) = page.images
                assert round(image["srcsize"][0] / (float(page.width) / 72)) == dpi
                assert round(image["srcsize"][1] / (float(page.height) / 72)) == dpi
                assert image["bits"] == (1 if bilevel else 8)
                assert str(image["stream"]["Filter"]).count("CCITTFax" if bilevel else "DCT") == 1


def test_a_scan_too_poor_to_read_is_faint_grey_noise_at_72_dpi(signed, tmp_path):
    out = tmp_path / "poor.pdf"
    scans.too_poor_pdf(signed, out, random.Random(10))
    with pdfplumber.open(out) as pdf:
        page = pdf.pages[0]
        (image,) = page.images
        assert page.extract_words() == [] and round(image["srcsize"][0] / (float(page.width) / 72)) == 72
    (picture,) = scans.page_images(out, 72)[:1]
    histogram = picture.histogram()
    assert sum(histogram[:60]) < 0.01 * sum(histogram)  # hardly any dark print left


def test_a_scan_is_on_grey_paper_with_its_print_kept(signed):
    clean = scans.page_images(signed, 100)[0]
    scanned = scans.degrade_scan(clean, random.Random(3), dpi=100, bilevel=False)
    assert scanned.size == clean.size
    histogram = scanned.histogram()
    assert 225 <= histogram.index(max(histogram)) <= 252  # the paper, not pure white

    def dark(image: Image.Image) -> int:
        return sum(image.histogram()[:100])

    assert 0.6 < dark(scanned) / dark(clean) < 1.6  # the print is still there, neither lost nor smeared
    assert scanned.tobytes() != clean.tobytes()


@pytest.mark.parametrize("group", [4, 3])
def test_a_fax_is_a_multipage_one_bit_tiff_at_fine_resolution(signed, tmp_path, group):
    out = tmp_path / "fax.tif"
    scans.fax_tiff(signed, out, random.Random(4), header="DEC-01-2026 08:52  FROM-CMHA-CEI", group=group)
    with Image.open(out) as fax:
        assert fax.n_frames == 2
        for frame in range(fax.n_frames):
            fax.seek(frame)
            assert fax.mode == "1"
            assert fax.info["compression"] == f"group{group}"
            assert tuple(round(d) for d in fax.info["dpi"]) == scans.FAX_DPI
            assert fax.width == scans.FAX_WIDTH
            black = fax.convert("L").histogram()[0] / (fax.width * fax.height)
            assert 0.005 < black < 0.3  # a page of print, not blank, not black


@pytest.fixture(scope="module")
def upright_photo(last_page, tmp_path_factory) -> Image.Image:
    """The photo of the signature page as taken, stored upright (EXIF Orientation 1)."""
    (path,) = scans.photo_files(last_page, tmp_path_factory.mktemp("upright"), random.Random(5), orientation=1, suffix=".jpg")
    with Image.open(path) as photo:
        return photo.convert("L")


@pytest.mark.parametrize(("orientation", "turned"), [(6, True), (8, True), (3, False)])
def test_a_photo_stored_turned_is_upright_once_its_exif_orientation_is_applied(last_page, upright_photo, tmp_path,
                                                                               orientation, turned):
    (path,) = scans.photo_files(last_page, tmp_path, random.Random(5), orientation=orientation, suffix=".jpg")
    with Image.open(path) as photo:
        assert photo.getexif()[scans.ORIENTATION_TAG] == orientation
        assert (photo.width > photo.height) is turned  # stored on its side
        upright = ImageOps.exif_transpose(photo).convert("L")
    assert upright.height > upright.width  # the page stands
    assert 1600 <= upright.height <= 3000
    # the same picture as the one stored upright (JPEG aside), not one upside down
    assert _difference(upright, upright_photo) < 4 < _difference(upright.rotate(180), upright_photo)


def _difference(one: Image.Image, other: Image.Image) -> float:
    """The mean difference of two grey pictures of one size, per pixel."""
    from PIL import ImageChops

    histogram = ImageChops.difference(one, other).histogram()
    return sum(value * count for value, count in enumerate(histogram)) / sum(histogram)


def test_a_photo_is_a_page_on_a_darker_desk_in_colour(last_page, tmp_path):
    (path,) = scans.photo_files(last_page, tmp_path, random.Random(6), orientation=1, suffix=".png")
    with Image.open(path) as photo:
        assert photo.format == "PNG" and photo.mode == "RGB"
        grey = photo.convert("L")
    corner = grey.crop((0, 0, grey.width // 40, grey.height // 40)).getextrema()[1]
    centre = grey.crop((grey.width * 2 // 5, grey.height * 2 // 5, grey.width * 3 // 5, grey.height * 3 // 5))
    histogram = centre.histogram()
    paper = histogram.index(max(histogram))
    assert corner < paper - 60  # the desk darker than the paper


def test_a_photo_pdf_has_one_jpeg_photo_a_page_and_no_text(last_page, tmp_path):
    out = tmp_path / "photo.pdf"
    scans.photo_pdf(last_page, out, random.Random(7))
    with pdfplumber.open(out) as pdf:
        assert len(pdf.pages) == 1 and pdf.pages[0].extract_words() == []
        (image,) = pdf.pages[0].images
        assert "DCT" in str(image["stream"]["Filter"]) and 1600 <= max(image["srcsize"]) <= 3000


def test_the_same_seed_makes_the_same_bytes_and_another_seed_others(signed, tmp_path):
    def made(seed: int, name: str) -> tuple[bytes, bytes]:
        scans.scan_pdf(signed, tmp_path / f"{name}.pdf", random.Random(seed), dpi=150)
        scans.fax_tiff(signed, tmp_path / f"{name}.tif", random.Random(seed), header="DEC-01-2026")
        return (tmp_path / f"{name}.pdf").read_bytes(), (tmp_path / f"{name}.tif").read_bytes()

    first, again, other = made(8, "first"), made(8, "again"), made(9, "other")
    assert first == again
    assert first[0] != other[0] and first[1] != other[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    require_tools(([] if shutil.which("soffice") else ["soffice"]) + pdf_tools.missing_tools())
    out = tmp_path_factory.mktemp("renditions")
    generate(out, ["fax_tiff", "word_97", "rtf", "odt"], [_case()], seed=11)
    return out


def test_paper_renditions_expect_the_case_or_a_person_and_name_the_signatures_signed(generated):
    expected = json.loads((generated / "fax_tiff" / f"{CASE}.expected.json").read_text("utf-8"))
    case = _case()
    assert (generated / "fax_tiff" / f"{CASE}.tif").is_file()
    assert expected["outcome"] == case.outcome and expected["outcome_alternatives"] == ["needs_review"]
    assert expected["values"] == case.values
    assert expected["signed_by_hand"] == ["psp_signature", "supervisor_signature", "director_signature"]


def test_other_editors_files_are_the_word_form_saved_by_libreoffice(generated):
    doc = (generated / "word_97" / f"{CASE}.doc").read_bytes()
    assert doc.startswith(bytes.fromhex("d0cf11e0a1b11ae1"))  # an OLE compound file, Word 97-2003's
    assert (generated / "rtf" / f"{CASE}.rtf").read_bytes().startswith(b"{\\rtf1")
    with zipfile.ZipFile(generated / "odt" / f"{CASE}.odt") as odt:
        assert odt.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    for rendition in ("word_97", "rtf", "odt"):
        expected = json.loads((generated / rendition / f"{CASE}.expected.json").read_text("utf-8"))
        assert expected["outcome"] == _case().outcome and expected["values"] == _case().values
        assert "outcome_alternatives" not in expected
