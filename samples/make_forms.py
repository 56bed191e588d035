"""Write the four official blank forms of the Michigan PSP program into ``samples/forms``.

    python samples/make_forms.py        (from the repository root)

For each form specification in ``schemas/forms`` (PSP-ORP and PSP-REG) it writes

* ``<FORM-ID>_<version>.pdf``  - a fillable PDF (AcroForm, drawn with reportlab), and
* ``<FORM-ID>_<version>.docx`` - a Word form whose fields are content controls (python-docx + lxml).

Everything (sections, labels, widget names, widget kinds, choices) comes from the specification;
nothing about the fields is written here. The output is deterministic: fixed creation dates and
document IDs, fixed ZIP entry timestamps, so running the script again rewrites identical files.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402
from docx.enum.style import WD_STYLE_TYPE  # noqa: E402
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT  # noqa: E402
from docx.enum.text import WD_TAB_ALIGNMENT  # noqa: E402
from docx.opc.constants import RELATIONSHIP_TYPE as RT  # noqa: E402
from docx.oxml import parse_xml  # noqa: E402
from docx.oxml.ns import nsdecls, qn  # noqa: E402
from docx.shared import Inches, Pt, RGBColor, Twips  # noqa: E402
from reportlab.lib.colors import Color, black  # noqa: E402
from reportlab.lib.pagesizes import letter  # noqa: E402
from reportlab.lib.utils import simpleSplit  # noqa: E402
from reportlab.pdfbase.acroform import fieldFlagValues  # noqa: E402
from reportlab.pdfbase.pdfdoc import PDFArray, PDFName, PDFString  # noqa: E402
from reportlab.pdfbase.pdfmetrics import stringWidth  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from samples.fill import normalize_docx_zip  # noqa: E402
from schemas.spec import FieldSpec, FieldType, FormSpec, all_form_specs  # noqa: E402

FORMS_DIR = ROOT / "samples" / "forms"

PROGRAM = "Michigan Parent Support Partner (PSP) Program"
INSTRUCTIONS = (
    "Fill in this form on your computer: type in the boxes, choose from the drop-down lists and "
    "check every box that applies. Enter dates as MM/DD/YYYY. Save the completed form without "
    "renaming its fields or changing its layout, and email the saved file as an attachment to the "
    "statewide PSP coordinator. Please do not print and scan the form."
)
DATE_HINT = "MM/DD/YYYY"
FIXED_DATE = dt.datetime(2025, 1, 1, 0, 0, 0, tzinfo=dt.UTC)

# Placeholders Word itself shows in empty content controls.
PH_TEXT = "Click or tap here to enter text."
PH_CHOICE = "Choose an item."
PH_DATE = "Click or tap to enter a date."
CHECKED_GLYPH, UNCHECKED_GLYPH = "\u2612", "\u2610"
CHECKBOX_FONT = "MS Gothic"

# ----------------------------------------------------------------------------------------------
# PDF
# ----------------------------------------------------------------------------------------------

PAGE_W, PAGE_H = letter  # 612 x 792 pt, US Letter
MARGIN_X = 54.0  # 0.75 in
TOP = PAGE_H - 50.0
CONTENT_BOTTOM = 66.0  # below this only the footer
CONTENT_W = PAGE_W - 2 * MARGIN_X
LABEL_W = 190.0
GAP = 12.0
BOX_X = MARGIN_X + LABEL_W + GAP
BOX_W = PAGE_W - MARGIN_X - BOX_X

NAVY = Color(0.122, 0.22, 0.392)
GREY_TEXT = Color(0.35, 0.35, 0.35)
BOX_FILL = Color(0.945, 0.957, 0.98)
BOX_STROKE = Color(0.42, 0.45, 0.5)
SECTION_FILL = Color(0.851, 0.886, 0.953)

LABEL_FONT, LABEL_SIZE, LABEL_LEADING = "Helvetica", 9.5, 11.5
VALUE_FONT_SIZE = 10
BOX_H = 18.0
SIGNATURE_H = 24.0
LONGTEXT_H = 84.0
CHECK_SIZE = 11.0
ROW_GAP = 7.0

# Width of the value box by field type (None = the whole value column).
BOX_WIDTHS: dict[FieldType, float | None] = {
    FieldType.PHONE: 150.0,
    FieldType.ZIP: 90.0,
    FieldType.INT: 70.0,
    FieldType.DECIMAL: 70.0,
    FieldType.DATE: 100.0,
}


@dataclass
class Block:
    """A horizontal band of the page: ``draw(canvas, y_top)`` paints it below ``y_top``."""

    height: float
    draw: Callable[[Canvas, float], None]
    keep_with_next: bool = False


def _wrap(text: str, width: float, font: str = LABEL_FONT, size: float = LABEL_SIZE) -> list[str]:
    return simpleSplit(text, font, size, width) or [""]


def _draw_lines(c: Canvas, lines: list[str], x: float, y_top: float, *, font=LABEL_FONT,
                size=LABEL_SIZE, leading=LABEL_LEADING, color=black) -> None:
    c.setFont(font, size)
    c.setFillColor(color)
    y = y_top - size  # first baseline
    for line in lines:
        c.drawString(x, y, line)
        y -= leading


def _box(c: Canvas, x: float, y: float, w: float, h: float) -> None:
    c.saveState()
    c.setLineWidth(0.75)
    c.setStrokeColor(BOX_STROKE)
    c.setFillColor(BOX_FILL)
    c.rect(x, y, w, h, stroke=1, fill=1)
    c.restoreState()


def _field_style() -> dict:
    """Widget styling: transparent, borderless widgets over boxes drawn on the page itself, so a
    printed blank form shows the boxes whatever the viewer does with form fields."""
    return dict(fillColor=None, borderColor=None, borderWidth=0, textColor=black, borderStyle="solid")


def _text_widget(c: Canvas, f: FieldSpec, name: str, x: float, y: float, w: float, h: float,
                 *, multiline: bool = False) -> None:
    _box(c, x, y, w, h)
    tooltip = f.label + (f" ({DATE_HINT})" if f.type is FieldType.DATE else "")
    flags = []
    if multiline:
        flags.append("multiline")
    if f.required:
        flags.append("required")
    c.acroForm.textfield(
        name=name, tooltip=tooltip, x=x, y=y, width=w, height=h, value="",
        fieldFlags=" ".join(flags), maxlen=None, fontName="Helvetica",
        # Multi-line boxes use automatic size (0) so viewers and pypdf wrap long text.
        fontSize=0 if multiline else VALUE_FONT_SIZE, **_field_style(),
    )


def _combo_widget(c: Canvas, f: FieldSpec, x: float, y: float, w: float, h: float) -> None:
    """A drop-down (combo box) whose options are the choice texts and whose value is empty.

    reportlab cannot make a choice field without a selected value, so this draws an empty text
    field and turns its dictionary into a combo box (same empty appearance stream).
    """
    _box(c, x, y, w, h)
    # the drop-down arrow, printed on the page
    c.saveState()
    c.setFillColor(BOX_STROKE)
    ax, ay = x + w - 11, y + h / 2
    p = c.beginPath()
    p.moveTo(ax - 3.5, ay + 2)
    p.lineTo(ax + 3.5, ay + 2)
    p.lineTo(ax, ay - 2.5)
    p.close()
    c.drawPath(p, stroke=0, fill=1)
    c.restoreState()
    c.acroForm.textfield(
        name=f.key, tooltip=f.label, x=x, y=y, width=w, height=h, value="",
        fieldFlags="required" if f.required else "", maxlen=None, fontName="Helvetica",
        fontSize=VALUE_FONT_SIZE, **_field_style(),
    )
    ref = c.acroForm.fields[-1]
    d = c._doc.idToObject[ref.name].dict
    d["FT"] = PDFName("Ch")
    d["Ff"] = int(d.get("Ff", 0)) | fieldFlagValues["combo"]
    d["Opt"] = PDFArray([PDFString(choice) for choice in f.choices])


def _checkbox_widget(c: Canvas, name: str, tooltip: str, x: float, y: float, required: bool) -> None:
    # the square on the page too, for viewers that print without form widgets
    c.saveState()
    c.setLineWidth(0.75)
    c.setStrokeColor(BOX_STROKE)
    c.setFillColor(Color(1, 1, 1))
    c.rect(x + 0.375, y + 0.375, CHECK_SIZE - 0.75, CHECK_SIZE - 0.75, stroke=1, fill=1)
    c.restoreState()
    c.acroForm.checkbox(
        name=name, tooltip=tooltip, x=x, y=y, size=CHECK_SIZE, checked=False, buttonStyle="check",
        borderColor=BOX_STROKE, fillColor=Color(1, 1, 1), textColor=black, borderWidth=0.75,
        fieldFlags="required" if required else "", annotationFlags="print",
    )


def _label_block(f: FieldSpec, lines: list[str], box_h: float,
                 draw_box: Callable[[Canvas, float], None]) -> Block:
    label_h = len(lines) * LABEL_LEADING
    height = max(label_h, box_h) + ROW_GAP

    def draw(c: Canvas, y_top: float) -> None:
        # centre a one-line label on the box, otherwise align tops
        label_top = y_top - max(0.0, (box_h - label_h) / 2) if label_h < box_h else y_top
        _draw_lines(c, lines, MARGIN_X, label_top + 1)
        draw_box(c, y_top)

    return Block(height, draw)


def _field_blocks(f: FieldSpec) -> list[Block]:
    if f.type is FieldType.CHECKBOX:
        text_x = MARGIN_X + CHECK_SIZE + 7
        lines = _wrap(f.label, PAGE_W - MARGIN_X - text_x)
        height = max(len(lines) * LABEL_LEADING, CHECK_SIZE) + ROW_GAP

        def draw(c: Canvas, y_top: float) -> None:
            _checkbox_widget(c, f.key, f.label, MARGIN_X, y_top - CHECK_SIZE, f.required)
            _draw_lines(c, lines, text_x, y_top)

        return [Block(height, draw)]

    if f.type is FieldType.MULTICHOICE:
        lines = _wrap(f.label, LABEL_W)

        def draw_multi(c: Canvas, y_top: float) -> None:
            x = BOX_X
            for key, choice in zip(f.widget_keys, f.choices, strict=True):
                _checkbox_widget(c, key, f"{f.label}: {choice}", x, y_top - (BOX_H + CHECK_SIZE) / 2, False)
                _draw_lines(c, [choice], x + CHECK_SIZE + 5, y_top - (BOX_H - LABEL_SIZE) / 2 + 0.5)
                x += CHECK_SIZE + 5 + stringWidth(choice, LABEL_FONT, LABEL_SIZE) + 28

        return [_label_block(f, lines, BOX_H, draw_multi)]

    if f.type is FieldType.LONGTEXT:
        lines = _wrap(f.label, CONTENT_W)
        label_h = len(lines) * LABEL_LEADING + 3

        def draw_long(c: Canvas, y_top: float) -> None:
            _draw_lines(c, lines, MARGIN_X, y_top)
            _text_widget(c, f, f.key, MARGIN_X, y_top - label_h - LONGTEXT_H, CONTENT_W, LONGTEXT_H,
                         multiline=True)

        return [Block(label_h + LONGTEXT_H + ROW_GAP + 2, draw_long)]

    lines = _wrap(f.label, LABEL_W)
    if f.type is FieldType.CHOICE:
        widest = max(stringWidth(ch, "Helvetica", VALUE_FONT_SIZE) for ch in f.choices)
        w = min(BOX_W, max(90.0, widest + 30))

        def draw_choice(c: Canvas, y_top: float) -> None:
            _combo_widget(c, f, BOX_X, y_top - BOX_H, w, BOX_H)

        return [_label_block(f, lines, BOX_H, draw_choice)]

    h = SIGNATURE_H if f.type is FieldType.SIGNATURE else BOX_H
    w = BOX_WIDTHS.get(f.type) or BOX_W

    def draw_text(c: Canvas, y_top: float) -> None:
        _text_widget(c, f, f.key, BOX_X, y_top - h, w, h)
        if f.type is FieldType.DATE:
            c.setFont("Helvetica-Oblique", 8.5)
            c.setFillColor(GREY_TEXT)
            c.drawString(BOX_X + w + 6, y_top - h / 2 - 3, DATE_HINT)

    return [_label_block(f, lines, h, draw_text)]


def _section_heading(title: str) -> Block:
    bar_h = 18.0

    def draw(c: Canvas, y_top: float) -> None:
        y = y_top - 6 - bar_h
        c.saveState()
        c.setFillColor(SECTION_FILL)
        c.setStrokeColor(SECTION_FILL)
        c.rect(MARGIN_X, y, CONTENT_W, bar_h, stroke=0, fill=1)
        c.setFillColor(NAVY)
        c.setFont("Helvetica-Bold", 11)
        c.drawString(MARGIN_X + 6, y + 5.2, title)
        c.restoreState()

    return Block(bar_h + 6 + 9, draw, keep_with_next=True)


def _title_block(spec: FormSpec) -> Block:
    instr = _wrap(INSTRUCTIONS, CONTENT_W, "Helvetica", 9.5)
    height = 14 + 24 + 16 + 10 + len(instr) * 12 + 6

    def draw(c: Canvas, y_top: float) -> None:
        c.setFillColor(NAVY)
        c.setFont("Helvetica-Bold", 11)
        c.drawString(MARGIN_X, y_top - 11, PROGRAM)
        c.setFont("Helvetica-Bold", 18)
        c.drawString(MARGIN_X, y_top - 14 - 19, spec.title)
        c.setFillColor(GREY_TEXT)
        c.setFont("Helvetica", 10)
        c.drawString(MARGIN_X, y_top - 14 - 24 - 10, f"Version {spec.version}")
        y_rule = y_top - 14 - 24 - 16
        c.setStrokeColor(NAVY)
        c.setLineWidth(1.2)
        c.line(MARGIN_X, y_rule, PAGE_W - MARGIN_X, y_rule)
        _draw_lines(c, instr, MARGIN_X, y_rule - 8, font="Helvetica", size=9.5, leading=12)

    return Block(height, draw)


def _paginate(blocks: list[Block], first_top: float, top: float) -> list[list[tuple[Block, float]]]:
    pages: list[list[tuple[Block, float]]] = [[]]
    y = first_top
    i = 0
    while i < len(blocks):
        b = blocks[i]
        need = b.height
        if b.keep_with_next and i + 1 < len(blocks):
            need += blocks[i + 1].height
        if y - need < CONTENT_BOTTOM and pages[-1]:
            pages.append([])
            y = top
        pages[-1].append((b, y))
        y -= b.height
        i += 1
    return pages


def _footer(c: Canvas, spec: FormSpec, page: int, pages: int) -> None:
    c.saveState()
    c.setStrokeColor(BOX_STROKE)
    c.setLineWidth(0.5)
    c.line(MARGIN_X, 50, PAGE_W - MARGIN_X, 50)
    c.setFillColor(GREY_TEXT)
    c.setFont("Helvetica", 8.5)
    c.drawString(MARGIN_X, 38, spec.marker)
    c.drawRightString(PAGE_W - MARGIN_X, 38, f"Page {page} of {pages}")
    c.restoreState()


def _running_header(c: Canvas, spec: FormSpec) -> None:
    c.saveState()
    c.setFillColor(GREY_TEXT)
    c.setFont("Helvetica", 8.5)
    c.drawString(MARGIN_X, PAGE_H - 36, f"{PROGRAM} \u2013 {spec.title}")
    c.restoreState()


def build_pdf(spec: FormSpec, out: Path) -> None:
    blocks: list[Block] = [_title_block(spec)]
    for section in spec.sections:
        blocks.append(_section_heading(section.title))
        for f in section.fields:
            blocks.extend(_field_blocks(f))
    pages = _paginate(blocks, TOP, PAGE_H - 50)

    out.parent.mkdir(parents=True, exist_ok=True)
    c = Canvas(str(out), pagesize=letter, invariant=1, pageCompression=1)
    c.setTitle(f"{spec.title} (Form {spec.form_id}, version {spec.version})")
    c.setAuthor(PROGRAM)
    c.setSubject(spec.marker)
    c.setKeywords([str(spec.form_id), spec.version])
    c.setCreator("samples/make_forms.py")
    for n, page in enumerate(pages, start=1):
        if n > 1:
            _running_header(c, spec)
        for block, y_top in page:
            block.draw(c, y_top)
        _footer(c, spec, n, len(pages))
        c.showPage()
    c.save()


# ----------------------------------------------------------------------------------------------
# Word
# ----------------------------------------------------------------------------------------------

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
LABEL_COL = Inches(2.45)
CONTROL_COL = Inches(4.55)
TABLE_BORDER = "A6A6A6"
SECTION_SHADE = "D9E2F3"
NAVY_HEX = "1F3864"


class _Ids:
    def __init__(self) -> None:
        self.n = 1000

    def __call__(self) -> int:
        self.n += 1
        return self.n


def _rpr_xml(*, placeholder: bool = False, checkbox: bool = False) -> str:
    if checkbox:
        return (f'<w:rPr><w:rFonts w:ascii="{CHECKBOX_FONT}" w:eastAsia="{CHECKBOX_FONT}" '
                f'w:hAnsi="{CHECKBOX_FONT}" w:hint="eastAsia"/></w:rPr>')
    if placeholder:
        return '<w:rPr><w:rStyle w:val="PlaceholderText"/><w:color w:val="808080"/></w:rPr>'
    return ""


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def sdt_xml(f: FieldSpec, key: str, alias: str, sdt_id: int) -> str:
    """An inline (run-level) content control for one widget key."""
    head = (f'<w:alias w:val="{_esc(alias)}"/><w:tag w:val="{_esc(key)}"/>'
            f'<w:id w:val="{sdt_id}"/><w:lock w:val="sdtLocked"/>')
    if f.type in (FieldType.CHECKBOX, FieldType.MULTICHOICE):
        pr = (f'<w:rPr><w:rFonts w:ascii="{CHECKBOX_FONT}" w:eastAsia="{CHECKBOX_FONT}" '
              f'w:hAnsi="{CHECKBOX_FONT}"/></w:rPr>' + head +
              '<w14:checkbox><w14:checked w14:val="0"/>'
              f'<w14:checkedState w14:val="2612" w14:font="{CHECKBOX_FONT}"/>'
              f'<w14:uncheckedState w14:val="2610" w14:font="{CHECKBOX_FONT}"/></w14:checkbox>')
        content = f'<w:r>{_rpr_xml(checkbox=True)}<w:t>{UNCHECKED_GLYPH}</w:t></w:r>'
    elif f.type is FieldType.CHOICE:
        items = "".join(f'<w:listItem w:displayText="{_esc(ch)}" w:value="{_esc(ch)}"/>' for ch in f.choices)
        pr = head + f'<w:showingPlcHdr/><w:dropDownList>{items}</w:dropDownList>'
        content = f'<w:r>{_rpr_xml(placeholder=True)}<w:t>{PH_CHOICE}</w:t></w:r>'
    elif f.type is FieldType.DATE:
        pr = head + ('<w:showingPlcHdr/><w:date><w:dateFormat w:val="MM/dd/yyyy"/><w:lid w:val="en-US"/>'
                     '<w:storeMappedDataAs w:val="dateTime"/><w:calendar w:val="gregorian"/></w:date>')
        content = f'<w:r>{_rpr_xml(placeholder=True)}<w:t>{PH_DATE}</w:t></w:r>'
    else:
        multi = ' w:multiLine="1"' if f.type is FieldType.LONGTEXT else ""
        pr = head + f"<w:showingPlcHdr/><w:text{multi}/>"
        content = f'<w:r>{_rpr_xml(placeholder=True)}<w:t>{PH_TEXT}</w:t></w:r>'
    return (f'<w:sdt {nsdecls("w")} xmlns:w14="{W14}"><w:sdtPr>{pr}</w:sdtPr>'
            f'<w:sdtContent>{content}</w:sdtContent></w:sdt>')


# Schema (CT_*) child orders, so that elements python-docx has no API for go where Word wants them.
PPR_ORDER = (
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
    "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
    "sectPr", "pPrChange",
)
TBLPR_ORDER = (
    "tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize",
    "tblW", "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar",
    "tblLook", "tblCaption", "tblDescription", "tblPrChange",
)


def _insert_ordered(parent, el, order: tuple[str, ...]) -> None:
    """Put ``el`` into ``parent`` at its schema position, replacing an element of the same name."""
    name = el.tag.rsplit("}", 1)[-1]
    rank = order.index(name)
    for old in parent.findall(el.tag):
        parent.remove(old)
    for child in parent:
        cname = child.tag.rsplit("}", 1)[-1] if isinstance(child.tag, str) else ""
        if cname in order and order.index(cname) > rank:
            child.addprevious(el)
            return
    parent.append(el)


def _shade(el_pr, fill: str) -> None:
    shd = parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>')
    _insert_ordered(el_pr, shd, PPR_ORDER)


def _border(p_pr, side: str, size: int, color: str) -> None:
    _insert_ordered(p_pr, parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:{side} w:val="single" w:sz="{size}" w:space="4" w:color="{color}"/></w:pBdr>'),
        PPR_ORDER)


def _table_borders(table) -> None:
    tblPr = table._tbl.tblPr
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="{TABLE_BORDER}"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    _insert_ordered(tblPr, parse_xml(f'<w:tblBorders {nsdecls("w")}>{borders}</w:tblBorders>'), TBLPR_ORDER)
    _insert_ordered(tblPr, parse_xml(
        f'<w:tblCellMar {nsdecls("w")}><w:top w:w="50" w:type="dxa"/><w:left w:w="100" w:type="dxa"/>'
        f'<w:bottom w:w="50" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar>'), TBLPR_ORDER)


def _field_rows(table, f: FieldSpec, ids: _Ids) -> None:
    row = table.add_row()
    row.cells[0].width, row.cells[1].width = LABEL_COL, CONTROL_COL
    # keep each row on one page
    row._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {nsdecls("w")}/>'))
    if f.type is FieldType.CHECKBOX:
        cell = row.cells[0].merge(row.cells[1])
        p = cell.paragraphs[0]
        p.paragraph_format.left_indent = Pt(18)
        p.paragraph_format.first_line_indent = Pt(-18)
        p._p.append(parse_xml(sdt_xml(f, f.key, f.label, ids())))
        p.add_run("\t" + f.label)
        p.paragraph_format.tab_stops.add_tab_stop(Pt(18))
        return
    lp = row.cells[0].paragraphs[0]
    lp.add_run(f.label)
    cp = row.cells[1].paragraphs[0]
    if f.type is FieldType.MULTICHOICE:
        for i, (key, choice) in enumerate(zip(f.widget_keys, f.choices, strict=True)):
            if i:
                cp.add_run("\u2003\u2003")
            cp._p.append(parse_xml(sdt_xml(f, key, f"{f.label}: {choice}", ids())))
            cp.add_run(f" {choice}")
        return
    cp._p.append(parse_xml(sdt_xml(f, f.key, f.label, ids())))
    if f.type is FieldType.LONGTEXT:
        row.height = Inches(1.1)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    elif f.type is FieldType.SIGNATURE:
        row.height = Inches(0.42)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def _setup_styles(doc) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = "Arial"
    normal.font.size = Pt(10)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    rfonts.set(qn("w:eastAsia"), "Arial")
    rfonts.set(qn("w:cs"), "Arial")
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.line_spacing = 1.0

    ph = styles.add_style("Placeholder Text", WD_STYLE_TYPE.CHARACTER)
    ph.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
    ph.hidden = True
    ph.unhide_when_used = True
    ph.priority = 99

    h = styles["Heading 2"]
    h.font.name = "Arial"
    h.font.size = Pt(11)
    h.font.bold = True
    h.font.italic = False
    h.font.color.rgb = RGBColor.from_string(NAVY_HEX)
    hr = h.element.get_or_add_rPr().find(qn("w:rFonts"))
    for att in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if hr.get(qn(att)) is not None:
            del hr.attrib[qn(att)]
    hr.set(qn("w:eastAsia"), "Arial")
    hr.set(qn("w:cs"), "Arial")
    h.paragraph_format.space_before = Pt(12)
    h.paragraph_format.space_after = Pt(4)
    h.paragraph_format.keep_with_next = True
    _shade(h.element.get_or_add_pPr(), SECTION_SHADE)

    title = styles["Title"]
    title.font.name = "Arial"
    title.font.size = Pt(18)
    title.font.bold = True
    title.font.color.rgb = RGBColor.from_string(NAVY_HEX)
    tpr = title.element.get_or_add_pPr()
    for el in tpr.findall(qn("w:pBdr")):
        tpr.remove(el)
    tr = title.element.get_or_add_rPr().find(qn("w:rFonts"))
    for att in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if tr is not None and tr.get(qn(att)) is not None:
            del tr.attrib[qn(att)]
    for tag in ("w:spacing", "w:kern"):
        for el in title.element.get_or_add_rPr().findall(qn(tag)):
            title.element.get_or_add_rPr().remove(el)
    title.paragraph_format.space_after = Pt(2)


def build_docx(spec: FormSpec, out: Path) -> None:
    doc = Document()
    _setup_styles(doc)

    # the thumbnail of python-docx's template is not a picture of this form
    pkg = doc.part.package
    for r_id, rel in list(pkg.rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del pkg.rels[r_id]

    cp = doc.core_properties
    cp.title = f"{spec.title} (Form {spec.form_id}, version {spec.version})"
    cp.subject = spec.marker
    cp.author = PROGRAM
    cp.last_modified_by = PROGRAM
    cp.keywords = f"{spec.form_id}; {spec.version}"
    cp.comments = "Official blank form. Fill in the content controls, save and email the file."
    cp.category = "Form"
    cp.created = FIXED_DATE.replace(tzinfo=None)
    cp.modified = FIXED_DATE.replace(tzinfo=None)
    cp.revision = 1

    sec = doc.sections[0]
    sec.page_width, sec.page_height = Inches(8.5), Inches(11)
    sec.left_margin = sec.right_margin = Inches(0.75)
    sec.top_margin, sec.bottom_margin = Inches(0.7), Inches(0.75)
    sec.header_distance, sec.footer_distance = Inches(0.4), Inches(0.4)

    # footer: the marker line and "Page N of M" on every page of the section
    footer = sec.footer
    footer.is_linked_to_previous = False
    fp = footer.paragraphs[0]
    tabs = fp.paragraph_format.tab_stops
    for pos in (4680, 9360):  # the Footer style's centre and right tabs
        tabs.add_tab_stop(Twips(pos), WD_TAB_ALIGNMENT.CLEAR)
    tabs.add_tab_stop(Inches(7.0), WD_TAB_ALIGNMENT.RIGHT)
    _border(fp._p.get_or_add_pPr(), "top", 4, TABLE_BORDER)
    rpr = '<w:rPr><w:color w:val="595959"/><w:sz w:val="17"/><w:szCs w:val="17"/></w:rPr>'

    def frun(inner: str) -> None:
        fp._p.append(parse_xml(f'<w:r {nsdecls("w")}>{rpr}{inner}</w:r>'))

    frun(f"<w:t>{_esc(spec.marker)}</w:t>")
    frun('<w:tab/><w:t xml:space="preserve">Page </w:t>')
    for instr, after in (("PAGE", " of "), ("NUMPAGES", None)):
        frun('<w:fldChar w:fldCharType="begin"/>')
        frun(f'<w:instrText xml:space="preserve"> {instr} </w:instrText>')
        frun('<w:fldChar w:fldCharType="separate"/>')
        frun("<w:t>1</w:t>")
        frun('<w:fldChar w:fldCharType="end"/>')
        if after:
            frun(f'<w:t xml:space="preserve">{after}</w:t>')

    # title block
    p = doc.add_paragraph()
    run = p.add_run(PROGRAM)
    run.bold = True
    run.font.size = Pt(11)
    run.font.color.rgb = RGBColor.from_string(NAVY_HEX)
    doc.add_paragraph(spec.title, style="Title")
    p = doc.add_paragraph()
    run = p.add_run(f"Version {spec.version}")
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    p.paragraph_format.space_after = Pt(6)
    _border(p._p.get_or_add_pPr(), "bottom", 8, NAVY_HEX)
    p = doc.add_paragraph(INSTRUCTIONS)
    p.paragraph_format.space_after = Pt(4)

    ids = _Ids()
    for section in spec.sections:
        doc.add_paragraph(section.title, style="Heading 2")
        table = doc.add_table(rows=0, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.LEFT
        table.autofit = False
        _table_borders(table)
        table.columns[0].width, table.columns[1].width = LABEL_COL, CONTROL_COL
        for f in section.fields:
            _field_rows(table, f, ids)

    # the document ends with the section properties; an empty paragraph must follow the last table
    body = doc.element.body
    last = body[-2] if len(body) > 1 else None
    if last is not None and last.tag == qn("w:tbl"):
        doc.add_paragraph()

    out.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(out))
    normalize_docx_zip(out)


def write_official_fingerprints(forms: dict[str, Path]) -> Path:
    """What each blank Word form prints, which the Word readers compare documents with: the digest
    of its own text (``pipeline.extract.docx_form.form_text_fingerprint``) and its rows of options
    between check boxes (``pipeline.extract.official_forms.printed_option_rows``)."""
    from pipeline.extract.docx_form import form_text_fingerprint
    from pipeline.extract.official_forms import OFFICIAL_FORMS_FILE, printed_option_rows

    target = ROOT / "pipeline" / "extract" / OFFICIAL_FORMS_FILE
    bodies = {name: Document(str(path)).element.body for name, path in sorted(forms.items())}
    recorded = {
        "fingerprints": {name: form_text_fingerprint(body) for name, body in bodies.items()},
        "option_rows": {name: printed_option_rows(body) for name, body in bodies.items()},
    }
    target.write_text(json.dumps(recorded, indent=2) + "\n", "utf-8")
    return target


def main() -> None:
    word_forms = {}
    for spec in all_form_specs():
        stem = f"{spec.form_id}_{spec.version}"
        build_pdf(spec, FORMS_DIR / f"{stem}.pdf")
        build_docx(spec, FORMS_DIR / f"{stem}.docx")
        word_forms[f"{spec.form_id} {spec.version}"] = FORMS_DIR / f"{stem}.docx"
        print(f"wrote samples/forms/{stem}.pdf and samples/forms/{stem}.docx")
    print(f"wrote {write_official_fingerprints(word_forms).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
