"""Fillable PDFs: the values of AcroForm fields, read with pypdf. (A PDF whose fields hold no value
is a flat PDF, read by its printed labels: ``pdf_kind`` decides.)

Checkboxes count as checked for any on-state the filling program wrote (/Yes, /On, /1...): only
/Off or nothing is unchecked. A signature field holding a digital signature counts as signed.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.model import FieldArea, FieldValue, InputKind, ReadMethod

DIGITAL_SIGNATURE = "[digitally signed]"


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _qualified_name(annotation: DictionaryObject) -> str | None:
    parts: list[str] = []
    node: DictionaryObject | None = annotation
    seen = 0
    while node is not None and seen < 32:
        if "/T" in node:
            parts.append(_text(node["/T"]))
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        seen += 1
    return ".".join(reversed(parts)) or None


def _turned(left: float, top: float, right: float, bottom: float, rotate: int) -> tuple[float, float, float, float]:
    """A rectangle in fractions of the unturned page (from its top-left corner) as it stands on
    the page turned clockwise by ``rotate`` degrees (its /Rotate), as viewers and pdfium show it."""
    if rotate == 90:
        return 1 - bottom, left, 1 - top, right
    if rotate == 180:
        return 1 - right, 1 - bottom, 1 - left, 1 - top
    if rotate == 270:
        return top, 1 - right, bottom, 1 - left
    return left, top, right, bottom


def widget_area(annotation: DictionaryObject, page: PageObject, number: int) -> FieldArea | None:
    """Where a widget stands on its page as the page is shown: its /Rect, in PDF user space (origin
    bottom-left, wherever the crop box starts), within the crop box, turned as the page's /Rotate
    says; None without a usable /Rect."""
    try:
        x0, y0, x1, y1 = (float(v) for v in annotation["/Rect"])
        box = page.cropbox
        left, bottom, right, top = float(box.left), float(box.bottom), float(box.right), float(box.top)
        rotate = int(page.get("/Rotate", 0) or 0) % 360
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    width, height = right - left, top - bottom
    if width <= 0 or height <= 0:
        return None
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    unturned = ((x0 - left) / width, (top - y1) / height, (x1 - left) / width, (top - y0) / height)
    turned = _turned(*unturned, rotate=rotate)
    return FieldArea.of_box(number, turned, (1.0, 1.0))


def _widget_pages(reader: PdfReader) -> tuple[dict[str, int], dict[str, list[str]], dict[str, FieldArea]]:
    """Field name -> first page number showing it, -> the appearance states of its widgets, and
    -> where it stands (its first widget, or a button's widget that is on: the option chosen)."""
    pages: dict[str, int] = {}
    states: dict[str, list[str]] = {}
    areas: dict[str, FieldArea] = {}
    chosen: set[str] = set()  # the buttons whose area is the widget that is on
    for number, page in enumerate(reader.pages, start=1):
        annotations = page.get("/Annots")
        if annotations is None:
            continue
        for ref in annotations.get_object():
            annotation = ref.get_object()
            if not isinstance(annotation, DictionaryObject) or annotation.get("/Subtype") != "/Widget":
                continue
            name = _qualified_name(annotation)
            if name is None:
                continue
            pages.setdefault(name, number)
            state = str(annotation["/AS"]) if "/AS" in annotation else None
            if state is not None:
                states.setdefault(name, []).append(state)
            on = state not in (None, "/Off")
            if name not in areas or (on and name not in chosen):
                area = widget_area(annotation, page, number)
                if area is not None:
                    areas[name] = area
                    if on:
                        chosen.add(name)
    return pages, states, areas


def _checked(value: object, widget_states: list[str]) -> bool:
    if value is None:
        # Some fillers set only the widget's appearance state, not the field's value.
        return any(s not in ("/Off", "") for s in widget_states)
    return str(value) not in ("/Off", "Off", "")


class FillablePdfExtractor:
    kind = InputKind.FILLABLE_PDF

    def read(self, path: Path, opened: PdfReader | None = None) -> RawDocument:
        """Every AcroForm field's value with its page, and the first page's text for the marker;
        DocumentUnreadable for a protected or broken PDF."""
        try:
            reader = opened if opened is not None else PdfReader(path)  # parsed already to tell its kind
            if reader.is_encrypted and not reader.decrypt(""):
                raise DocumentUnreadable("the PDF is password-protected; ask the sender for an unprotected copy")
            fields = reader.get_fields() or {}
            pages, states, areas = _widget_pages(reader)
            page_count = len(reader.pages)
            marker_text = reader.pages[0].extract_text() if page_count else ""
        except DocumentUnreadable:
            raise
        except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as exc:
            raise DocumentUnreadable(f"the PDF could not be read ({type(exc).__name__})") from exc

        widgets: dict[str, FieldValue] = {}
        for name, pdf_field in fields.items():
            field_type = pdf_field.get("/FT")
            raw = pdf_field.get("/V")
            value: str | bool | None
            if field_type == "/Btn":
                value = _checked(raw, states.get(name, []))
            elif field_type == "/Sig":
                value = DIGITAL_SIGNATURE if raw is not None else None
            elif isinstance(raw, ArrayObject):
                value = "\n".join(_text(v) for v in raw)
            elif raw is None:
                value = None
            else:
                value = _text(raw)
            page = pages.get(name)
            widgets[name] = FieldValue(
                key=name,
                value=value,
                method=ReadMethod.ACROFORM,
                location=f"page {page}" if page else "form field",
                confidence=1.0,
                area=areas.get(name),
            )
        return RawDocument(widgets=widgets, marker_text=marker_text or "", pages=page_count)
