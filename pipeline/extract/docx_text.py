"""Word documents read as text: the form typed over (controls deleted), re-saved by LibreOffice
(which drops the controls' tags), or retyped into an agency's own document.

The body becomes a ``Layout``: each paragraph a line (a line break starts another), split into
segments at tabs; each table row lines of its cells side by side (first paragraphs, then second
ones...), each cell placed by the table's grid. A paragraph is read by ``docx_paragraph``: check
boxes count whether typed (``☒ [X]``), Word checkbox controls, symbols from Wingdings, or legacy
checkbox fields; legacy form fields show their value: a text field its text, a drop-down its
chosen entry. A row of options exactly as the official blank form prints it (``official_forms``),
its boxes deleted and none of its words emphasised, is marked as the form's print
(``Token.printed``), not taken for options written out. Fields are then found by their printed labels (``pipeline.extract.labels``).
"""

from __future__ import annotations

import re
from pathlib import Path

from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree

from pipeline.extract.base import DocumentUnreadable, RawDocument
from pipeline.extract.docx_kind import open_docx
from pipeline.extract.docx_paragraph import (
    _W_SDT,
    _W_SDTCONTENT,
    _W_T,
    _W_VAL,
    ParagraphReader,
    _Piece,
)
from pipeline.extract.layout import (
    Layout,
    Line,
    Segment,
    Token,
    join_bracket_marks,
    tokens_between,
)
from pipeline.extract.official_forms import is_official_option_row
from pipeline.model import FieldValue, InputKind, ReadMethod

PAGE_WIDTH = 10_000.0  # twips given to a paragraph outside tables

# The tags and attributes of tables and blocks, qualified once (``docx_paragraph`` has a paragraph's).
_W_CUSTOMXML = qn("w:customXml")
_W_GRIDBEFORE = qn("w:gridBefore")
_W_GRIDCOL = qn("w:gridCol")
_W_GRIDSPAN = qn("w:gridSpan")
_W_P = qn("w:p")
_W_TBL = qn("w:tbl")
_W_TBLGRID = qn("w:tblGrid")
_W_TC = qn("w:tc")
_W_TCPR = qn("w:tcPr")
_W_TR = qn("w:tr")
_W_TRPR = qn("w:trPr")
_W_W = qn("w:w")


class DocxLayoutBuilder(ParagraphReader):
    """Turns a Word body into a ``Layout``, and collects the values of legacy form fields by name."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[Line] = []
        self.tables = 0
        self.row_cells: list[list[tuple[float, float]]] = []

    # -- placing text ---------------------------------------------------------------------------

    @staticmethod
    def _segments(line: list[list[_Piece]], x0: float, x1: float) -> list[Segment]:
        """A line's tab-separated parts as segments spread over ``[x0, x1]``.

        Word splits text into runs anywhere (formatting, spelling marks), so a part's runs are
        joined before it is cut into words; a word is a legacy field's when all its letters are.
        """
        segments: list[Segment] = []
        step = (x1 - x0) / max(len(line), 1)
        for i, pieces in enumerate(line):
            text = "".join(p.text for p in pieces)
            flags = [p.legacy for p in pieces for _ in p.text]
            words = [(m.group(), all(flags[m.start() : m.end()])) for m in re.finditer(r"\S+", text)]
            if not words:
                continue
            left = x0 + i * step
            width = step / len(words)
            tokens: list[Token] = []
            for k, (word, legacy) in enumerate(words):
                tokens.extend(tokens_between(word, left + k * width, left + (k + 1) * width, legacy=legacy))
            merged = join_bracket_marks([t.text for t in tokens])
            if len(merged) != len(tokens):
                tokens = tokens_between(" ".join(merged), left, left + step)
            if is_official_option_row(text) and not any(p.emphasised for p in pieces):
                for token in tokens:
                    token.printed = True
            segments.append(Segment(tokens))
        return segments

    def _add_line(self, segments: list[Segment], where: str, row: str | None, *, ruled: bool, gap: bool,
                  cells: list[tuple[float, float]] | None = None) -> None:
        if not segments:
            return
        index = float(len(self.lines))
        self.lines.append(
            Line(segments, index, index + 1.0, 1, where, row=row, ruled_before=ruled, gap_before=gap, cells=cells or [])
        )

    def _cell_lines(self, cell: etree._Element, x0: float, x1: float) -> list[list[Segment]]:
        """A cell's content as lines of segments (nested tables are laid out inside the cell)."""
        out: list[list[Segment]] = []
        for block in self._blocks(cell):
            if block.tag == _W_P:
                for line in self.paragraph(block).lines:
                    out.append(self._segments(line, x0, x1))
            elif block.tag == _W_TBL:
                for row_lines in self._table_rows(block, x0, x1):
                    out.extend(row_lines)
        return [line for line in out if line]

    @staticmethod
    def _blocks(container: etree._Element) -> list[etree._Element]:
        """Paragraphs and tables in reading order, through block-level content controls and custom XML."""
        blocks: list[etree._Element] = []
        for child in container:
            if child.tag in (_W_P, _W_TBL):
                blocks.append(child)
            elif child.tag == _W_SDT:
                content = child.find(_W_SDTCONTENT)
                if content is not None:
                    blocks.extend(DocxLayoutBuilder._blocks(content))
            elif child.tag == _W_CUSTOMXML:
                blocks.extend(DocxLayoutBuilder._blocks(child))
        return blocks

    def _table_rows(self, table: etree._Element, x0: float, x1: float) -> list[list[list[Segment]]]:
        """Each row of a table as its lines: the n-th line holds every cell's n-th line.

        The cells' extents of the rows just laid out are kept in ``self.row_cells`` (empty cells too).
        """
        grid = [float(col.get(_W_W, "0") or 0) for col in table.findall(f"{_W_TBLGRID}/{_W_GRIDCOL}")]
        rows_out: list[list[list[Segment]]] = []
        for tr in table.findall(_W_TR):
            cells = tr.findall(_W_TC)
            for sdt in tr.findall(_W_SDT):  # cells inside row-level content controls
                content = sdt.find(_W_SDTCONTENT)
                if content is not None:
                    cells.extend(content.findall(_W_TC))
            before = tr.find(f"{_W_TRPR}/{_W_GRIDBEFORE}")
            column = int(before.get(_W_VAL, "0")) if before is not None else 0
            total = sum(grid) if grid and sum(grid) > 0 else None
            columns: list[list[list[Segment]]] = []
            extents: list[tuple[float, float]] = []
            for tc in cells:
                span_el = tc.find(f"{_W_TCPR}/{_W_GRIDSPAN}")
                span = int(span_el.get(_W_VAL, "1")) if span_el is not None else 1
                if total:
                    left = x0 + (x1 - x0) * sum(grid[:column]) / total
                    right = x0 + (x1 - x0) * sum(grid[: column + span]) / total
                else:
                    width = (x1 - x0) / max(len(cells), 1)
                    left, right = x0 + column * width, x0 + (column + span) * width
                column += span
                columns.append(self._cell_lines(tc, left, right))
                extents.append((left, right))
            height = max((len(c) for c in columns), default=0)
            rows_out.append([[seg for c in columns if k < len(c) for seg in c[k]] for k in range(height)])
            self.row_cells.append(extents)
        return rows_out

    # -- the body -------------------------------------------------------------------------------

    def build(self, body: etree._Element) -> Layout:
        """The body's paragraphs and table rows as the lines the label reader reads."""
        for number, block in enumerate(self._blocks(body), start=1):
            if block.tag == _W_P:
                where = f"paragraph {number}"
                for k, line in enumerate(self.paragraph(block).lines):
                    self._add_line(self._segments(line, 0.0, PAGE_WIDTH), where, None, ruled=False, gap=k == 0)
            else:
                self.tables += 1
                self.row_cells = []
                rows = self._table_rows(block, 0.0, PAGE_WIDTH)
                extents = self.row_cells[-len(rows):] if rows else []
                for r, (row_lines, cells) in enumerate(zip(rows, extents, strict=True), start=1):
                    where = f"table {self.tables} row {r}"
                    row_id = f"t{self.tables}r{r}"
                    for k, segments in enumerate(row_lines):
                        self._add_line(segments, where, row_id, ruled=k == 0, gap=True, cells=cells)
        return Layout(lines=self.lines, wrapped=False)


def side_text(document: Document) -> str:
    """The text of every header and footer: where the form's marker line is printed."""
    parts: list[str] = []
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.even_page_header,
                     section.footer, section.first_page_footer, section.even_page_footer):
            if part.is_linked_to_previous and section is not document.sections[0]:
                continue
            parts.append(" ".join(t.text or "" for t in part._element.iter(_W_T)))
    return "\n".join(parts)


def read_docx_text(path: Path, opened: Document | None = None) -> tuple[Document, Layout, dict[str, str | bool | None], str]:
    """The document (``opened``, or the file opened now), its layout, its legacy fields' values by
    name, and where its marker may stand."""
    document = opened if opened is not None else open_docx(path)
    builder = DocxLayoutBuilder()
    layout = builder.build(document.element.body)
    marker_text = side_text(document) + "\n" + "\n".join(line.text for line in layout.lines)
    return document, layout, builder.legacy, marker_text


def legacy_widgets(values: dict[str, str | bool | None]) -> dict[str, FieldValue]:
    """Legacy form fields named like the form's keys are read by name, like content controls."""
    return {
        name: FieldValue(key=name, value=value, method=ReadMethod.LEGACY_FORM_FIELD, location="legacy form field", confidence=1.0)
        for name, value in values.items()
    }


class WordDocumentExtractor:
    kind = InputKind.WORD_DOCUMENT

    def read(self, path: Path, opened: Document | None = None) -> RawDocument:
        """The document's text laid out for the label reader; DocumentUnreadable when it has none."""
        _, layout, _, marker_text = read_docx_text(path, opened)
        if not layout.lines:
            raise DocumentUnreadable("the Word file has no text; ask the sender for the filled form")
        return RawDocument(marker_text=marker_text, layout=layout)
