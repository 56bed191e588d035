"""Realistic renditions of the sample submissions: every way the two forms really reach the coordinator.

    python samples/renditions.py OUT_DIR [--rendition NAME ...] [--case NAME ...] [--seed N]

From the official blank forms (``samples/forms``) and the sample cases (``make_submissions.py``:
each case's values, expected outcome and rules), it writes for each rendition and case
``OUT_DIR/<rendition>/<case>.<ext>`` with ``<case>.expected.json`` beside it: the form, the time
received (the file's mtime is set to it), the outcome and rules expected, and every widget's value
as filled. An email's expectation lists its attachments, each with its case's expectation.

| rendition | what | made with |
|---|---|---|
| fillable_pdf | the fillable PDF filled in a PDF reader | ``fill.fill_pdf`` |
| word_form | the Word form filled in Word (content controls) | ``fill.fill_docx`` |
| flattened_pdf | the fillable PDF flattened: fields gone, their appearance kept | qpdf |
| word_saved_as_pdf | the filled Word form saved as PDF | LibreOffice |
| word_resaved | the filled Word form re-saved by LibreOffice: tags dropped, placeholders as text | LibreOffice |
| word_typed_over | the Word form with its controls deleted, values typed in their place (some controls kept) | lxml |
| word_layouts | the form typed in Word in other layouts: ``Label: value``, label/value tables, a row of labels over a row of values, values under labels; boxes as ☒ [X] X ☑ or Wingdings | python-docx |
| word_layouts_pdf | those, printed to PDF | LibreOffice |
| word_legacy | an older template with legacy form fields (FORMTEXT, FORMCHECKBOX, FORMDROPDOWN) | python-docx + lxml |
| retyped | the form retyped in an agency's own document: letterhead, own title, sections merged, own order; the marker on every other one | python-docx |
| retyped_pdf | those, printed to PDF | LibreOffice |
| retyped_reworded | retyped, with some labels cut short or reworded: read with low confidence, so a person looks | python-docx |
| pdflib_flattened | filled and flattened by a web tool (half of them drawing their own boxes' looks) | pdf-lib (npm) |
| pymupdf_flattened | filled and baked: ticks as ZapfDingbats glyphs | PyMuPDF |
| pdftk_flattened | filled from XFDF and flattened | pdftk-java |
| printed_pdftocairo | the PyMuPDF-filled form printed to PDF: fonts re-embedded, ZapfDingbats as URW D050000L | pdftocairo |
| distilled_ghostscript | the PyMuPDF-filled form re-distilled, annotations into the page | Ghostscript |
| pen_marked | baked with no box ticked, then each box ticked by hand: strokes, a stroked path, a pasted picture of a tick or a typed ✔ | PyMuPDF |
| agency_version | an agency's own version: retyped under its letterhead, its own instructions printed under some fields (empty optional ones among them), values as people write them (``12 hours``, ``... and Ingham Counties``, a date in words) | python-docx |
| agency_version_pdf | those, printed to PDF | LibreOffice |
| scanned_pdf | the flattened form scanned too poorly to read (72 dpi, out of focus, faint, noisy, a squeezed JPEG), no text layer: a person reads it | ``scans.too_poor_pdf`` |
| scan_300 | printed, signed by hand (URW Z003), scanned at 300 dpi: grey JPEG or 1-bit G4 pages in an image-only PDF, skewed, speckled | ``scans.scan_pdf`` |
| scan_200 | the same at 200 dpi, 1-bit more often (a copier's scan-to-email default) | ``scans.scan_pdf`` |
| scan_150 | the same at 150 dpi, grey: the poorest scan still meant to be read | ``scans.scan_pdf`` |
| scan_turned | the same at 200 dpi, grey, with sheets fed upside down or on their side | ``scans.scan_pdf`` |
| fax_tiff | printed, signed, faxed: multi-page 1-bit TIFF, 204×196 dpi, Group 4 (Group 3 at times), the sender's header line | ``scans.fax_tiff`` |
| photo | printed, signed, each page photographed with a phone (desk, perspective, shadow, 1600-3000 px) and shared as one PDF of the photos | ``scans.photo_pdf`` |
| word_97 | the filled Word form saved as Word 97-2003 (.doc) | LibreOffice |
| rtf | the filled Word form saved as Rich Text (.rtf) | LibreOffice |
| odt | the filled Word form saved as OpenDocument text (.odt) | LibreOffice |
| email | saved emails (.eml) with two attachments each (a fillable PDF and a Word form) | ``email`` package |
| email_forwarded | those emails forwarded into the inbox by the coordinator a day later, inline (Outlook's quoted headers) or as an attached message: the agency stays the sender, its Date the time received | ``email`` package |
| outlook_msg | Outlook messages (.msg) with one or two attachments | ``samples/msgfile.py`` |

LibreOffice runs headless, once per output format for all the files that need it (it is slow to
start). Everything else is deterministic for a given seed.

``RENDITIONS`` are those read from text; ``PAPER_RENDITIONS`` (scans, faxes, photos: read by OCR)
and ``EDITOR_RENDITIONS`` (other editors' files, converted by LibreOffice) come after them in
``ALL_RENDITIONS``, the default here. A paper rendition's expectation is its case's outcome with
``outcome_alternatives: ["needs_review"]`` (a person may look where the reading is uncertain) and
``signed_by_hand``: the signature fields signed in ink, scored as signed or not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402
from docx.enum.table import WD_TABLE_ALIGNMENT  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls  # noqa: E402
from docx.shared import Inches, Pt  # noqa: E402
from lxml import etree  # noqa: E402

from samples.fill import fill_docx, fill_pdf, normalize_docx_zip  # noqa: E402
from samples.make_forms import INSTRUCTIONS, PROGRAM  # noqa: E402
from samples.make_submissions import FORMS, Case, all_cases  # noqa: E402
from samples.msgfile import write_msg  # noqa: E402
from samples.pdf_tools import (  # noqa: E402
    PEN_STYLES,
    cairo_print,
    ghostscript_distill,
    pdflib_fill,
    pdftk_fill,
    pen_marks,
    pymupdf_fill,
    qpdf_flatten,
)
from schemas.spec import FieldSpec, FieldType, FormSpec  # noqa: E402

Values = dict[str, str | bool]

# -- LibreOffice -------------------------------------------------------------------------------


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def soffice_convert(sources: list[Path], target: str, out_dir: Path) -> None:
    """Convert every file of ``sources`` in one LibreOffice run (``target``: ``pdf``, ``docx``, ``doc``, ``rtf`` or ``odt``)."""
    if not sources:
        return
    binary = soffice_path()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed: run `make system-deps`")
    out_dir.mkdir(parents=True, exist_ok=True)
    filters = {"pdf": "pdf:writer_pdf_Export", "docx": "docx:MS Word 2007 XML", "doc": "doc:MS Word 97",
               "rtf": "rtf:Rich Text Format", "odt": "odt:writer8"}
    with tempfile.TemporaryDirectory(prefix="psp-soffice-") as profile:
        command = [
            binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
            "--convert-to", filters[target], "--outdir", str(out_dir), *map(str, sources),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    missing = [s for s in sources if not (out_dir / f"{s.stem}.{target}").is_file()]
    if result.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice did not convert {len(missing)} file(s): {result.stderr.strip()[:500]}")


# -- boxes as people type them ------------------------------------------------------------------

# (checked, unchecked): the second may be "" (nothing printed beside an unchecked label)
BOX_STYLES: tuple[tuple[str, str], ...] = (("☒", "☐"), ("[X]", "[ ]"), ("X", ""), ("☑", "☐"), ("wingdings", "wingdings"))
TEXT_BOX_STYLES = BOX_STYLES[:4]


def _box(checked: bool, style: tuple[str, str]) -> str:
    return style[0] if checked else style[1]


# -- Word typed over -----------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"


def _run(text: str) -> etree._Element:
    run = etree.Element(f"{{{W}}}r")
    t = etree.SubElement(run, f"{{{W}}}t")
    t.text = text
    t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return run


def typed_over(filled: Path, out: Path, rng: random.Random) -> None:
    """Delete the content controls of a filled Word form, keeping what they show as typed text.

    Some controls are kept (a person typed over only part of the form); placeholders of empty
    controls are deleted or left as plain text; checkboxes become typed box characters.
    """
    import zipfile

    from samples.fill import _write_zip

    with zipfile.ZipFile(filled) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    index = next(i for i, (name, _) in enumerate(entries) if name == "word/document.xml")
    root = etree.fromstring(entries[index][1])
    keep_share = rng.choice((0.0, 0.0, 0.3))
    style = rng.choice(TEXT_BOX_STYLES)
    keep_placeholder = rng.random() < 0.5
    for sdt in list(root.iter(f"{{{W}}}sdt")):
        if rng.random() < keep_share:
            continue
        properties = sdt.find(f"{{{W}}}sdtPr")
        content = sdt.find(f"{{{W}}}sdtContent")
        parent = sdt.getparent()
        position = parent.index(sdt)
        parent.remove(sdt)
        box = properties.find(f"{{{W14}}}checkbox") if properties is not None else None
        if box is not None:
            state = box.find(f"{{{W14}}}checked")
            checked = state is not None and state.get(f"{{{W14}}}val") == "1"
            text = _box(checked, style)
            if text:
                parent.insert(position, _run(text))
            continue
        placeholder = properties is not None and properties.find(f"{{{W}}}showingPlcHdr") is not None
        if placeholder and not keep_placeholder:
            continue
        for offset, run in enumerate(content.findall(f"{{{W}}}r") if content is not None else []):
            rpr = run.find(f"{{{W}}}rPr")
            if rpr is not None:
                run.remove(rpr)
            parent.insert(position + offset, run)
    entries[index] = ("word/document.xml", etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))
    _write_zip(out, entries)


# -- Word documents in their own layouts -------------------------------------------------------


def _wingdings(paragraph, checked: bool) -> None:
    run = paragraph.add_run()
    run._r.append(parse_xml(f'<w:sym {nsdecls("w")} w:font="Wingdings" w:char="{"F0FE" if checked else "F0A8"}"/>'))


def _add_box(paragraph, checked: bool, style: tuple[str, str]) -> None:
    if style[0] == "wingdings":
        _wingdings(paragraph, checked)
        paragraph.add_run(" ")
        return
    text = _box(checked, style)
    if text:
        paragraph.add_run(text + " ")


def _choice_row(paragraph, choices: Iterable[str], chosen: set[str], style: tuple[str, str]) -> None:
    for i, choice in enumerate(choices):
        if i:
            paragraph.add_run("   ")
        _add_box(paragraph, choice in chosen, style)
        paragraph.add_run(choice)


def _add_value(paragraph, text: str) -> None:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()


@dataclass
class DocStyle:
    """How one document is typed."""

    layouts: list[str]  # per section: colon, table, grid, under
    box: tuple[str, str]
    choice_boxes: bool  # choices as a row of boxes rather than the chosen text
    multi_list: bool  # "SED, Autism" rather than a row of boxes
    colon: bool = True  # labels end with a colon
    labels: dict[str, str] = field(default_factory=dict)  # key -> label as printed, when reworded
    hints: dict[str, str] = field(default_factory=dict)  # key -> instruction printed under its value


def _label(f: FieldSpec, style: DocStyle) -> str:
    return style.labels.get(f.key, f.label)


def _field_text(f: FieldSpec, values: Values) -> str:
    value = values.get(f.key, "")
    return value if isinstance(value, str) else ""


def _value_paragraph_content(paragraph, f: FieldSpec, values: Values, style: DocStyle) -> None:
    """The value of a non-checkbox field, typed into ``paragraph``."""
    if f.type is FieldType.MULTICHOICE:
        chosen = {c for c, k in zip(f.choices, f.widget_keys, strict=True) if values.get(k)}
        if style.multi_list:
            paragraph.add_run(", ".join(c for c in f.choices if c in chosen))
        else:
            _choice_row(paragraph, f.choices, chosen, style.box)
        return
    text = _field_text(f, values)
    if f.type is FieldType.CHOICE and style.choice_boxes and len(f.choices) <= 3:
        _choice_row(paragraph, f.choices, {text}, style.box)
        return
    _add_value(paragraph, text)


def _hint(container, f: FieldSpec, style: DocStyle) -> None:
    """The agency's printed instruction under a field (small italics), where a value would go."""
    if f.key in style.hints:
        run = container.add_paragraph().add_run(style.hints[f.key])
        run.italic = True
        run.font.size = Pt(8)


def _checkbox_paragraph(doc, f: FieldSpec, values: Values, style: DocStyle) -> None:
    p = doc.add_paragraph()
    _add_box(p, bool(values.get(f.key)), style.box)
    p.add_run(_label(f, style))


def _table(doc, rows: int, cols: int):
    table = doc.add_table(rows=rows, cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    return table


def _write_section(doc, fields: list[FieldSpec], values: Values, style: DocStyle, layout: str) -> None:
    colon = ":" if style.colon else ""
    boxes = [f for f in fields if f.type is FieldType.CHECKBOX]
    others = [f for f in fields if f.type is not FieldType.CHECKBOX]
    if layout == "colon":
        for f in fields:
            if f.type is FieldType.CHECKBOX:
                _checkbox_paragraph(doc, f, values, style)
            elif f.type is FieldType.LONGTEXT:
                doc.add_paragraph(f"{_label(f, style)}:")
                for line in _field_text(f, values).split("\n"):
                    doc.add_paragraph(line)
            else:
                p = doc.add_paragraph(f"{_label(f, style)}: ")
                _value_paragraph_content(p, f, values, style)
                _hint(doc, f, style)
        return
    if layout == "under":
        for f in fields:
            if f.type is FieldType.CHECKBOX:
                _checkbox_paragraph(doc, f, values, style)
                continue
            doc.add_paragraph(_label(f, style) + colon)
            if f.type is FieldType.LONGTEXT:
                for line in _field_text(f, values).split("\n"):
                    if line:
                        doc.add_paragraph(line)
            else:
                p = doc.add_paragraph()
                _value_paragraph_content(p, f, values, style)
                _hint(doc, f, style)
        return
    if layout == "table":
        table = _table(doc, 0, 2)
        for f in fields:
            row = table.add_row()
            if f.type is FieldType.CHECKBOX:
                _add_box(row.cells[0].paragraphs[0], bool(values.get(f.key)), style.box)
                row.cells[1].paragraphs[0].add_run(_label(f, style))
            else:
                row.cells[0].paragraphs[0].add_run(_label(f, style) + colon)
                _value_paragraph_content(row.cells[1].paragraphs[0], f, values, style)
                _hint(row.cells[1], f, style)
        return
    # grid: three labels in a row, their values in the row under it; narratives and boxes after
    short = [f for f in others if f.type is not FieldType.LONGTEXT]
    for start in range(0, len(short), 3):
        chunk = short[start : start + 3]
        table = _table(doc, 2, 3)
        for i, f in enumerate(chunk):
            table.rows[0].cells[i].paragraphs[0].add_run(_label(f, style))
            _value_paragraph_content(table.rows[1].cells[i].paragraphs[0], f, values, style)
    for f in others:
        if f.type is FieldType.LONGTEXT:
            doc.add_paragraph(_label(f, style) + colon)
            for line in _field_text(f, values).split("\n"):
                if line:
                    doc.add_paragraph(line)
    for f in boxes:
        _checkbox_paragraph(doc, f, values, style)


def layout_docx(
    spec: FormSpec,
    values: Values,
    out: Path,
    style: DocStyle,
    *,
    letterhead: list[str] | None = None,
    title: str | None = None,
    marker: bool = True,
    sections: list[tuple[str, list[FieldSpec]]] | None = None,
    letterhead_on_every_page: bool = False,
) -> None:
    """The form typed into a Word document of its own, in the layouts of ``style``; the letterhead
    over the first page, or with ``letterhead_on_every_page`` in the page header, over every page."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(2)
    section = doc.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    section.left_margin = section.right_margin = Inches(0.8)
    if letterhead_on_every_page and letterhead:
        header = section.header.paragraphs[0]
        header.text = letterhead[0]
        for line in letterhead[1:]:
            section.header.add_paragraph(line)
    else:
        for line in letterhead or []:
            doc.add_paragraph(line)
    doc.add_paragraph(title or spec.title).runs[0].bold = True
    if title is None:
        doc.add_paragraph(PROGRAM)
        doc.add_paragraph(f"Version {spec.version}")
        doc.add_paragraph(INSTRUCTIONS)
    if marker:
        section.footer.paragraphs[0].text = spec.marker
    parts = sections or [(s.title, list(s.fields)) for s in spec.sections]
    for number, (heading, fields) in enumerate(parts):
        doc.add_paragraph(heading).runs[0].bold = True
        _write_section(doc, fields, values, style, style.layouts[number % len(style.layouts)])
    doc.core_properties.created = datetime(2025, 1, 1)
    doc.core_properties.modified = datetime(2025, 1, 1)
    doc.save(str(out))
    normalize_docx_zip(out)


def random_style(rng: random.Random, *, box_styles: tuple[tuple[str, str], ...] = BOX_STYLES) -> DocStyle:
    layouts = ["colon", "table", "grid", "under"]
    rng.shuffle(layouts)
    return DocStyle(
        layouts=layouts,
        box=rng.choice(box_styles),
        choice_boxes=rng.random() < 0.5,
        multi_list=rng.random() < 0.3,
        colon=rng.random() < 0.5,
    )


# Retyped forms: letterhead, own title, sections merged, fields in the agency's own order.
LETTERHEADS = (
    ["Lakeview Example Family Services", "1200 Example Avenue, Lansing, MI 48910", "Phone (517) 555-0190"],
    ["Northern Example Behavioral Health", "77 Sample Road, Traverse City, MI 49684", "Fax (231) 555-0102"],
    ["Riverside Example Community Services", "5 Demo Plaza, Kalamazoo, MI 49007"],
)
OWN_TITLES = {
    "PSP-ORP": ("Readiness plan for Parent Support Partner services", "PSP program: our agency's readiness plan"),
    "PSP-REG": ("New Parent Support Partner: registration", "Registration of a newly hired PSP"),
}
# Labels cut short or reworded the way agencies do ("ZIP" for "ZIP code").
REWORDED = {
    "PSP-ORP": {
        "agency_zip": "ZIP",
        "contact_email": "Contact e-mail address",
        "psp_positions_planned": "Number of PSP positions",
        "supervisor_phone": "Supervisor's phone",
    },
    "PSP-REG": {
        "psp_zip": "Home ZIP",
        "hire_date": "Date of hire",
        "hours_per_week": "Hours worked per week",
        "supervisor_phone": "Supervisor's phone",
    },
}


# Instructions an agency's own version prints under its fields (none of them the official form's).
OPTIONAL_HINTS = (
    "Leave blank if this does not apply to your agency",
    "Complete only when it applies; otherwise leave it empty",
    "If applicable, please provide this as well",
)
REQUIRED_HINTS = (
    "Required: this must be filled in before the form is sent",
    "Please write it as it appears on your agency's records",
)


def written_as_people_do(spec: FormSpec, values: Values, rng: random.Random) -> Values:
    """The values as people type them into their own documents, every one still read the same by a
    careful person: a unit after a number, a description after the CMHSP or the session, counties
    joined with "and" and ending in "Counties", a phone with dots, a date in words."""
    written = dict(values)
    for f in spec.fields:
        value = values.get(f.key)
        if not isinstance(value, str) or not value.strip():
            continue
        if f.type in (FieldType.INT, FieldType.DECIMAL):
            unit = {"hours_per_week": ["hours", "hrs/week", "hours a week"], "psp_positions_planned": ["positions"],
                    "fte_per_position": ["FTE"]}.get(f.key)
            if unit:
                written[f.key] = f"{value} {rng.choice(unit)}"
        elif f.type is FieldType.CMHSP:
            written[f.key] = rng.choice([f"{value} (CMHSP)", value])
        elif f.key == "training_session":
            written[f.key] = f"{value} (classroom)"
        elif f.type is FieldType.COUNTY_LIST:
            counties = [c.strip() for c in value.split(",") if c.strip()]
            if any(re.search(r"count(y|ies)$", c, re.IGNORECASE) or ";" in c for c in counties):
                continue  # written already with its own words
            if len(counties) > 1:
                written[f.key] = ", ".join(counties[:-1]) + f" and {counties[-1]} Counties"
            elif counties:
                written[f.key] = f"{counties[0]} County"
        elif f.type is FieldType.PHONE:
            digits = re.sub(r"\D", "", value)
            if len(digits) == 10:
                written[f.key] = f"{digits[:3]}.{digits[3:6]}.{digits[6:]}"
        elif f.type is FieldType.DATE:
            moment = _as_date(value)
            if moment is not None:
                written[f.key] = f"{moment:%B} {moment.day}, {moment.year}"
    return written


def _as_date(text: str) -> datetime | None:
    for shape in ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y"):
        try:
            return datetime.strptime(text.strip(), shape)
        except ValueError:
            continue
    return None


def agency_version_docx(spec: FormSpec, values: Values, out: Path, rng: random.Random) -> None:
    """An agency's own version of the form: retyped under its letterhead, instructions printed under
    some fields (empty optional ones among them), values written as people write them."""
    style = random_style(rng, box_styles=TEXT_BOX_STYLES)
    style.layouts = [rng.choice(["colon", "table", "under"]) for _ in range(len(spec.sections))]
    style.multi_list = False  # options written out would read "every option printed"
    for f in spec.fields:
        if f.type in (FieldType.CHECKBOX, FieldType.MULTICHOICE, FieldType.LONGTEXT) or rng.random() > 0.35:
            continue
        if not f.required:
            style.hints[f.key] = rng.choice(OPTIONAL_HINTS)
        elif values.get(f.key):
            style.hints[f.key] = rng.choice(REQUIRED_HINTS)
    layout_docx(spec, values, out, style, letterhead=rng.choice(LETTERHEADS), title=rng.choice(OWN_TITLES[spec.form_id]))


def retyped_docx(spec: FormSpec, values: Values, out: Path, rng: random.Random, *, marker: bool, reworded: bool) -> None:
    style = random_style(rng, box_styles=TEXT_BOX_STYLES)
    style.layouts = [rng.choice(["colon", "table"]) for _ in range(3)]
    style.colon = True
    if reworded:
        keys = list(REWORDED[spec.form_id])
        chosen = rng.sample(keys, k=rng.randint(1, 2))
        style.labels = {k: REWORDED[spec.form_id][k] for k in chosen}
    merged: list[tuple[str, list[FieldSpec]]] = []
    titles = ["Part A - About us", "Part B - Details", "Part C - Sign-off"]
    groups = [spec.sections[:2], spec.sections[2:4], spec.sections[4:]]
    for heading, group in zip(titles, groups, strict=True):
        fields = [f for s in group for f in s.fields]
        # the agency's own order within each part, signatures kept in pairs
        if rng.random() < 0.6:
            rng.shuffle(fields)
        merged.append((heading, fields))
    layout_docx(
        spec, values, out, style,
        letterhead=rng.choice(LETTERHEADS), title=rng.choice(OWN_TITLES[spec.form_id]), marker=marker, sections=merged,
    )


# -- Word legacy form fields ---------------------------------------------------------------------


def _legacy_field(kind: str, name: str, *, text: str = "", checked: bool = False, entries: list[str] | None = None,
                  chosen: int = 0) -> str:
    ns = nsdecls("w")
    if kind == "FORMCHECKBOX":
        data = f'<w:checkBox><w:sizeAuto/><w:default w:val="{1 if checked else 0}"/></w:checkBox>'
    elif kind == "FORMDROPDOWN":
        items = "".join(f'<w:listEntry w:val="{_xml(e)}"/>' for e in entries or [])
        data = f'<w:ddList><w:result w:val="{chosen}"/>{items}</w:ddList>'
    else:
        data = "<w:textInput/>"
    begin = (f'<w:r {ns}><w:fldChar w:fldCharType="begin"><w:ffData><w:name w:val="{_xml(name)}"/>'
             f'<w:enabled/><w:calcOnExit w:val="0"/>{data}</w:ffData></w:fldChar></w:r>')
    instruction = f'<w:r {ns}><w:instrText xml:space="preserve"> {kind} </w:instrText></w:r>'
    if kind != "FORMTEXT":
        return begin + instruction + f'<w:r {ns}><w:fldChar w:fldCharType="end"/></w:r>'
    shown = text if text else "\u2002" * 5  # Word's default result of an empty text field
    result = "".join(
        (f'<w:r {ns}><w:br/></w:r>' if i else "") + f'<w:r {ns}><w:t xml:space="preserve">{_xml(line)}</w:t></w:r>'
        for i, line in enumerate(shown.split("\n"))
    )
    return (begin + instruction + f'<w:r {ns}><w:fldChar w:fldCharType="separate"/></w:r>' + result
            + f'<w:r {ns}><w:fldChar w:fldCharType="end"/></w:r>')


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _append_xml(paragraph, xml: str) -> None:
    for element in etree.fromstring(f'<w:wrap {nsdecls("w")}>{xml}</w:wrap>'):
        paragraph._p.append(element)


def legacy_docx(spec: FormSpec, values: Values, out: Path, rng: random.Random) -> None:
    """An older agency template: the form's labels in a table, legacy form fields for the values."""
    by_key = rng.random() < 0.3  # some templates name their fields like the form's keys
    counters = {"Text": 0, "Check": 0, "Dropdown": 0}

    def name(prefix: str, key: str) -> str:
        if by_key:
            return key[:20]  # Word keeps 20 characters of a field's name
        counters[prefix] += 1
        return f"{prefix}{counters[prefix]}"

    doc = Document()
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_paragraph(PROGRAM)
    doc.add_paragraph(spec.title).runs[0].bold = True
    doc.sections[0].footer.paragraphs[0].text = spec.marker
    for section in spec.sections:
        doc.add_paragraph(section.title).runs[0].bold = True
        table = _table(doc, 0, 2)
        for f in section.fields:
            row = table.add_row()
            if f.type is FieldType.CHECKBOX:
                _append_xml(row.cells[0].paragraphs[0], _legacy_field("FORMCHECKBOX", name("Check", f.key), checked=bool(values.get(f.key))))
                row.cells[1].paragraphs[0].add_run(f.label)
                continue
            row.cells[0].paragraphs[0].add_run(f.label)
            cell = row.cells[1].paragraphs[0]
            if f.type is FieldType.MULTICHOICE:
                for i, (key, choice) in enumerate(zip(f.widget_keys, f.choices, strict=True)):
                    if i:
                        cell.add_run("   ")
                    _append_xml(cell, _legacy_field("FORMCHECKBOX", name("Check", key), checked=bool(values.get(key))))
                    cell.add_run(" " + choice)
            elif f.type is FieldType.CHOICE:
                entries = ["Select one", *f.choices]
                chosen = entries.index(values[f.key]) if values.get(f.key) in f.choices else 0
                _append_xml(cell, _legacy_field("FORMDROPDOWN", name("Dropdown", f.key), entries=entries, chosen=chosen))
            else:
                _append_xml(cell, _legacy_field("FORMTEXT", name("Text", f.key), text=_field_text(f, values)))
    doc.core_properties.created = datetime(2025, 1, 1)
    doc.core_properties.modified = datetime(2025, 1, 1)
    doc.save(str(out))
    normalize_docx_zip(out)


# -- emails -------------------------------------------------------------------------------------


def _sender(case: Case) -> str:
    values = case.values
    address = values.get("contact_email") or values.get("supervisor_email") or "office@example.org"
    name = values.get("contact_name") or values.get("supervisor_name") or "Agency Office"
    return formataddr((str(name), str(address)))


def write_eml(out: Path, sender: str, sent_at: datetime, attachments: list[tuple[str, bytes]]) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "PSP Coordinator <psp-coordinator@example.org>"
    message["Subject"] = "PSP forms"
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = make_msgid(domain="example.org", idstring=out.stem)
    message.set_content("Hello,\n\nPlease find our forms attached.\n\nThank you.\n")
    message.add_alternative("<p>Hello,</p><p>Please find our forms attached.</p><img src=\"cid:logo\">", subtype="html")
    logo = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
    )
    message.get_payload()[1].add_related(logo, maintype="image", subtype="png", cid="<logo>", filename="logo.png", disposition="inline")
    for name, data in attachments:
        if name.endswith(".pdf"):
            message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
        else:
            message.add_attachment(
                data, maintype="application", subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename=name
            )
    out.write_bytes(bytes(message))


# The program office forwarding an agency's email into the inbox (``PSP_COORDINATOR_EMAIL``'s default).
COORDINATOR = "PSP Coordinator <psp-coordinator@example.org>"


def forward_eml(out: Path, sender: str, sent_at: datetime, attachments: list[tuple[str, bytes]],
                forwarded_at: datetime, *, inline: bool) -> None:
    """The agency's email (``write_eml``) as the coordinator forwards it: quoted inline under
    Outlook's forwarded headers, its attachments carried along, or attached whole (message/rfc822)."""
    from email import message_from_bytes, policy

    original_path = out.with_suffix(".original.eml")
    write_eml(original_path, sender, sent_at, attachments)
    original = message_from_bytes(original_path.read_bytes(), policy=policy.default)
    original_path.unlink()
    forward = EmailMessage()
    forward["From"] = COORDINATOR
    forward["To"] = "psp-intake@example.org"
    forward["Subject"] = "FW: PSP forms"
    forward["Date"] = format_datetime(forwarded_at)
    forward["Message-ID"] = make_msgid(domain="example.org", idstring=f"fwd-{out.stem}")
    if inline:
        name, address = re.sub(r"\s*<.*", "", sender), re.sub(r".*<|>.*", "", sender)
        forward.set_content(
            "Forwarding for the file.\n\n________________________________\n"
            f"From: {name} [mailto:{address}]\nSent: {sent_at:%A, %B} {sent_at.day}, {sent_at:%Y %-I:%M %p}\n"
            f"To: {COORDINATOR}\nSubject: PSP forms\n\nHello,\n\nPlease find our forms attached.\n"
        )
        for part in original.iter_attachments():
            forward.add_attachment(part.get_content(), maintype=part.get_content_maintype(),
                                   subtype=part.get_content_subtype(), filename=part.get_filename())
    else:
        forward.set_content("The agency's email is attached.\n")
        forward.add_attachment(original)
    out.write_bytes(bytes(forward))


# -- the whole set -------------------------------------------------------------------------------

RENDITIONS = (
    "fillable_pdf", "word_form", "flattened_pdf", "word_saved_as_pdf", "word_resaved", "word_typed_over",
    "word_layouts", "word_layouts_pdf", "word_legacy", "retyped", "retyped_pdf", "retyped_reworded",
    "pdflib_flattened", "pymupdf_flattened", "pdftk_flattened", "printed_pdftocairo", "distilled_ghostscript",
    "pen_marked", "agency_version", "agency_version_pdf", "scanned_pdf", "email", "email_forwarded", "outlook_msg",
)  # fmt: skip

# Printed, signed by hand, then scanned, faxed or photographed (samples/scans.py): read by OCR.
PAPER_RENDITIONS = ("scan_300", "scan_200", "scan_150", "scan_turned", "fax_tiff", "photo")
SCAN_DPI = {"scan_300": 300, "scan_200": 200, "scan_150": 150, "scan_turned": 200}
BILEVEL_SHARE = {"scan_300": 0.3, "scan_200": 0.6, "scan_150": 0.0, "scan_turned": 0.0}  # how often the copier is in black-and-white mode
# The filled Word form saved by LibreOffice in other editors' formats: rendition -> LibreOffice's target.
EDITOR_RENDITIONS = {"word_97": "doc", "rtf": "rtf", "odt": "odt"}
ALL_RENDITIONS = (*RENDITIONS, *PAPER_RENDITIONS, *EDITOR_RENDITIONS)

# Renditions decided by a person whatever the case, and why.
TO_A_PERSON = {"scanned_pdf", "retyped_reworded"}


def form_cases() -> list[Case]:
    """The sample cases that are filled forms (not the cover letter, not the byte-for-byte resend)."""
    return [c for c in all_cases() if c.spec is not None and c.make is None]


def _expected(case: Case, rendition: str, file_name: str, values: Values | None = None,
              signed_by_hand: list[str] | None = None) -> dict:
    person = rendition in TO_A_PERSON
    paper = {}
    if rendition in PAPER_RENDITIONS:
        paper = {"outcome_alternatives": [] if case.outcome == "needs_review" else ["needs_review"],
                 "signed_by_hand": signed_by_hand or []}
    return {
        "file": file_name,
        "case": case.name,
        "rendition": rendition,
        "form_id": str(case.spec.form_id),
        "form_version": case.spec.version,
        "received_at": case.received_at,
        "outcome": "needs_review" if person else case.outcome,
        "case_outcome": case.outcome,
        "rules": case.rules,
        "values": None if rendition == "scanned_pdf" else (values if values is not None else case.values),
        **paper,
    }


def _stamp(path: Path, received_at: str) -> None:
    moment = datetime.fromisoformat(received_at).timestamp()
    os.utime(path, (moment, moment))


def _blank(case: Case, suffix: str) -> Path:
    return FORMS / f"{case.spec.form_id}_{case.spec.version}.{suffix}"


def _fax_header(case: Case, sent: datetime) -> str:
    """The line a fax machine prints atop each page: when it was sent, the sender and its number."""
    agency = str(case.values.get("cmhsp_name") or case.values.get("provider_agency_name") or "AGENCY")
    phone = next((v for k, v in case.values.items() if k.endswith("phone") and isinstance(v, str) and v), "")
    digits = "".join(ch for ch in phone if ch.isdigit())[:10]
    return f"{sent:%b-%d-%Y %H:%M}".upper() + f"  FROM-{agency[:22].upper()}  {digits}"


def paper_rendition(rendition: str, signed: Path, out_stem: Path, case: Case, rng: random.Random) -> Path:
    """The printed and signed form ``signed`` scanned, faxed or photographed as ``rendition`` says."""
    from samples import scans

    sent = datetime.fromisoformat(case.received_at) - timedelta(minutes=rng.randint(3, 40))
    if rendition in SCAN_DPI:
        path = out_stem.with_suffix(".pdf")
        scans.scan_pdf(signed, path, rng, dpi=SCAN_DPI[rendition], bilevel=rng.random() < BILEVEL_SHARE[rendition], made_at=sent,
                       turned=rendition == "scan_turned")
    elif rendition == "fax_tiff":
        scans.fax_tiff(signed, path := out_stem.with_suffix(".tif"), rng, header=_fax_header(case, sent))
    elif rendition == "photo":
        scans.photo_pdf(signed, path := out_stem.with_suffix(".pdf"), rng, made_at=sent)
    else:
        raise ValueError(f"{rendition} is not a paper rendition; choose from {', '.join(PAPER_RENDITIONS)}")
    return path


def generate(out: Path, renditions: Iterable[str] = ALL_RENDITIONS, cases: list[Case] | None = None, seed: int = 2025) -> list[Path]:
    """Write the renditions; returns the expectation files written."""
    renditions = list(renditions)
    unknown = set(renditions) - set(ALL_RENDITIONS)
    if unknown:
        raise ValueError(f"unknown renditions {sorted(unknown)}; choose from {', '.join(ALL_RENDITIONS)}")
    cases = cases if cases is not None else form_cases()
    out.mkdir(parents=True, exist_ok=True)
    work = out / "_work"
    work.mkdir(exist_ok=True)
    written: list[Path] = []
    # by LibreOffice's target format: (docx made, final file, case, rendition)
    conversions: dict[str, list[tuple[Path, Path, Case, str]]] = {t: [] for t in ("pdf", "docx", "doc", "rtf", "odt")}
    to_pdf, to_docx = conversions["pdf"], conversions["docx"]

    as_written: dict[str, Values] = {}  # what the agency-version renditions print, by case
    signed_by_hand: dict[str, list[str]] = {}  # the signatures signed in ink on the printed form, by case

    def finish(path: Path, case: Case, rendition: str) -> None:
        _stamp(path, case.received_at)
        expected = out / rendition / f"{case.name}.expected.json"
        values = as_written.get(case.name) if rendition.startswith("agency_version") else None
        data = _expected(case, rendition, path.name, values, signed_by_hand.get(case.name))
        expected.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", "utf-8")
        written.append(expected)

    filled_pdf: dict[str, Path] = {}
    filled_docx: dict[str, Path] = {}

    def fillable(case: Case) -> Path:
        if case.name not in filled_pdf:
            filled_pdf[case.name] = work / f"{case.name}.filled.pdf"
            fill_pdf(_blank(case, "pdf"), case.values, filled_pdf[case.name])
        return filled_pdf[case.name]

    def mupdf(case: Case) -> Path:
        filled = work / f"{case.name}.pymupdf.pdf"
        if not filled.exists():
            pymupdf_fill(_blank(case, "pdf"), case.values, filled)
        return filled

    def word(case: Case) -> Path:
        if case.name not in filled_docx:
            filled_docx[case.name] = work / f"{case.name}.filled.docx"
            fill_docx(_blank(case, "docx"), case.values, filled_docx[case.name])
        return filled_docx[case.name]

    def printed(case: Case) -> Path:
        """The form as printed and signed by hand, the same paper for every scan, fax and photo of it."""
        from samples.scans import printed_and_signed, signature_keys

        signed = work / f"{case.name}.signed.pdf"
        if not signed.exists():
            signed_by_hand[case.name] = printed_and_signed(_blank(case, "pdf"), case.values, signature_keys(case.spec),
                                                           signed, random.Random(f"{seed}-signed-{case.name}"))
        return signed

    for rendition in renditions:
        folder = out / rendition
        folder.mkdir(parents=True, exist_ok=True)
        rng = random.Random(f"{seed}-{rendition}")
        if rendition in ("email", "email_forwarded", "outlook_msg"):
            written.extend(_emails(folder, rendition, cases, fillable, word, rng))
            continue
        for number, case in enumerate(cases):
            case_rng = random.Random(f"{seed}-{rendition}-{case.name}")
            target = folder / case.name
            if rendition == "fillable_pdf":
                shutil.copyfile(fillable(case), path := target.with_suffix(".pdf"))
            elif rendition == "word_form":
                shutil.copyfile(word(case), path := target.with_suffix(".docx"))
            elif rendition == "flattened_pdf":
                qpdf_flatten(fillable(case), path := target.with_suffix(".pdf"))
            elif rendition == "pdflib_flattened":
                pdflib_fill(_blank(case, "pdf"), case.values, path := target.with_suffix(".pdf"), flatten=True,
                            own_appearances=case_rng.random() < 0.5)
            elif rendition == "pymupdf_flattened":
                pymupdf_fill(_blank(case, "pdf"), case.values, path := target.with_suffix(".pdf"), bake=True)
            elif rendition == "pdftk_flattened":
                pdftk_fill(_blank(case, "pdf"), case.values, path := target.with_suffix(".pdf"))
            elif rendition == "printed_pdftocairo":
                cairo_print(mupdf(case), path := target.with_suffix(".pdf"))
            elif rendition == "distilled_ghostscript":
                ghostscript_distill(mupdf(case), path := target.with_suffix(".pdf"))
            elif rendition == "pen_marked":
                pen_marks(_blank(case, "pdf"), case.values, path := target.with_suffix(".pdf"), case_rng.choice(PEN_STYLES))
            elif rendition in ("agency_version", "agency_version_pdf"):
                source = work / f"{case.name}.agency.docx"
                if not source.exists():
                    version_rng = random.Random(f"{seed}-agency-{case.name}")
                    as_written[case.name] = written_as_people_do(case.spec, case.values, version_rng)
                    agency_version_docx(case.spec, as_written[case.name], source, version_rng)
                if rendition == "agency_version_pdf":
                    to_pdf.append((source, target.with_suffix(".pdf"), case, rendition))
                    continue
                shutil.copyfile(source, path := target.with_suffix(".docx"))
            elif rendition == "scanned_pdf":
                from samples.scans import too_poor_pdf

                flat = work / f"{case.name}.flat.pdf"
                qpdf_flatten(fillable(case), flat)
                too_poor_pdf(flat, path := target.with_suffix(".pdf"), case_rng)
            elif rendition == "word_typed_over":
                typed_over(word(case), path := target.with_suffix(".docx"), case_rng)
            elif rendition == "word_legacy":
                legacy_docx(case.spec, case.values, path := target.with_suffix(".docx"), case_rng)
            elif rendition in ("word_layouts", "word_layouts_pdf"):
                source = work / f"{case.name}.layouts.docx"
                if not source.exists():
                    layout_docx(case.spec, case.values, source, random_style(random.Random(f"{seed}-layouts-{case.name}")))
                if rendition == "word_layouts":
                    shutil.copyfile(source, path := target.with_suffix(".docx"))
                else:
                    to_pdf.append((source, target.with_suffix(".pdf"), case, rendition))
                    continue
            elif rendition in ("retyped", "retyped_pdf", "retyped_reworded"):
                reworded = rendition == "retyped_reworded"
                source = work / f"{case.name}.{'reworded' if reworded else 'retyped'}.docx"
                if not source.exists():
                    retyped_docx(case.spec, case.values, source, random.Random(f"{seed}-retyped-{reworded}-{case.name}"),
                                 marker=number % 2 == 0, reworded=reworded)
                if rendition == "retyped_pdf":
                    to_pdf.append((source, target.with_suffix(".pdf"), case, rendition))
                    continue
                shutil.copyfile(source, path := target.with_suffix(".docx"))
            elif rendition in PAPER_RENDITIONS:
                path = paper_rendition(rendition, printed(case), target, case, case_rng)
            elif rendition in EDITOR_RENDITIONS:
                target_format = EDITOR_RENDITIONS[rendition]
                conversions[target_format].append((word(case), target.with_suffix(f".{target_format}"), case, rendition))
                continue
            elif rendition == "word_saved_as_pdf":
                to_pdf.append((word(case), target.with_suffix(".pdf"), case, rendition))
                continue
            elif rendition == "word_resaved":
                to_docx.append((word(case), target.with_suffix(".docx"), case, rendition))
                continue
            else:  # pragma: no cover - RENDITIONS lists every branch
                raise AssertionError(rendition)
            finish(path, case, rendition)

    for target_format, pending in conversions.items():
        if not pending:
            continue
        staging = work / f"convert-{target_format}"
        inputs = work / f"inputs-{target_format}"
        for folder in (staging, inputs):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
        sources = []
        for number, (source, _, _, _) in enumerate(pending):
            unique = inputs / f"{number:04d}.docx"
            shutil.copyfile(source, unique)
            sources.append(unique)
        soffice_convert(sources, target_format, staging)
        for number, (_, final, case, rendition) in enumerate(pending):
            shutil.move(staging / f"{number:04d}.{target_format}", final)
            finish(final, case, rendition)
    shutil.rmtree(work, ignore_errors=True)
    return written


def _emails(folder: Path, rendition: str, cases: list[Case], fillable: Callable[[Case], Path],
            word: Callable[[Case], Path], rng: random.Random) -> list[Path]:
    """Emails of two attachments (cases received the same day, in pairs), the Date the earlier's."""
    written = []
    pending = list(cases)
    number = 0
    while pending:
        first = pending.pop(0)
        pair = [first]
        if pending and pending[0].received_at[:10] == first.received_at[:10] and (rendition in ("email", "email_forwarded") or rng.random() < 0.5):
            pair.append(pending.pop(0))
        number += 1
        sent_at = datetime.fromisoformat(first.received_at)
        attachments = []
        for i, case in enumerate(pair):
            source = fillable(case) if i == 0 else word(case)
            attachments.append((f"{case.name}{source.suffixes[-1]}", source.read_bytes()))
        stem = f"mail-{number:02d}"
        arrived = first.received_at
        if rendition == "email":
            path = folder / f"{stem}.eml"
            write_eml(path, _sender(first), sent_at, attachments)
        elif rendition == "email_forwarded":
            path = folder / f"{stem}.eml"
            forwarded_at = sent_at + timedelta(days=1)
            forward_eml(path, _sender(first), sent_at, attachments, forwarded_at, inline=number % 2 == 0)
            arrived = (forwarded_at + timedelta(minutes=5)).isoformat()
        else:
            path = folder / f"{stem}.msg"
            write_msg(path, sender=_sender(first), sent_at=sent_at, subject="PSP forms",
                      body="Please find our forms attached.", attachments=attachments)
        _stamp(path, arrived)
        expected = {
            "file": path.name,
            "rendition": rendition,
            "received_at": first.received_at,
            "sender": re.sub(r".*<|>.*", "", _sender(first)),
            "attachments": [
                {**_expected(case, rendition, f"{path.name}/{name}"), "received_at": first.received_at}
                for case, (name, _) in zip(pair, attachments, strict=True)
            ],
        }
        expectation = folder / f"{stem}.expected.json"
        expectation.write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n", "utf-8")
        written.append(expectation)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rendition", action="append", choices=ALL_RENDITIONS, help="only these (repeatable)")
    parser.add_argument("--case", action="append", help="only these sample cases (repeatable)")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    cases = form_cases()
    if args.case:
        cases = [c for c in cases if c.name in set(args.case)]
    written = generate(args.out, args.rendition or ALL_RENDITIONS, cases, args.seed)
    print(f"wrote {len(written)} renditions under {args.out}")


if __name__ == "__main__":
    main()
