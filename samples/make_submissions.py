"""Fill the official blank forms with synthetic data: the sample submissions of ``samples/submissions``.

    python samples/make_forms.py && python samples/make_submissions.py      (from the repository root)

Every person, email and phone number here is invented (emails at example.org, phones in the fictional
555-01xx range); cities, ZIP codes, counties and CMHSP names are real Michigan ones. Each case is a small
variation of a valid base plan (``orp_base``) or packet (``reg_base``) and is written as
``<name>.pdf`` / ``<name>.docx`` with ``<name>.expected.json`` beside it: the form, the moment the file
is taken to arrive (``received_at``; the file's mtime is set to it too), the expected outcome, the
rules the document breaks, and the value of every widget as filled.

The ``rules`` are declared here by hand, from reading the rules in ``schemas/forms/*.yaml``; nothing
here runs the pipeline. Each invalid case breaks exactly one rule. Date rules are judged on the day
of ``received_at`` in America/Detroit; every readiness plan arrives before every registration packet,
so the packets from CEI and ISK find an accepted plan on file (REG-R10).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import letter  # noqa: E402
from reportlab.lib.utils import simpleSplit  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from samples.fill import fill_docx, fill_pdf  # noqa: E402
from schemas.spec import FieldType, FormSpec, load_form_spec  # noqa: E402

FORMS = ROOT / "samples" / "forms"
OUT = ROOT / "samples" / "submissions"

ORP = load_form_spec("PSP-ORP")
REG = load_form_spec("PSP-REG")

Values = dict[str, str | bool]


def blank_values(spec: FormSpec) -> Values:
    """Every widget key of the form, unfilled: "" for text, False for checkboxes."""
    values: Values = {}
    for f in spec.fields:
        for key in f.widget_keys:
            values[key] = False if f.type in (FieldType.CHECKBOX, FieldType.MULTICHOICE) else ""
    return values


def _checked_boxes(spec: FormSpec) -> Values:
    return {f.key: True for f in spec.fields if f.type is FieldType.CHECKBOX and f.must_be_checked}


# ----------------------------------------------------------------------------------------------
# Organizational Readiness Plans (PSP-ORP)
# ----------------------------------------------------------------------------------------------

INTEGRATION_PLAN = (
    "Each PSP joins the home-based and wraparound teams as a full member, attends the weekly team "
    "meeting and is named in the Family Centered Plan with a goal the family chose."
)
REFERRAL_PROCESS = (
    "Case holders offer PSP services at intake and at every plan review; families may also ask for a "
    "PSP themselves, and the supervisor assigns a PSP within five business days."
)


def orp_base(**changes: str | bool) -> Values:
    """A valid readiness plan (every required field filled, every box checked), then ``changes``."""
    values = blank_values(ORP)
    values.update(
        cmhsp_name="Community Mental Health Authority of Clinton-Eaton-Ingham Counties",
        employment_model="CMHSP",
        provider_agency_name="",
        agency_street="1200 Example Avenue",
        agency_city="Lansing",
        agency_zip="48910",
        counties_served="Clinton, Eaton and Ingham",
        contact_name="Avery Sample",
        contact_title="Children's Services Director",
        contact_email="avery.sample@example.org",
        contact_phone="(517) 555-0142",
        director_name="Morgan Placeholder",
        submission_type="Initial plan",
        psp_positions_planned="2",
        fte_per_position="1.0",
        planned_start_date="03/01/2027",
        supervisor_name="Riley Testperson",
        supervisor_credential="Licensed Master Social Worker (LMSW)",
        supervisor_credential_other="",
        supervisor_email="riley.testperson@example.org",
        supervisor_phone="(517) 555-0143",
        supervision_frequency="Weekly",
        integration_plan=INTEGRATION_PLAN,
        referral_process=REFERRAL_PROCESS,
        director_signature="Morgan Placeholder",
        director_signature_date="11/20/2026",
        supervisor_signature="Riley Testperson",
        supervisor_signature_date="11/20/2026",
    )
    values.update(_checked_boxes(ORP))
    values.update(changes)
    return values


def orp_agency(cmhsp: str, street: str, city: str, zip_code: str, counties: str, area_code: str,
               contact: str, director: str, supervisor: str, **changes: str | bool) -> Values:
    """A valid plan from another agency: its address, counties, people and phone numbers."""
    def email(name: str) -> str:
        return name.lower().replace(" ", ".") + "@example.org"

    agency: Values = dict(
        cmhsp_name=cmhsp, agency_street=street, agency_city=city, agency_zip=zip_code,
        counties_served=counties,
        contact_name=contact, contact_email=email(contact), contact_phone=f"({area_code}) 555-0110",
        director_name=director, director_signature=director,
        supervisor_name=supervisor, supervisor_email=email(supervisor),
        supervisor_phone=f"({area_code}) 555-0111", supervisor_signature=supervisor,
    )
    agency.update(changes)
    return orp_base(**agency)


# ----------------------------------------------------------------------------------------------
# Registration Packets (PSP-REG)
# ----------------------------------------------------------------------------------------------

CEI_FULL = "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"


def reg_base(**changes: str | bool) -> Values:
    """A valid registration packet (a CEI PSP, full time), then ``changes``."""
    values = blank_values(REG)
    values.update(
        psp_first_name="Jordan",
        psp_last_name="Example",
        psp_preferred_name="",
        psp_email="jordan.example@example.org",
        psp_phone="(517) 555-0160",
        psp_street="415 Sample Street",
        psp_city="Lansing",
        psp_state="MI",
        psp_zip="48912",
        psp_county="Ingham",
        hire_date="11/16/2026",
        position_type="Full-time",
        hours_per_week="40",
        child_condition_sed=True,
        cmhsp_name=CEI_FULL,
        employer_type="CMHSP",
        provider_agency_name="",
        supervisor_name="Riley Testperson",
        supervisor_credential="Licensed Master Social Worker (LMSW)",
        supervisor_email="riley.testperson@example.org",
        supervisor_phone="(517) 555-0143",
        training_session="2027-01-LAN",
        lodging_needed="No",
        accommodations="",
        psp_signature="Jordan Example",
        psp_signature_date="11/30/2026",
        supervisor_signature="Riley Testperson",
        supervisor_signature_date="12/01/2026",
        director_signature="Morgan Placeholder",
        director_signature_date="12/01/2026",
    )
    values.update(_checked_boxes(REG))
    values.update(changes)
    return values


def reg_person(first: str, last: str, **changes: str | bool) -> Values:
    """A valid packet for another PSP: name, email, signature, then ``changes``."""
    person: Values = dict(
        psp_first_name=first, psp_last_name=last, psp_email=f"{first}.{last}@example.org".lower(),
        psp_signature=f"{first} {last}",
    )
    person.update(changes)
    return reg_base(**person)


ISK = dict(
    cmhsp_name="ISK",
    supervisor_name="Quinn Mockford",
    supervisor_credential="Licensed Professional Counselor (LPC)",
    supervisor_email="quinn.mockford@example.org",
    supervisor_phone="(269) 555-0171",
    supervisor_signature="Quinn Mockford",
    director_signature="Harper Fictional",
    psp_city="Portage",
    psp_zip="49002",
    psp_county="Kalamazoo",
    training_session="2027-03-GR",
)


def reg_isk(first: str, last: str, **changes: str | bool) -> Values:
    """A valid packet for a PSP of Integrated Services of Kalamazoo."""
    base = dict(ISK, psp_phone="(269) 555-0180", psp_street="77 Placeholder Lane")
    base.update(changes)
    return reg_person(first, last, **base)


# ----------------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str  # file name without extension
    ext: str  # "pdf" or "docx"
    spec: FormSpec | None
    received_at: str
    outcome: str
    rules: list[str] = field(default_factory=list)
    values: Values = field(default_factory=dict)
    make: Callable[[Path], None] | None = None  # for files that are not filled forms

    @property
    def file(self) -> str:
        return f"{self.name}.{self.ext}"


def _at(day: int, hour: int, minute: int = 0) -> str:
    """A moment in December 2026, Michigan time (EST, UTC-5)."""
    return f"2026-12-{day:02d}T{hour:02d}:{minute:02d}:00-05:00"


def orp_cases() -> list[Case]:
    c: list[Case] = []

    def add(name: str, ext: str, at: str, outcome: str, rules: list[str], values: Values) -> None:
        c.append(Case(name, ext, ORP, at, outcome, sorted(rules), values))

    # 1. CEI, by its alias; agency of the registration packets below.
    add("orp_valid_cei", "pdf", _at(1, 9), "accepted", [], orp_base(
        cmhsp_name="CMHA-CEI",
        counties_served="Clinton, Eaton and Ingham",
        planned_start_date="March 1, 2027",
        integration_plan=INTEGRATION_PLAN + "\nPSPs also join the monthly clinical case review.",
    ))
    # 2. Kalamazoo, through a contract provider agency; ISO dates, +1 phone.
    add("orp_valid_kalamazoo", "docx", _at(1, 10), "accepted", [], orp_agency(
        "Integrated Services of Kalamazoo", "610 Sample Boulevard", "Kalamazoo", "49007", "Kalamazoo",
        "269", "Dakota Specimen", "Harper Fictional", "Quinn Mockford",
        employment_model="Contract provider agency",
        provider_agency_name="Example Family Partners, Inc.",
        contact_phone="+1 269.555.0199",
        supervisor_credential="Licensed Professional Counselor (LPC)",
        supervision_frequency="Every two weeks",
        psp_positions_planned="3",
        fte_per_position="0.75",
        planned_start_date="2027-02-01",
        director_signature_date="2026-11-18",
        supervisor_signature_date="2026-11-17",
    ))
    # 3. Genesee.
    add("orp_valid_genesee", "docx", _at(1, 11), "accepted", [], orp_agency(
        "Genesee Health System", "420 Demo Drive", "Flint", "48502", "Genesee County",
        "810", "Skyler Dummy", "Rowan Imaginary", "Emerson Notreal",
        supervisor_credential="Licensed Psychologist (LP)",
        psp_positions_planned="4",
        planned_start_date="01/15/2027",
        referral_process=REFERRAL_PROCESS + "\nSchools and the juvenile court may also refer, with the "
                                            "family's consent.",
        director_signature_date="11/23/2026",
        supervisor_signature_date="11/24/2026",
    ))
    # 4. R01: the contact phone left empty and one commitment not checked.
    add("orp_r01_missing_fields", "pdf", _at(1, 12), "rejected", ["ORP-R01"], orp_agency(
        "Community Mental Health of Ottawa County", "12 Fictional Court", "Holland", "49423", "Ottawa",
        "616", "Reese Sampleton", "Jamie Exemplar", "Drew Madeup",
        contact_phone="",
        commit_equipment=False,
    ))
    # 5. R02: an agency that is not a Michigan CMHSP.
    add("orp_r02_unknown_cmhsp", "docx", _at(1, 13), "rejected", ["ORP-R02"], orp_agency(
        "Lakeshore Family Wellness Center", "88 Shoreline Example Road", "Muskegon", "49440", "Muskegon",
        "231", "Parker Invented", "Sage Pretend", "Logan Fakename",
    ))
    # 6. R03: employed by a contract provider agency, whose name is missing.
    add("orp_r03_no_provider_name", "pdf", _at(1, 14), "rejected", ["ORP-R03"], orp_agency(
        "Washtenaw County Community Mental Health", "555 Example Parkway", "Ypsilanti", "48197",
        "Washtenaw", "734", "Cameron Testcase", "Alexis Nobody", "Jesse Samplewood",
        employment_model="Contract provider agency",
        provider_agency_name="",
    ))
    # 7. R04 (review): a supervisor credential of "Other", described.
    add("orp_r04_other_credential", "docx", _at(2, 9), "needs_review", ["ORP-R04"], orp_agency(
        "Saginaw County Community Mental Health Authority", "300 Demo Street", "Saginaw", "48602",
        "Saginaw", "989", "Kendall Example", "Blake Sampleford", "Marley Testwell",
        supervisor_credential="Other",
        supervisor_credential_other="Licensed Bachelor's Social Worker (LBSW) with ten years of "
                                    "children's case management supervision",
    ))
    # 8. R05: a county outside Michigan.
    add("orp_r05_county_outside_michigan", "pdf", _at(2, 10), "rejected", ["ORP-R05"], orp_agency(
        "Network180", "790 Fictitious Avenue SW", "Grand Rapids", "49503", "Kent; Cook County",
        "616", "Finley Specimen", "Hayden Mockup", "Charlie Examplar",
    ))
    # 9. R06: a malformed contact email.
    add("orp_r06_bad_contact_email", "docx", _at(2, 11), "rejected", ["ORP-R06"], orp_agency(
        "Macomb County Community Mental Health Services", "19 Sample Circle", "Clinton Township", "48036",
        "Macomb", "586", "Elliot Placeholder", "Devon Imaginary", "Kai Testington",
        contact_email="director.at.example.org",
    ))
    # 10. R07: a signature dated after the day the plan was received (2026-12-02).
    add("orp_r07_signed_after_received", "pdf", _at(2, 12), "rejected", ["ORP-R07"], orp_agency(
        "Oakland Community Health Network", "5505 Example Corporate Drive", "Troy", "48098", "Oakland",
        "248", "Rory Fictionson", "Ainsley Madeup", "Peyton Demoson",
        director_signature_date="12/05/2026",
        supervisor_signature_date="11/30/2026",
        planned_start_date="02/01/2027",
    ))
    # 11. R08: services planned to begin before the plan was signed.
    add("orp_r08_start_before_signature", "docx", _at(2, 13), "rejected", ["ORP-R08"], orp_agency(
        "LifeWays Community Mental Health", "1200 Sample Parkway", "Jackson", "49201",
        "Jackson and Hillsdale", "517", "Sawyer Notreal", "Remy Exampleton", "Tatum Specimen",
        director_signature_date="11/20/2026",
        supervisor_signature_date="11/21/2026",
        planned_start_date="11/01/2026",
    ))
    # 12. R09 (review): a referral narrative of six words.
    add("orp_r09_short_narrative", "pdf", _at(2, 14), "needs_review", ["ORP-R09"], orp_agency(
        "Summit Pointe", "140 Example Way", "Battle Creek", "49017", "Calhoun",
        "269", "Micah Samplesworth", "Jordan Testfield", "Lane Fakerly",
        referral_process="Families are referred by their caseworker.",
    ))
    return c


def reg_cases() -> list[Case]:
    c: list[Case] = []

    def add(name: str, ext: str, at: str, outcome: str, rules: list[str], values: Values) -> None:
        c.append(Case(name, ext, REG, at, outcome, sorted(rules), values))

    # 13. CEI, full time, SED and autism, two-digit-year dates.
    add("reg_valid_cei", "docx", _at(3, 9), "accepted", [], reg_base(
        psp_preferred_name="Jo",
        child_condition_sed=True,
        child_condition_autism=True,
        hire_date="11/16/26",
        psp_signature_date="11/30/26",
        supervisor_signature_date="12/1/26",
        director_signature_date="12/1/26",
    ))
    # 14. ISK, part time, I/DD, Grand Rapids session with lodging.
    add("reg_valid_isk", "pdf", _at(3, 10), "accepted", [], reg_isk(
        "Casey", "Sample",
        position_type="Part-time",
        hours_per_week="20",
        child_condition_sed=False,
        child_condition_idd=True,
        lodging_needed="Yes",
        accommodations="Vegetarian meals, please.\nA ground-floor room if one is available.",
        hire_date="11/02/2026",
        psp_signature_date="11/23/2026",
        supervisor_signature_date="11/24/2026",
        director_signature_date="11/25/2026",
    ))
    # 15. R01: no child condition checked.
    add("reg_r01_no_child_condition", "pdf", _at(3, 11), "rejected", ["REG-R01"], reg_person(
        "Taylor", "Demo",
        cmhsp_name="cmha-cei",
        child_condition_sed=False,
        psp_phone="(517) 555-0161",
        psp_city="East Lansing", psp_zip="48823",
    ))
    # 16. R02: an employing agency that is not a Michigan CMHSP.
    add("reg_r02_unknown_cmhsp", "docx", _at(3, 12), "rejected", ["REG-R02"], reg_person(
        "Morgan", "Exampleson",
        cmhsp_name="Thumb Area Family Services",
        psp_phone="(989) 555-0162",
        psp_city="Bad Axe", psp_zip="48413", psp_county="Huron",
    ))
    # 17. R03: employed by a contract provider agency, whose name is missing.
    add("reg_r03_no_provider_name", "pdf", _at(3, 13), "rejected", ["REG-R03"], reg_isk(
        "Avery", "Testcase",
        employer_type="Contract provider agency",
        provider_agency_name="",
        psp_phone="(269) 555-0181",
    ))
    # 18. R04 (review): a supervisor credential of "Other".
    add("reg_r04_other_credential", "docx", _at(3, 14), "needs_review", ["REG-R04"], reg_person(
        "Riley", "Specimen",
        cmhsp_name="CEI CMH",
        supervisor_name="Shawn Imaginary",
        supervisor_credential="Other",
        supervisor_email="shawn.imaginary@example.org",
        supervisor_signature="Shawn Imaginary",
        psp_phone="(517) 555-0164",
        psp_city="Charlotte", psp_zip="48813", psp_county="Eaton",
    ))
    # 19. R05: a seven-digit phone number.
    add("reg_r05_bad_phone", "pdf", _at(3, 15), "rejected", ["REG-R05"], reg_isk(
        "Jamie", "Mockwell",
        psp_phone="555-0123",
    ))
    # 20. R06 (review): the PSP lives in Ohio (the county rule applies only to MI).
    add("reg_r06_out_of_state", "docx", _at(3, 16), "needs_review", ["REG-R06"], reg_person(
        "Dana", "Fictional",
        psp_phone="(419) 555-0165",
        psp_street="2020 Example Avenue",
        psp_city="Toledo", psp_state="OH", psp_zip="43604", psp_county="Lucas",
    ))
    # 21. R07: the PSP signed more than 180 days before the packet arrived (2026-12-04);
    #     the hire date is 17 days after that signature (R08 holds).
    add("reg_r07_old_signature", "pdf", _at(4, 9), "rejected", ["REG-R07"], reg_isk(
        "Kerry", "Oldsign",
        psp_phone="(269) 555-0182",
        psp_signature_date="05/15/2026",
        hire_date="06/01/2026",
    ))
    # 22. R08: part time at 35 hours a week.
    add("reg_r08_hours_do_not_fit", "docx", _at(4, 10), "rejected", ["REG-R08"], reg_person(
        "Robin", "Placeholder",
        cmhsp_name=CEI_FULL,
        position_type="Part-time",
        hours_per_week="35",
        psp_phone="(517) 555-0166",
        psp_city="Mason", psp_zip="48854",
    ))
    # 23. R09: a session that is not in the schedule.
    add("reg_r09_unknown_session", "pdf", _at(4, 11), "rejected", ["REG-R09"], reg_isk(
        "Sam", "Notlisted",
        psp_phone="(269) 555-0183",
        training_session="2027-02-FLINT",
    ))
    # 26. R10 (hold): the agency's readiness plan has not been accepted (none was sent yet).
    add("reg_r10_no_plan_yet", "pdf", _at(4, 13), "held", ["REG-R10"], reg_base(
        psp_first_name="Dana", psp_last_name="Waitsworth", psp_email="dana.waitsworth@example.org",
        psp_phone="(989) 555-0171", psp_street="12 Example Court", psp_city="Saginaw", psp_zip="48601",
        psp_county="Saginaw", cmhsp_name="Saginaw CMH",
    ))
    # 27. R12 (review): the PSP of case 13 registered again, with a preferred name added.
    add("reg_r12_registered_again", "docx", _at(4, 14), "needs_review", ["REG-R12"], reg_base(
        psp_preferred_name="Jordie",
        child_condition_sed=True,
        child_condition_autism=True,
        psp_signature_date="12/1/26",
        supervisor_signature_date="12/1/26",
        director_signature_date="12/2/26",
    ))
    return c


def write_cover_letter(out: Path) -> None:
    """A one-page letter with no form fields and no form marker."""
    c = Canvas(str(out), pagesize=letter, invariant=1)
    c.setTitle("Cover letter")
    c.setAuthor("Avery Sample")
    width, height = letter
    x, y = 72, height - 90
    c.setFont("Helvetica-Bold", 12)
    c.drawString(x, y, "Lakeview Example Family Services")
    c.setFont("Helvetica", 10)
    for line in ("1200 Example Avenue", "Lansing, MI 48910", "(517) 555-0190"):
        y -= 14
        c.drawString(x, y, line)
    y -= 36
    c.drawString(x, y, "November 30, 2026")
    y -= 30
    for line in ("Statewide PSP Coordinator", "Michigan Parent Support Partner Program"):
        c.drawString(x, y, line)
        y -= 14
    y -= 18
    c.drawString(x, y, "Dear Coordinator,")
    y -= 22
    body = (
        "Thank you for the information session last month. Our agency would like to bring Parent "
        "Support Partners to the families we serve, and our leadership team is now preparing the "
        "readiness plan. We expect to send it to you early next year, once our board has approved the "
        "positions. In the meantime, could you let us know whether the 2027 classroom trainings still "
        "have seats, and whether lodging is arranged by the program or by the agency? We would also "
        "welcome a short call with you to go over the supervision requirements."
    )
    for paragraph in (body, "Thank you for your help."):
        for line in simpleSplit(paragraph, "Helvetica", 10, width - 2 * x):
            c.drawString(x, y, line)
            y -= 14
        y -= 10
    y -= 10
    c.drawString(x, y, "Sincerely,")
    y -= 40
    c.drawString(x, y, "Avery Sample")
    y -= 14
    c.drawString(x, y, "Program Manager, avery.sample@example.org")
    c.showPage()
    c.save()


def all_cases() -> list[Case]:
    cases = orp_cases()
    first = cases[0]
    # 25. The first plan, sent again byte for byte, after the other plans and before any packet.
    resent = Case("orp_valid_cei_resent", "pdf", ORP, _at(2, 15), "duplicate", [], dict(first.values),
                  make=lambda out: shutil.copyfile(OUT / first.file, out))
    cases.append(resent)
    cases.extend(reg_cases())
    cases.append(Case("not_a_form_letter", "pdf", None, _at(4, 12), "needs_review", [], {},
                      make=write_cover_letter))
    return cases


def _check(cases: list[Case]) -> None:
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names repeat"
    times = [datetime.fromisoformat(c.received_at) for c in cases]
    assert len(times) == len(set(times)), "received_at repeats"
    plans = [t for c, t in zip(cases, times) if c.spec is ORP]
    packets = [t for c, t in zip(cases, times) if c.spec is REG]
    assert max(plans) < min(packets), "every plan must arrive before every packet"
    for case in cases:
        if case.spec is not None:
            assert list(case.values) == list(case.spec.widget_keys), f"{case.name}: widget keys differ"
        assert case.rules == sorted(case.rules)
        assert len(case.rules) <= 1


def main() -> None:
    cases = all_cases()
    _check(cases)
    OUT.mkdir(parents=True, exist_ok=True)
    for case in cases:
        out = OUT / case.file
        if case.make is not None:
            case.make(out)
        elif case.ext == "pdf":
            fill_pdf(FORMS / f"{case.spec.form_id}_{case.spec.version}.pdf", case.values, out)
        else:
            fill_docx(FORMS / f"{case.spec.form_id}_{case.spec.version}.docx", case.values, out)
        expected = {
            "file": case.file,
            "form_id": str(case.spec.form_id) if case.spec else None,
            "form_version": case.spec.version if case.spec else None,
            "received_at": case.received_at,
            "outcome": case.outcome,
            "rules": case.rules,
            "values": case.values,
        }
        (OUT / f"{case.name}.expected.json").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        ts = datetime.fromisoformat(case.received_at).timestamp()
        os.utime(out, (ts, ts))
        print(f"{case.file:40} {case.outcome:13} {', '.join(case.rules)}")


if __name__ == "__main__":
    main()
