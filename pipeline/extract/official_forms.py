"""What the official blank Word forms print, as ``samples/make_forms.py`` recorded it with the forms
(``official_word_forms.json``): the digest of each form's own text (``docx_form``: an untouched
form is read by its controls alone), and each row of options it prints between check boxes.

A row of options is known so that its print is never read as an answer: an agency that deletes
the form's check boxes and types an X before the options it chooses leaves the row's printed
words where a box was left unticked. " SED  I/DD  Autism" with every box gone, its em spaces as
the form prints them, is the form's own print, none chosen. Only the form's own characters count
(``is_official_option_row``): nobody types em spaces by hand, while options written out with two
ordinary spaces, or retyped in an agency's own copy, may be a list of every option chosen. A row
is read as none chosen only where the document ticks a check box elsewhere (``labels.values``);
otherwise, or when any of its words is highlighted, struck, underlined or bold (a way to mark an
option), a person reads it.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from docx.oxml.ns import qn
from lxml import etree

from pipeline.extract.docx_kind import W14_CHECKBOX

OFFICIAL_FORMS_FILE = "official_word_forms.json"

_W_P, _W_T, _W_TAB, _W_SDT = qn("w:p"), qn("w:t"), qn("w:tab"), qn("w:sdt")


@cache
def _recorded() -> dict:
    return json.loads(resources.files("pipeline.extract").joinpath(OFFICIAL_FORMS_FILE).read_text("utf-8"))


@cache
def official_form_fingerprints() -> frozenset[str]:
    """The ``docx_form.form_text_fingerprint`` of each official blank Word form, by form and version."""
    return frozenset(_recorded()["fingerprints"].values())


@cache
def _official_option_rows() -> frozenset[str]:
    return frozenset(row.strip() for rows in _recorded()["option_rows"].values() for row in rows)


def is_official_option_row(text: str) -> bool:
    """Whether a text is, character for character (its ends aside), a row of options as an
    official blank Word form prints it between its check boxes, the boxes left out."""
    return text.strip() in _official_option_rows()


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
