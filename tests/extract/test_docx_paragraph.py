"""pipeline.extract.docx_paragraph: one Word paragraph read as lines (breaks) of segments (tabs) of
text, every kind of check box as a box, pictures seen, and legacy form fields shown by their value
and collected by name, also when a field runs over two paragraphs."""

from __future__ import annotations

import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from pipeline.extract.docx_paragraph import ParagraphReader
from pipeline.extract.layout import CHECKED, UNCHECKED
from samples.renditions import _legacy_field

W14 = 'xmlns:w14="http://schemas.microsoft.com/office/word/2010/wordml"'


def paragraph(runs: str):
    """A ``w:p`` holding ``runs`` (WordprocessingML with the ``w`` prefix)."""
    return parse_xml(f"<w:p {nsdecls('w')} {W14}>{runs}</w:p>")


def run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def shown(reader: ParagraphReader, *paragraphs) -> list[str]:
    """Each line of the paragraphs as their segments' text joined by " | "."""
    return [" | ".join(" ".join("".join(piece.text for piece in segment).split()) for segment in line)
            for p in paragraphs for line in reader.paragraph(p).lines]


def test_tabs_start_segments_and_breaks_start_lines():
    tab, line_break = "<w:r><w:tab/></w:r>", "<w:r><w:br/></w:r>"
    text = paragraph(run("Home city:") + tab + run("Lansing") + line_break + run("State: MI"))
    assert shown(ParagraphReader(), text) == ["Home city: | Lansing", "State: MI"]


def test_text_that_is_not_the_body_s_is_left_out():
    deleted = "<w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del>"
    text_box = f"<w:r><w:drawing><w:txbxContent><w:p>{run('in a box')}</w:p></w:txbxContent></w:drawing></w:r>"
    assert shown(ParagraphReader(), paragraph(run("kept") + deleted + text_box)) == ["kept"]


def test_a_picture_is_seen_as_one_and_a_kept_hyphen_is_a_hyphen():
    picture = "<w:r><w:drawing/></w:r>"
    assert shown(ParagraphReader(), paragraph(run("Signed:") + picture)) == ["Signed: [picture]"]
    hyphen = "<w:r><w:noBreakHyphen/></w:r>"
    assert shown(ParagraphReader(), paragraph(run("555") + hyphen + run("0150"))) == ["555-0150"]


@pytest.mark.parametrize(("symbol", "box"), [
    ('w:font="Wingdings" w:char="F0FE"', CHECKED),
    ('w:font="Wingdings" w:char="F0A8"', UNCHECKED),
    ('w:font="Wingdings 2" w:char="F052"', CHECKED),
    ('w:font="Wingdings" w:char="F0FC"', CHECKED),  # a tick inserted as a symbol is a tick
    ('w:char="F0FE"', CHECKED),  # no font: Wingdings, then Wingdings 2
    ('w:font="Wingdings" w:char="F0E8"', None),  # an arrow is no text at all
    ('w:font="Wingdings" w:char="not hex"', None),
])
def test_a_box_inserted_as_a_symbol_is_read_by_its_font_and_code(symbol, box):
    lines = shown(ParagraphReader(), paragraph(f"<w:r><w:sym {symbol}/></w:r>" + run(" Autism")))
    assert lines == [f"{box} Autism" if box else "Autism"]


@pytest.mark.parametrize(("state", "box"), [
    ('<w14:checked w14:val="1"/>', CHECKED), ('<w14:checked w14:val="0"/>', UNCHECKED), ("", UNCHECKED),
])
def test_a_check_box_content_control_is_its_box(state, box):
    control = (f"<w:sdt><w:sdtPr><w14:checkbox>{state}</w14:checkbox></w:sdtPr>"
               f"<w:sdtContent>{run('☐')}</w:sdtContent></w:sdt>")
    assert shown(ParagraphReader(), paragraph(control + run(" SED"))) == [f"{box} SED"]


def test_any_other_content_control_is_its_content():
    control = f"<w:sdt><w:sdtPr><w:tag w:val='psp_city'/></w:sdtPr><w:sdtContent>{run('Mason')}</w:sdtContent></w:sdt>"
    assert shown(ParagraphReader(), paragraph(run("City: ") + control)) == ["City: Mason"]


def test_legacy_fields_show_their_values_and_are_kept_by_name():
    reader = ParagraphReader()
    fields = (_legacy_field("FORMCHECKBOX", "Check1", checked=True) + run(" SED ")
              + _legacy_field("FORMCHECKBOX", "Check2") + run(" I/DD")
              + _legacy_field("FORMDROPDOWN", "Dropdown1", entries=["Select one", "Full-time", "Part-time"], chosen=2)
              + _legacy_field("FORMTEXT", "psp_city", text="Mason"))
    lines = shown(reader, paragraph(fields))
    assert lines == [f"{CHECKED} SED {UNCHECKED} I/DD Part-time Mason"]  # the field codes are never text
    assert reader.legacy == {"Check1": True, "Check2": False, "Dropdown1": "Part-time", "psp_city": "Mason"}
    assert {piece.legacy for line in reader.paragraph(paragraph(_legacy_field("FORMTEXT", "x", text="v"))).lines
            for segment in line for piece in segment} == {True}


def test_a_legacy_text_field_over_two_paragraphs_is_one_value():
    whole = _legacy_field("FORMTEXT", "accommodations", text="Vegetarian meals\nA ground-floor room")
    ends = whole.index('<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:br/></w:r>')
    reader = ParagraphReader()
    lines = shown(reader, paragraph(whole[:ends]), paragraph(whole[ends:].replace("<w:br/>", "", 1)))
    assert lines == ["Vegetarian meals", "A ground-floor room"]
    assert reader.legacy == {"accommodations": "Vegetarian meals\nA ground-floor room"}


def test_a_field_named_twice_keeps_its_first_value():
    reader = ParagraphReader()
    twice = _legacy_field("FORMTEXT", "Text1", text="first") + _legacy_field("FORMTEXT", "Text1", text="second")
    shown(reader, paragraph(twice))
    assert reader.legacy == {"Text1": "first"}
