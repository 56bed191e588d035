"""pipeline.load.forget_check: the self-check that ends ``forget``: the person's email, name and own
file names looked for in every way the pipeline and Prefect write them (HTML, JSON once or nested,
the page's data, markdown), in any case, and each find said as left or as in another's record.
Everything a forget must reach is attacked in tests/attacks/test_forget_everything.py."""

from __future__ import annotations

import html
import json

from pipeline.load.forget import Person
from pipeline.load.forget_check import (
    CHUNK,
    Check,
    Found,
    Needles,
    person_needles,
    self_check,
    variants,
)
from tests.load.conftest import FORGOTTEN_EMAIL


def test_a_value_is_looked_for_as_every_writer_writes_it():
    name = 'Jordan "Jo" <Example>'
    written = variants(name)
    assert name in written
    assert html.escape(name) in written and html.escape(name, quote=False) in written  # a report page
    assert json.dumps(name)[1:-1] in written  # a JSON twin
    assert json.dumps(json.dumps(name)[1:-1])[1:-1] in written  # JSON in JSON: Prefect's events
    assert "Jordan \\\"Jo\\\" \\u003cExample\\u003e" in written  # the page's data block
    assert "Jordan \"Jo\" \\<Example\\>" in written  # Prefect's markdown
    assert variants("Avery\u202eSample") >= {"Avery\u27e8U+202E\u27e9Sample"}  # shown, not obeyed
    assert variants("   ") == set()


def test_needles_are_found_in_any_case_and_blank_values_nowhere(tmp_path):
    needles = Needles([("the email", "Jordan.Example@Example.org"), ("the name", ""), ("the name", "Jordan Example")])
    assert needles.in_text("Sent by JORDAN.EXAMPLE@example.ORG") == {"the email"}
    assert needles.in_bytes(b"<td>jordan example</td>") == {"the name"}
    assert needles.in_text("Avery Sample") == set()
    assert Needles([("nothing", " ")]).in_text("anything at all") == set()


def test_a_value_across_two_chunks_of_a_file_is_found(tmp_path):
    import hashlib

    path = tmp_path / "large.bin"
    data = b"x" * (CHUNK - 5) + b"jordan.example@example.org" + b"y" * 100
    path.write_bytes(data)
    digest = hashlib.sha256()
    assert Needles([("the email", FORGOTTEN_EMAIL)]).in_file(path, digest=digest) == {"the email"}
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()  # the bytes were fed to it as read


def test_the_person_is_looked_for_by_email_names_and_own_file_names():
    person = Person(FORGOTTEN_EMAIL, ("Jordan Example",), {7: "jordan-packet.docx"}, frozenset(), frozenset(),
                    frozenset(), frozenset(), ("jordan-packet.docx",))
    needles = person_needles(person)
    found = needles.in_text("jordan example sent jordan-packet.docx from jordan.example@example.org")
    assert found == {"the email", "the name", "the file name 'jordan-packet.docx'"}


def test_finds_are_left_or_in_another_s_record_in_a_steady_order():
    check = Check("the email")
    check.add_each("reports/run-00001.html", {"the name", "the email"})
    check.add_each("originals/held/dana.pdf", {"the name"}, "Dana's registration packet", other=True)
    assert [found.line() for found in check.left] == ["reports/run-00001.html: the email",
                                                      "reports/run-00001.html: the name"]
    (other,) = check.in_others
    assert other.line() == "originals/held/dana.pdf: the name (Dana's registration packet)"
    assert Found("store", "the email").line() == "store: the email"


def test_before_a_forget_the_person_is_everywhere_and_the_check_says_where_and_what_it_could_not_search(
    forgettable, settings
):
    person, engine = forgettable
    check = self_check(person, engine, settings.data_home.root, store_deleted=False)
    assert check.searched == "the email, the name and 1 file name(s)"
    places = {found.where.split(":")[0] for found in check.left}
    assert any(place.startswith("reports/") for place in places)
    assert any("store" in found.where for found in check.left)  # its rows
    if engine.dialect.name == "postgresql":  # its files cannot be searched from here: said what to do
        assert "VACUUM FULL" in " ".join(check.notes)
    else:
        assert check.notes == []

    # What could not be searched is said, and the check goes on.
    class Unreachable:
        where = "Prefect's server at http://127.0.0.1:9/api"
        events_note = None

        def leftovers(self, match, reports):
            raise OSError("connection refused\nby the host")

    check = self_check(person, engine, settings.data_home.root, artifacts=Unreachable(), store_deleted=False)
    said = "Prefect's server at http://127.0.0.1:9/api could not be searched (connection refused by the host)"
    assert said in check.notes
    assert check.left  # the rest was searched all the same
    without = self_check(person, engine, settings.data_home.root, prefect_note="no Prefect database here",
                         store_deleted=False)
    assert "no Prefect database here" in without.notes
