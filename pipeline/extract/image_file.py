"""Pictures of the pages: a fax (TIFF, one page per frame, Group 3 or 4) or a phone's photo (JPEG,
PNG). Each page is read with text recognition (``pipeline.extract.ocr``) as a scanned PDF's is.
Told by their first bytes (``is_image``), never their names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.extract.base import RawDocument
from pipeline.extract.ocr import read_pages
from pipeline.extract.ocr.pages import image_pages
from pipeline.model import InputKind

# The signatures the picture formats begin with: TIFF (either byte order), JPEG, PNG.
IMAGE_SIGNATURES = (b"II*\x00", b"MM\x00*", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def is_image(head: bytes) -> bool:
    """Whether a file's first bytes are those of a TIFF, JPEG or PNG picture."""
    return head.startswith(IMAGE_SIGNATURES)


class ImageExtractor:
    kind = InputKind.IMAGE

    def read(self, path: Path, opened: Any = None) -> RawDocument:
        """The picture's pages read by OCR; DocumentUnreadable when it cannot be decoded or is too poor to read."""
        return read_pages(image_pages(path))
