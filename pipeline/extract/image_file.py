"""Pictures of the pages: a fax (TIFF, one page per frame, Group 3 or 4) or a phone's photo (JPEG,
PNG). Each page is read with text recognition (``pipeline.extract.ocr``) as a scanned PDF's is.
Told by their first bytes (``is_image``), never their names.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from typing import Any

from pipeline.extract.base import RawDocument
from pipeline.model import InputKind

# The signatures the picture formats begin with: TIFF (either byte order), JPEG, PNG.
IMAGE_SIGNATURES = (b"II*\x00", b"MM\x00*", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


# A picture of a page is this many pixels on its long side at least (a page at 100 dpi); a
# letterhead's logo or a signature pasted in an email is smaller.
PAGE_PICTURE_PIXELS = 1000


def is_image(head: bytes) -> bool:
    """Whether a file's first bytes are those of a TIFF, JPEG or PNG picture."""
    return head.startswith(IMAGE_SIGNATURES)


def is_page_picture(data: bytes) -> bool:
    """Whether an attachment's bytes are a picture the size of a page (only its header is read)."""
    if not is_image(data[:16]):
        return False
    from PIL import Image

    try:
        with Image.open(BytesIO(data)) as picture:
            return max(picture.size) >= PAGE_PICTURE_PIXELS
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return False  # not even its size can be read: no page (the email goes to a person as it is)


class ImageExtractor:
    kind = InputKind.IMAGE

    def read(self, path: Path, opened: Any = None) -> RawDocument:
        """The picture's pages read by OCR; DocumentUnreadable when it cannot be decoded or is too poor to read."""
        from pipeline.extract.ocr import read_pages
        from pipeline.extract.ocr.pages import image_pages

        return read_pages(image_pages(path))
