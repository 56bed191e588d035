"""pipeline.extract.ocr.pages: the pictures of a document's pages, with their resolution, from a
scanned PDF, a fax TIFF (square pixels made of a fax's) and a photo (turned upright by its EXIF)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pipeline.errors import DocumentUnreadable
from pipeline.extract.ocr import pages
from pipeline.extract.ocr.pages import image_pages, pdf_pages
from tests.extract.ocr.conftest import drawn, scan_pdf


def test_a_scanned_pdf_is_drawn_at_the_resolution_of_its_pictures(tmp_path, filled_packet):
    images = [drawn(filled_packet, 150, n) for n in (0, 1)]
    read = list(pdf_pages(scan_pdf(images, tmp_path / "scan.pdf", 150)))
    assert [p.number for p in read] == [1, 2]
    assert all(p.dpi == pytest.approx(150, abs=1) for p in read)
    assert read[0].pixels.shape == (images[0].height, images[0].width)
    assert not read[0].photo


def test_a_page_that_is_one_grey_picture_is_that_picture_as_stored_not_drawn_again(tmp_path, filled_packet, monkeypatch):
    import pypdfium2

    image = drawn(filled_packet, 200).convert("L")
    path = scan_pdf([image, image.convert("1")], tmp_path / "scan.pdf", 200)

    def drawing(*_, **__):
        raise AssertionError("the page was drawn again")

    monkeypatch.setattr(pypdfium2.PdfPage, "render", drawing)
    grey, bilevel = pdf_pages(path)
    # (Pillow stores a grey page as a JPEG: as stored is within its loss)
    assert grey.pixels.shape == (image.height, image.width) and grey.dpi == pytest.approx(200) and not grey.bilevel
    assert np.abs(grey.pixels.astype(int) - np.asarray(image)).mean() < 2
    assert (bilevel.pixels == np.asarray(image.convert("1").convert("L"))).all() and bilevel.bilevel


def test_a_coarse_page_of_one_picture_is_drawn_which_smooths_its_blocks(tmp_path, filled_packet, monkeypatch):
    import pypdfium2

    path = scan_pdf([drawn(filled_packet, 150).convert("L")], tmp_path / "coarse.pdf", 150)
    drawings = []
    render = pypdfium2.PdfPage.render
    monkeypatch.setattr(pypdfium2.PdfPage, "render", lambda page, **kw: drawings.append(kw) or render(page, **kw))
    (read,) = pdf_pages(path)
    assert len(drawings) == 1 and read.dpi == pytest.approx(150, abs=1) and pages.STORED_MIN_DPI > 150


def test_a_page_with_more_than_its_picture_on_it_is_drawn(tmp_path, filled_packet):
    import pypdfium2

    image = drawn(filled_packet, 150).convert("L")
    path = scan_pdf([image], tmp_path / "scan.pdf", 150)
    pdf = pypdfium2.PdfDocument(str(path))
    page = pdf[0]
    stamp = pypdfium2.PdfImage.new(pdf)  # a stamp over the scan, as an editor adds one
    stamp.set_bitmap(pypdfium2.PdfBitmap.from_pil(Image.new("L", (40, 40), 0)))
    stamp.set_matrix(pypdfium2.PdfMatrix().scale(40, 40).translate(20, 20))
    page.insert_obj(stamp)
    page.gen_content()
    stamped = tmp_path / "stamped.pdf"
    pdf.save(str(stamped))
    pdf.close()
    (read,) = pdf_pages(stamped)
    assert pages._stored_picture(pypdfium2.PdfDocument(str(stamped))[0]) is None
    assert read.pixels[-115:-52, 52:115].max() < 64  # the stamp (20 to 60 points from the corner), drawn over the picture


def test_a_scan_finer_than_400_dpi_is_drawn_at_400(tmp_path, filled_packet):
    path = scan_pdf([drawn(filled_packet, 600)], tmp_path / "fine.pdf", 600)
    (page,) = pdf_pages(path)
    assert page.dpi == pages.MAX_DPI


def test_a_fax_tiff_gives_one_page_per_frame_with_square_pixels(tmp_path, filled_packet):
    # fine mode: 204 dpi across, 196 down; Group 4, one bit a pixel
    frames = []
    for number in (0, 1):
        page = drawn(filled_packet, 204, number)
        frames.append(page.resize((page.width, round(page.height * 196 / 204))).point(lambda v: 255 if v > 160 else 0, "1"))
    path = tmp_path / "fax.tif"
    frames[0].save(path, compression="group4", dpi=(204, 196), save_all=True, append_images=frames[1:])
    read = list(image_pages(path))
    assert len(read) == 2
    assert read[0].dpi == pytest.approx(204)
    height, width = read[0].pixels.shape
    assert height / width == pytest.approx(11 / 8.5, rel=0.02)  # stretched back to the page's shape
    assert set(read[0].pixels.ravel().tolist()) <= {0, 255}


def test_a_photo_is_turned_upright_by_its_exif_orientation(tmp_path, filled_packet):
    page = drawn(filled_packet, 150).convert("RGB")
    stored = page.transpose(Image.Transpose.ROTATE_90)  # the phone held sideways: pixels stored turned
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise to show"
    stored.save(tmp_path / "photo.jpg", exif=exif, quality=85)
    (read,) = image_pages(tmp_path / "photo.jpg")
    height, width = read.pixels.shape
    assert height > width  # upright, a portrait page again
    assert read.photo
    assert read.dpi == pytest.approx(height / 11, rel=0.01)  # no real resolution said: the page taken as Letter


def test_a_png_without_a_resolution_is_taken_as_a_letter_page(tmp_path, filled_packet):
    drawn(filled_packet, 200).save(tmp_path / "page.png")
    (read,) = image_pages(tmp_path / "page.png")
    assert read.dpi == pytest.approx(2200 / 11, rel=0.01)


def test_a_transparent_background_is_paper(tmp_path):
    Image.new("RGBA", (850, 1100), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    (read,) = image_pages(tmp_path / "clear.png")
    assert read.pixels.min() == 255


def test_a_picture_file_of_more_pages_than_a_form_is_not_read(tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "MAX_PAGES", 2)
    frames = [Image.new("1", (400, 520), 1) for _ in range(3)]
    frames[0].save(tmp_path / "long.tif", save_all=True, append_images=frames[1:])
    with pytest.raises(DocumentUnreadable, match="holds more pages than a form has"):
        list(image_pages(tmp_path / "long.tif"))


def test_a_picture_larger_or_thinner_than_a_page_is_refused_before_it_is_decoded(tmp_path, monkeypatch):
    Image.new("L", (1700, 200), 255).save(tmp_path / "strip.png")
    with pytest.raises(DocumentUnreadable, match="not the shape of a page"):
        list(image_pages(tmp_path / "strip.png"))
    monkeypatch.setattr(pages, "MAX_PIXELS", 1_000_000)
    Image.new("L", (1700, 2200), 255).save(tmp_path / "big.png")
    with pytest.raises(DocumentUnreadable, match="larger than a page is photographed or scanned"):
        list(image_pages(tmp_path / "big.png"))


def test_a_16_bit_scan_keeps_its_ink(tmp_path, filled_packet):
    import numpy as np

    eight = np.asarray(drawn(filled_packet, 150))
    Image.fromarray(eight.astype(np.uint16) * 257).save(tmp_path / "deep.tif", dpi=(150, 150))  # 0..65535
    (read,) = image_pages(tmp_path / "deep.tif")
    assert abs(int(read.pixels.min()) - int(eight.min())) <= 2 and read.pixels.max() == 255  # not clipped to white


def test_a_picture_finer_than_400_dpi_is_read_at_400(tmp_path, filled_packet):
    drawn(filled_packet, 600).save(tmp_path / "fine.png", dpi=(600, 600))
    (read,) = image_pages(tmp_path / "fine.png")
    assert read.dpi == pages.MAX_DPI and read.source_dpi == pytest.approx(600, abs=0.01)


def test_a_broken_picture_says_so_in_one_line(tmp_path):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    with pytest.raises(DocumentUnreadable, match=r"^the picture could not be read \(\w+\); a person should open it$"):
        list(image_pages(path))


def test_a_pdf_that_cannot_be_opened_says_so(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n%%EOF\n")
    with pytest.raises(DocumentUnreadable, match="the PDF could not be read"):
        list(pdf_pages(path))


def test_a_one_bit_scan_stored_as_a_stencil_mask_is_drawn_black_on_white(tmp_path):
    """Ghostscript and some scanners store a one-bit page as an image mask: its stored bits are the
    places painted, ink white as stored; drawn, the page is black on white as it looks."""
    import pypdfium2
    from pypdf import PdfWriter
    from pypdf.generic import (
        BooleanObject,
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
        NumberObject,
    )

    width, height = 1700, 2200  # a Letter page at 200 dpi
    bits = np.ones((height, width), np.uint8)
    bits[200:400, 200:1400] = 0  # a band of ink: a stencil's 0 bits are painted (its default Decode)
    writer = PdfWriter()
    page = writer.add_blank_page(612, 792)
    mask = DecodedStreamObject()
    mask.set_data(np.packbits(bits, axis=1).tobytes())
    mask.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Image"),
                 NameObject("/Width"): NumberObject(width), NameObject("/Height"): NumberObject(height),
                 NameObject("/BitsPerComponent"): NumberObject(1), NameObject("/ImageMask"): BooleanObject(True)})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Im0"): writer._add_object(mask)})})
    content = DecodedStreamObject()
    content.set_data(b"q 612 0 0 792 0 0 cm /Im0 Do Q")
    page[NameObject("/Contents")] = writer._add_object(content)
    writer.write(path := tmp_path / "stencil.pdf")
    assert pages._stored_picture(pypdfium2.PdfDocument(str(path))[0]) is None
    (read,) = pdf_pages(path)
    assert read.pixels[300, 800] < 64 and read.pixels[1200, 800] > 192  # the band black, the paper white
