"""The official blank forms (samples/forms), the fill helpers (samples/fill.py) and the committed
sample submissions (samples/submissions) agree with the form specification."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from lxml import etree
from pypdf import PdfReader

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from samples.fill import fill_docx, fill_pdf, read_docx_controls  # noqa: E402
from schemas.spec import FieldType, FormSpec, all_form_specs, load_form_spec  # noqa: E402

FORMS = REPO / "samples" / "forms"
SUBMISSIONS = REPO / "samples" / "submissions"
SPECS = all_form_specs()
IDS = [str(s.form_id) for s in SPECS]

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
NS = {"w": W, "w14": W14}

FF_MULTILINE, FF_COMBO, FF_RADIO, FF_PUSHBUTTON = 1 << 12, 1 << 17, 1 << 15, 1 << 16


def blank(spec: FormSpec, ext: str) -> Path:
    return FORMS / f"{spec.form_id}_{spec.version}.{ext}"


def widget_types(spec: FormSpec) -> dict[str, FieldType]:
    return {k: f.type for f in spec.fields for k in f.widget_keys}


def pdf_widgets(path: Path) -> dict[str, dict]:
    """Field name -> its merged field/widget dictionary."""
    found = {}
    for page in PdfReader(path).pages:
        for annot in page.get("/Annots", []):
            a = annot.get_object()
            if a.get("/Subtype") == "/Widget":
                found[str(a["/T"])] = a
    return found


def pdf_values(path: Path) -> dict[str, str | bool]:
    out: dict[str, str | bool] = {}
    for name, f in (PdfReader(path).get_fields() or {}).items():
        v = f.get("/V")
        if f.get("/FT") == "/Btn":
            out[name] = v is not None and v != "/Off"
        else:
            out[name] = "" if v is None else str(v)
    return out


def docx_root(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("word/document.xml"))


def docx_controls(path: Path) -> dict[str, etree._Element]:
    root = docx_root(path)
    return {sdt.find("w:sdtPr/w:tag", NS).get(f"{{{W}}}val"): sdt for sdt in root.iter(f"{{{W}}}sdt")}


def wval(el: etree._Element | None, ns: str = W) -> str | None:
    return None if el is None else el.get(f"{{{ns}}}val")


# ---------------------------------------------------------------------------------------------- PDF


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_pdf_fields_are_the_widget_keys(spec: FormSpec) -> None:
    fields = PdfReader(blank(spec, "pdf")).get_fields()
    assert list(fields) == list(spec.widget_keys)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_pdf_widget_types(spec: FormSpec) -> None:
    widgets = pdf_widgets(blank(spec, "pdf"))
    for key, ftype in widget_types(spec).items():
        w = widgets[key]
        ff = int(w.get("/Ff", 0))
        assert "/AP" in w, key
        if ftype in (FieldType.CHECKBOX, FieldType.MULTICHOICE):
            assert w["/FT"] == "/Btn" and not ff & (FF_RADIO | FF_PUSHBUTTON), key
            assert set(w["/AP"]["/N"]) == {"/Yes", "/Off"}, key
            assert w["/V"] == "/Off" and w["/AS"] == "/Off", key
        elif ftype is FieldType.CHOICE:
            assert w["/FT"] == "/Ch" and ff & FF_COMBO, key
            assert [str(o) for o in w["/Opt"]] == list(spec.field(key).choices), key
            assert str(w.get("/V", "")) == "", key
        else:
            assert w["/FT"] == "/Tx", key
            assert bool(ff & FF_MULTILINE) == (ftype is FieldType.LONGTEXT), key
            assert str(w.get("/V", "")) == "", key
            if ftype is FieldType.DATE:
                assert "MM/DD/YYYY" in str(w["/TU"]), key


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_pdf_marker_and_page_numbers_on_every_page(spec: FormSpec) -> None:
    reader = PdfReader(blank(spec, "pdf"))
    n = len(reader.pages)
    assert n >= 2
    for i, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert spec.marker in text
        assert f"Page {i} of {n}" in text
        assert [round(float(v)) for v in page.mediabox] == [0, 0, 612, 792]  # US Letter
    first = reader.pages[0].extract_text()
    assert "Michigan Parent Support Partner (PSP) Program" in first
    assert spec.title in first and f"Version {spec.version}" in first


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_pdf_prints_every_label_and_section(spec: FormSpec) -> None:
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(blank(spec, "pdf")).pages)
    for section in spec.sections:
        assert section.title in text
        for f in section.fields:
            assert f.label in text, f.key
            if f.type is FieldType.MULTICHOICE:
                for choice in f.choices:
                    assert choice in text


def test_fill_pdf_round_trip(tmp_path: Path) -> None:
    reg = load_form_spec("PSP-REG")
    values = {
        "psp_first_name": "Jordan",
        "cmhsp_name": "Community Mental Health Authority of Clinton-Eaton-Ingham Counties",
        "accommodations": "Vegetarian meals.\nA ground-floor room, please.",
        "position_type": "Part-time",
        "hire_date": "11/16/2026",
        "lived_experience_parent": True,
        "child_condition_idd": True,
        "child_condition_sed": False,
    }
    once = tmp_path / "once.pdf"
    fill_pdf(blank(reg, "pdf"), values, once)
    got = pdf_values(once)
    for key, value in values.items():
        assert got[key] == value, key
    # untouched fields stay empty
    assert got["psp_last_name"] == "" and got["commit_classroom"] is False
    widgets = pdf_widgets(once)
    assert widgets["child_condition_idd"]["/AS"] == "/Yes"
    assert widgets["child_condition_sed"]["/AS"] == "/Off"
    # the regenerated appearance streams carry the values
    assert b"Jordan" in widgets["psp_first_name"]["/AP"]["/N"].get_object().get_data()
    assert b"Part-time" in widgets["position_type"]["/AP"]["/N"].get_object().get_data()
    ap = widgets["accommodations"]["/AP"]["/N"].get_object().get_data()
    assert b"Vegetarian meals." in ap and b"A ground-floor room, please." in ap

    # and back off again
    twice = tmp_path / "twice.pdf"
    fill_pdf(once, {"child_condition_idd": False, "hire_date": "12/1/26"}, twice)
    got = pdf_values(twice)
    assert got["child_condition_idd"] is False and got["hire_date"] == "12/1/26"
    assert pdf_widgets(twice)["child_condition_idd"]["/AS"] == "/Off"
    assert got["lived_experience_parent"] is True


def test_fill_pdf_rejects_unknown_keys_and_wrong_types(tmp_path: Path) -> None:
    orp = load_form_spec("PSP-ORP")
    with pytest.raises(KeyError):
        fill_pdf(blank(orp, "pdf"), {"no_such_field": "x"}, tmp_path / "x.pdf")
    with pytest.raises(TypeError):
        fill_pdf(blank(orp, "pdf"), {"commit_employ": "Yes"}, tmp_path / "x.pdf")
    with pytest.raises(ValueError):
        fill_pdf(blank(orp, "pdf"), {"employment_model": "Volunteers"}, tmp_path / "x.pdf")


# ---------------------------------------------------------------------------------------------- Word


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_docx_controls_are_the_widget_keys(spec: FormSpec) -> None:
    root = docx_root(blank(spec, "docx"))
    tags = [wval(sdt.find("w:sdtPr/w:tag", NS)) for sdt in root.iter(f"{{{W}}}sdt")]
    assert tags == list(spec.widget_keys)
    # the w14 namespace is declared on the document root (and ignorable for old readers)
    assert root.nsmap.get("w14") == W14
    assert "w14" in root.get("{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable").split()


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_docx_control_types(spec: FormSpec) -> None:
    controls = docx_controls(blank(spec, "docx"))
    for f in spec.fields:
        for key in f.widget_keys:
            sdt = controls[key]
            pr = sdt.find("w:sdtPr", NS)
            text = "".join(sdt.find("w:sdtContent", NS).itertext())
            alias = wval(pr.find("w:alias", NS))
            if f.type in (FieldType.CHECKBOX, FieldType.MULTICHOICE):
                box = pr.find("w14:checkbox", NS)
                assert box is not None, key
                assert wval(box.find("w14:checked", NS), W14) == "0"
                assert wval(box.find("w14:checkedState", NS), W14) == "2612"
                assert wval(box.find("w14:uncheckedState", NS), W14) == "2610"
                assert box.find("w14:checkedState", NS).get(f"{{{W14}}}font") == "MS Gothic"
                assert text == "\u2610"
                assert alias.startswith(f.label)
                continue
            assert alias == f.label
            assert pr.find("w:showingPlcHdr", NS) is not None, key
            if f.type is FieldType.CHOICE:
                items = pr.findall("w:dropDownList/w:listItem", NS)
                assert [i.get(f"{{{W}}}displayText") for i in items] == list(f.choices)
                assert [i.get(f"{{{W}}}value") for i in items] == list(f.choices)
                assert text == "Choose an item."
            elif f.type is FieldType.DATE:
                assert wval(pr.find("w:date/w:dateFormat", NS)) == "MM/dd/yyyy"
                assert text == "Click or tap to enter a date."
            else:
                el = pr.find("w:text", NS)
                assert el is not None, key
                assert (el.get(f"{{{W}}}multiLine") == "1") == (f.type is FieldType.LONGTEXT), key
                assert text == "Click or tap here to enter text."


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_docx_marker_in_every_footer(spec: FormSpec) -> None:
    doc = Document(str(blank(spec, "docx")))
    for section in doc.sections:
        assert section.page_width.inches == pytest.approx(8.5)
        assert section.page_height.inches == pytest.approx(11)
        assert not section.different_first_page_header_footer
        footer_text = "\n".join(p.text for p in section.footer.paragraphs)
        assert spec.marker in footer_text
        xml = etree.tostring(section.footer._element).decode()
        assert " PAGE " in xml and " NUMPAGES " in xml
    body = "\n".join(p.text for p in doc.paragraphs)
    assert "Michigan Parent Support Partner (PSP) Program" in body
    assert spec.title in body and f"Version {spec.version}" in body
    assert [s.title for s in spec.sections] == [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]


def test_fill_docx_round_trip(tmp_path: Path) -> None:
    orp = load_form_spec("PSP-ORP")
    values = {
        "cmhsp_name": "CMHA-CEI",
        "integration_plan": "First line of the plan.\nSecond line.",
        "employment_model": "Contract provider agency",
        "planned_start_date": "March 1, 2027",
        "director_signature_date": "11/20/2026",
        "supervisor_signature_date": "sometime in November",
        "commit_employ": True,
        "commit_equipment": False,
    }
    once = tmp_path / "once.docx"
    fill_docx(blank(orp, "docx"), values, once)
    got = read_docx_controls(once)
    for key, value in values.items():
        assert got[key] == value, key
    assert got["contact_name"] == ""

    controls = docx_controls(once)

    def pr(key: str) -> etree._Element:
        return controls[key].find("w:sdtPr", NS)

    def content_text(key: str) -> str:
        return "".join(controls[key].find("w:sdtContent", NS).itertext())

    assert pr("cmhsp_name").find("w:showingPlcHdr", NS) is None
    assert content_text("cmhsp_name") == "CMHA-CEI"
    # multi-line text: separate lines joined by a break
    runs = controls["integration_plan"].findall("w:sdtContent/w:r", NS)
    assert [etree.QName(c).localname for r in runs for c in r if etree.QName(c).localname != "rPr"] == [
        "t", "br", "t"]
    assert content_text("employment_model") == "Contract provider agency"
    assert pr("employment_model").find("w:dropDownList", NS).get(f"{{{W}}}lastValue") == "Contract provider agency"
    full_date = f"{{{W}}}fullDate"
    assert pr("planned_start_date").find("w:date", NS).get(full_date) == "2027-03-01T00:00:00Z"
    assert pr("director_signature_date").find("w:date", NS).get(full_date) == "2026-11-20T00:00:00Z"
    assert pr("supervisor_signature_date").find("w:date", NS).get(full_date) is None
    assert wval(pr("commit_employ").find("w14:checkbox/w14:checked", NS), W14) == "1"
    assert content_text("commit_employ") == "\u2612"
    assert content_text("commit_equipment") == "\u2610"
    # untouched controls keep their placeholder
    assert pr("contact_name").find("w:showingPlcHdr", NS) is not None
    assert content_text("contact_name") == "Click or tap here to enter text."

    twice = tmp_path / "twice.docx"
    fill_docx(once, {"commit_employ": False, "cmhsp_name": ""}, twice)
    got = read_docx_controls(twice)
    assert got["commit_employ"] is False and got["cmhsp_name"] == ""
    assert docx_controls(twice)["cmhsp_name"].find("w:sdtPr/w:showingPlcHdr", NS) is not None
    assert got["integration_plan"] == values["integration_plan"]
    Document(str(twice))  # still a valid package for python-docx


def test_fill_docx_rejects_unknown_keys_and_wrong_types(tmp_path: Path) -> None:
    reg = load_form_spec("PSP-REG")
    with pytest.raises(KeyError):
        fill_docx(blank(reg, "docx"), {"child_condition": True}, tmp_path / "x.docx")
    with pytest.raises(TypeError):
        fill_docx(blank(reg, "docx"), {"psp_first_name": True}, tmp_path / "x.docx")
    with pytest.raises(ValueError):
        fill_docx(blank(reg, "docx"), {"lodging_needed": "Maybe"}, tmp_path / "x.docx")


# ---------------------------------------------------------------------------------------------- samples

EXPECTED = sorted(SUBMISSIONS.glob("*.expected.json"))


def test_there_are_samples() -> None:
    assert len(EXPECTED) >= 25
    for path in EXPECTED:
        assert (SUBMISSIONS / json.loads(path.read_text())["file"]).is_file(), path.name


@pytest.mark.parametrize("path", EXPECTED, ids=[p.name.removesuffix(".expected.json") for p in EXPECTED])
def test_sample_matches_expected_values(path: Path) -> None:
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert set(expected) == {"file", "form_id", "form_version", "received_at", "outcome", "rules", "values"}
    assert expected["rules"] == sorted(expected["rules"])
    doc = SUBMISSIONS / expected["file"]
    if expected["form_id"] is None:
        assert expected["values"] == {}
        assert doc.suffix == ".pdf" and not PdfReader(doc).get_fields()
        assert "Form PSP-" not in PdfReader(doc).pages[0].extract_text()
        return
    spec = load_form_spec(expected["form_id"])
    assert expected["form_version"] == spec.version
    assert list(expected["values"]) == list(spec.widget_keys)
    got = pdf_values(doc) if doc.suffix == ".pdf" else read_docx_controls(doc)
    assert got == expected["values"]


def test_resent_plan_is_byte_identical() -> None:
    assert (SUBMISSIONS / "orp_valid_cei_resent.pdf").read_bytes() == (
        SUBMISSIONS / "orp_valid_cei.pdf").read_bytes()
