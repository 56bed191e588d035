"""What the official blank Word forms print, as ``samples/make_forms.py`` recorded it with the forms
(``official_word_forms.json``): the digest of each form's own text (``docx_form``: an untouched
form is read by its controls alone), and each row of options it prints between check boxes.

A row of options is known so that its print is never read as an answer: an agency that deletes
the form's check boxes and types an X before the options it chooses leaves the row's printed
words where a box was left unticked. " SED  I/DD  Autism" with every box gone is the form's own
print, none chosen; "SED I/DD Autism" typed as a list is someone's answer. The two differ in their
gaps: the form sets its options apart with wide spaces (``gap_shape``), a list is written with
one space or commas. An agency's own copy that sets the options apart alike ("SED   I/DD   Autism")
prints a row of options too. Either way the row is read as none chosen only where the document
shows how it ticks (``labels.values``); otherwise a person reads it.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from docx.oxml.ns import qn
from lxml import etree

from pipeline.extract.docx_kind import W14_CHECKBOX

OFFICIAL_FORMS_FILE = "official_word_forms.json"

_W_P, _W_T, _W_TAB, _W_SDT = qn("w:p"), qn("w:t"), qn("w:tab"), qn("w:sdt")
_GAP = re.compile(r"\s+")


@cache
def _recorded() -> dict:
    return json.loads(resources.files("pipeline.extract").joinpath(OFFICIAL_FORMS_FILE).read_text("utf-8"))


@cache
def official_form_fingerprints() -> frozenset[str]:
    """The ``docx_form.form_text_fingerprint`` of each official blank Word form, by form and version."""
    return frozenset(_recorded()["fingerprints"].values())


def gap_shape(text: str) -> str:
    """A text's words and the kind of each gap between them: one ordinary space (" "), or a wide
    one ("  ": a tab, an em space, two spaces or more); the ends left out."""
    return _GAP.sub(lambda gap: " " if gap.group() == " " else "  ", text.strip())


@cache
def official_option_rows() -> frozenset[str]:
    """The ``gap_shape`` of each row of options the official forms print between check boxes."""
    return frozenset(gap_shape(row) for rows in _recorded()["option_rows"].values() for row in rows)


def printed_option_rows(body: etree._Element) -> list[str]:
    """The text a blank Word form prints in each paragraph holding two check box controls or more,
    the controls left out (tabs as tabs): what stays of a row of options when its boxes are deleted."""
    rows = []
    for paragraph in body.iter(_W_P):
        boxes = [sdt for sdt in paragraph.iter(_W_SDT) if sdt.find(f"{qn('w:sdtPr')}/{W14_CHECKBOX}") is not None]
        if len(boxes) < 2:
            continue
        text = [
            "\t" if node.tag == _W_TAB else node.text or ""
            for node in paragraph.iter(_W_T, _W_TAB)
            if not _inside_control(node, paragraph)
        ]
        rows.append("".join(text))
    return rows


def _inside_control(node: etree._Element, paragraph: etree._Element) -> bool:
    for ancestor in node.iterancestors():
        if ancestor is paragraph:
            return False
        if ancestor.tag == _W_SDT:
            return True
    return False
