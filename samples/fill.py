"""Fill the official blank forms the way a person would in a PDF viewer or in Word.

    fill_pdf(blank, values, out)   # fillable PDF (AcroForm), with pypdf
    fill_docx(blank, values, out)  # Word form (content controls), with lxml

``values`` maps widget keys (AcroForm field names / content-control tags, e.g. ``cmhsp_name``,
``child_condition_sed``) to a string (text, drop-down, date fields) or a bool (checkboxes).
Keys the form does not have raise ``KeyError``; a bool for a text field or a string for a
checkbox raises ``TypeError``; a drop-down value that is not one of its choices raises ``ValueError``.
Both functions write deterministic output (same input, same bytes).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import cast

from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject, NameObject
from pypdf.generic import _appearance_stream as _pypdf_ap
from reportlab.pdfbase.pdfmetrics import stringWidth

__all__ = ["fill_pdf", "fill_docx", "normalize_docx_zip", "parse_form_date", "read_docx_controls"]

FIXED_ZIP_TIME = (2025, 1, 1, 0, 0, 0)

# ----------------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------------

_PDF_TEXT_SIZE = 10.0  # the size the blank form's /DA asks for in one-line fields
_PDF_MIN_SIZE = 6.0


def _widgets_by_name(writer: PdfWriter) -> dict[str, DictionaryObject]:
    """AcroForm field name -> its (merged field/widget) annotation dictionary."""
    found: dict[str, DictionaryObject] = {}
    for page in writer.pages:
        for annot in page.get("/Annots", []) or []:
            a = cast(DictionaryObject, annot.get_object())
            if a.get("/Subtype") != "/Widget":
                continue
            field = a if "/T" in a else cast(DictionaryObject, a.get("/Parent", DictionaryObject()).get_object())
            name = field.get("/T")
            if name is not None:
                found.setdefault(str(name), a)
    return found


def _field_type(widget: DictionaryObject) -> str | None:
    ft = widget.get("/FT")
    if ft is None and "/Parent" in widget:
        ft = widget["/Parent"].get_object().get("/FT")
    return str(ft) if ft is not None else None


def checkbox_on_state(widget: DictionaryObject) -> NameObject:
    """The checkbox's own 'on' appearance state (``/Yes`` in the official forms)."""
    states = [k for k in widget["/AP"]["/N"] if k != "/Off"]
    if len(states) != 1:
        raise ValueError(f"checkbox has {len(states)} on-states: {states}")
    return NameObject(states[0])


def _fit_font_size(text: str, widget: DictionaryObject) -> float:
    rect = [float(v) for v in widget["/Rect"]]
    width = abs(rect[2] - rect[0]) - 6
    size = _PDF_TEXT_SIZE
    while size > _PDF_MIN_SIZE and stringWidth(text, "Helvetica", size) > width:
        size -= 0.5
    return size


def fill_pdf(blank: Path, values: Mapping[str, str | bool], out: Path) -> None:
    """Fill the fillable PDF ``blank`` with ``values`` and write it to ``out``.

    Text and combo fields get ``/V`` set to the string; a checkbox gets ``/V`` and ``/AS`` set to its
    own on-state name (read from its appearance dictionary) for True and ``/Off`` for False. Appearance
    streams of the changed text/combo fields are regenerated (pypdf), so every viewer shows the values
    without relying on /NeedAppearances. One-line values too wide for their box are drawn smaller;
    multi-line fields wrap and shrink automatically (their /DA asks for auto size).
    """
    writer = PdfWriter(clone_from=PdfReader(str(blank)))
    widgets = _widgets_by_name(writer)
    unknown = [k for k in values if k not in widgets]
    if unknown:
        raise KeyError(f"{Path(blank).name} has no field(s) {unknown}")

    updates: dict[str, object] = {}
    for key, value in values.items():
        w = widgets[key]
        ft = _field_type(w)
        if ft == "/Btn":
            if not isinstance(value, bool):
                raise TypeError(f"{key} is a checkbox: give True or False, not {value!r}")
            updates[key] = checkbox_on_state(w) if value else NameObject("/Off")
        elif ft in ("/Tx", "/Ch"):
            if not isinstance(value, str):
                raise TypeError(f"{key} is a text field: give a string, not {value!r}")
            if ft == "/Ch" and value and value not in [str(o) for o in w.get("/Opt", [])]:
                raise ValueError(f"{key}: {value!r} is not one of the drop-down's options")
            multiline = int(w.get("/Ff", 0)) & (1 << 12)
            if multiline or not value:
                updates[key] = value
            else:
                updates[key] = (value, "", _fit_font_size(value, w))
        else:
            raise TypeError(f"{key}: unsupported field type {ft}")

    # auto_regenerate=False: the appearance streams are made here, /NeedAppearances stays false.
    # pypdf wraps multi-line text starting from a 12 pt font; the form's own text is 10 pt.
    saved = getattr(_pypdf_ap, "DEFAULT_FONT_SIZE_IN_MULTILINE", None)
    try:
        if saved is not None:
            _pypdf_ap.DEFAULT_FONT_SIZE_IN_MULTILINE = _PDF_TEXT_SIZE
        writer.update_page_form_field_values(None, updates, auto_regenerate=False)  # type: ignore[arg-type]
    finally:
        if saved is not None:
            _pypdf_ap.DEFAULT_FONT_SIZE_IN_MULTILINE = saved
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as fh:
        writer.write(fh)


# ----------------------------------------------------------------------------------------------
# Word
# ----------------------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = {"w": W, "w14": W14}

PLACEHOLDERS = {
    "text": "Click or tap here to enter text.",
    "dropDownList": "Choose an item.",
    "comboBox": "Choose an item.",
    "date": "Click or tap to enter a date.",
}

_DATE_FORMATS = (
    "%m/%d/%Y", "%m/%d/%y", "%Y-%m-%d", "%m-%d-%Y", "%m.%d.%Y",
    "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y", "%d %B %Y", "%d %b %Y",
)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _w14(tag: str) -> str:
    return f"{{{W14}}}{tag}"


def parse_form_date(text: str) -> dt.date | None:
    """The date a person most likely meant (US month-first), or None."""
    s = re.sub(r"\s+", " ", text.strip())
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def normalize_docx_zip(path: Path) -> None:
    """Rewrite a .docx (ZIP) with fixed entry timestamps and attributes, keeping entry order."""
    path = Path(path)
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    _write_zip(path, entries)


def _write_zip(path: Path, entries: list[tuple[str, bytes]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            z.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)


def _control_kind(sdt_pr: etree._Element) -> str:
    if sdt_pr.find("w14:checkbox", NS) is not None:
        return "checkbox"
    for kind in ("dropDownList", "comboBox", "date", "text", "richText"):
        if sdt_pr.find(f"w:{kind}", NS) is not None:
            return kind
    return "richText"  # a content control with no type element is a rich-text control


def _content_runs_parent(sdt: etree._Element) -> etree._Element:
    """Where the control's runs live: sdtContent (inline control) or its first paragraph (block)."""
    content = sdt.find("w:sdtContent", NS)
    if content is None:
        content = etree.SubElement(sdt, _w("sdtContent"))
    p = content.find("w:p", NS)
    if p is None:
        cell_p = content.find("w:tc/w:p", NS)  # a cell-level control
        p = cell_p
    return p if p is not None else content


def _clear_runs(parent: etree._Element) -> None:
    for child in list(parent):
        if child.tag in (_w("r"), _w("hyperlink"), _w("proofErr"), _w("ins"), _w("del")):
            parent.remove(child)
    if parent.tag == _w("sdtContent"):
        # block-level control: keep one paragraph only
        for extra in parent.findall("w:p", NS)[1:]:
            parent.remove(extra)


def _new_run(sdt_pr: etree._Element, *, placeholder: bool = False) -> etree._Element:
    r = etree.Element(_w("r"))
    rpr_src = sdt_pr.find("w:rPr", NS)
    if placeholder:
        rpr = etree.SubElement(r, _w("rPr"))
        etree.SubElement(rpr, _w("rStyle")).set(_w("val"), "PlaceholderText")
        etree.SubElement(rpr, _w("color")).set(_w("val"), "808080")
    elif rpr_src is not None and len(rpr_src):
        r.append(etree.fromstring(etree.tostring(rpr_src)))
    return r


def _add_text(run: etree._Element, text: str) -> None:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i:
            etree.SubElement(run, _w("br"))
        t = etree.SubElement(run, _w("t"))
        t.text = line
        if line != line.strip() or "  " in line:
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def _insert_runs(parent: etree._Element, run: etree._Element) -> None:
    # after a paragraph's pPr, if any
    ppr = parent.find("w:pPr", NS)
    if ppr is not None:
        ppr.addnext(run)
    else:
        parent.insert(0, run)


def _set_plcHdr(sdt_pr: etree._Element, on: bool) -> None:
    existing = sdt_pr.find("w:showingPlcHdr", NS)
    if on and existing is None:
        el = etree.Element(_w("showingPlcHdr"))
        # schema order: ... id, lock, placeholder, temporary, showingPlcHdr, ...
        anchor = None
        for name in ("temporary", "placeholder", "lock", "id", "tag", "alias", "rPr"):
            anchor = sdt_pr.find(f"w:{name}", NS)
            if anchor is not None:
                break
        if anchor is not None:
            anchor.addnext(el)
        else:
            sdt_pr.insert(0, el)
    elif not on and existing is not None:
        sdt_pr.remove(existing)


def _set_checkbox(sdt: etree._Element, sdt_pr: etree._Element, checked: bool) -> None:
    box = sdt_pr.find("w14:checkbox", NS)
    state = box.find("w14:checked", NS)
    if state is None:
        state = etree.Element(_w14("checked"))
        box.insert(0, state)
    state.set(_w14("val"), "1" if checked else "0")
    glyph_el = box.find("w14:checkedState" if checked else "w14:uncheckedState", NS)
    code = glyph_el.get(_w14("val")) if glyph_el is not None else ("2612" if checked else "2610")
    glyph = chr(int(code, 16))
    parent = _content_runs_parent(sdt)
    ts = parent.findall(".//w:t", NS)
    if ts:
        ts[0].text = glyph
        for extra in ts[1:]:
            extra.getparent().remove(extra)
    else:
        r = _new_run(sdt_pr)
        _add_text(r, glyph)
        _insert_runs(parent, r)


def _set_text(sdt: etree._Element, sdt_pr: etree._Element, kind: str, value: str) -> None:
    parent = _content_runs_parent(sdt)
    _clear_runs(parent)
    if value == "":
        # an emptied control shows its placeholder again, as in Word
        r = _new_run(sdt_pr, placeholder=True)
        _add_text(r, PLACEHOLDERS.get(kind, PLACEHOLDERS["text"]))
        _insert_runs(parent, r)
        _set_plcHdr(sdt_pr, True)
        if kind == "date":
            sdt_pr.find("w:date", NS).attrib.pop(_w("fullDate"), None)
        if kind in ("dropDownList", "comboBox"):
            sdt_pr.find(f"w:{kind}", NS).attrib.pop(_w("lastValue"), None)
        return
    shown = value
    if kind in ("dropDownList", "comboBox"):
        lst = sdt_pr.find(f"w:{kind}", NS)
        items = lst.findall("w:listItem", NS)
        match = next((i for i in items if value in (i.get(_w("displayText")), i.get(_w("value")))), None)
        if match is None and kind == "dropDownList":
            raise ValueError(f"{value!r} is not one of the drop-down's items")
        if match is not None:
            shown = match.get(_w("displayText")) or match.get(_w("value")) or value
            lst.set(_w("lastValue"), match.get(_w("value")) or shown)
    elif kind == "date":
        date_el = sdt_pr.find("w:date", NS)
        parsed = parse_form_date(value)
        if parsed is not None:
            date_el.set(_w("fullDate"), f"{parsed.isoformat()}T00:00:00Z")
        else:
            date_el.attrib.pop(_w("fullDate"), None)
    r = _new_run(sdt_pr)
    _add_text(r, shown)
    _insert_runs(parent, r)
    _set_plcHdr(sdt_pr, False)


def _document_xml(entries: list[tuple[str, bytes]]) -> tuple[int, etree._Element]:
    for i, (name, data) in enumerate(entries):
        if name == "word/document.xml":
            return i, etree.fromstring(data)
    raise ValueError("not a Word document: no word/document.xml")


def _controls_by_tag(root: etree._Element) -> dict[str, etree._Element]:
    found: dict[str, etree._Element] = {}
    for sdt in root.iter(_w("sdt")):
        tag = sdt.find("w:sdtPr/w:tag", NS)
        if tag is not None and tag.get(_w("val")):
            found.setdefault(tag.get(_w("val")), sdt)
    return found


def fill_docx(blank: Path, values: Mapping[str, str | bool], out: Path) -> None:
    """Fill the Word form ``blank`` with ``values`` and write it to ``out``.

    Each content control found by its ``w:tag``: text replaces the placeholder and drops
    ``w:showingPlcHdr`` (line breaks become ``w:br``); a drop-down shows the item's display text and
    records ``w:lastValue``; a date control shows the text as given and gets ``w:fullDate`` when the
    text parses as a date; a checkbox gets ``w14:checked`` 1/0 and the matching glyph. Controls not
    in ``values`` are left untouched; an empty string puts a control back to its placeholder.
    """
    with zipfile.ZipFile(blank) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    idx, root = _document_xml(entries)
    controls = _controls_by_tag(root)
    unknown = [k for k in values if k not in controls]
    if unknown:
        raise KeyError(f"{Path(blank).name} has no content control(s) tagged {unknown}")
    for key, value in values.items():
        sdt = controls[key]
        sdt_pr = sdt.find("w:sdtPr", NS)
        kind = _control_kind(sdt_pr)
        if kind == "checkbox":
            if not isinstance(value, bool):
                raise TypeError(f"{key} is a checkbox: give True or False, not {value!r}")
            _set_checkbox(sdt, sdt_pr, value)
        else:
            if not isinstance(value, str):
                raise TypeError(f"{key} is a text control: give a string, not {value!r}")
            try:
                _set_text(sdt, sdt_pr, kind, value)
            except ValueError as e:
                raise ValueError(f"{key}: {e}") from None
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    entries[idx] = ("word/document.xml", xml)
    _write_zip(Path(out), entries)


def read_docx_controls(path: Path) -> dict[str, str | bool]:
    """Widget key -> value shown in a Word form ("" for a control showing its placeholder,
    True/False for checkboxes, line breaks as "\\n"). Used by the tests and handy for debugging."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    result: dict[str, str | bool] = {}
    for key, sdt in _controls_by_tag(root).items():
        sdt_pr = sdt.find("w:sdtPr", NS)
        if _control_kind(sdt_pr) == "checkbox":
            state = sdt_pr.find("w14:checkbox/w14:checked", NS)
            result[key] = state is not None and state.get(_w14("val")) in ("1", "true")
            continue
        if sdt_pr.find("w:showingPlcHdr", NS) is not None:
            result[key] = ""
            continue
        parts: list[str] = []
        for el in sdt.find("w:sdtContent", NS).iter(_w("t"), _w("br"), _w("p")):
            if el.tag == _w("t"):
                parts.append(el.text or "")
            elif el.tag == _w("br"):
                parts.append("\n")
            elif parts:  # a second paragraph of a block control
                parts.append("\n")
        result[key] = "".join(parts)
    return result
