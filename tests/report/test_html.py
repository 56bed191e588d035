"""The run report as written (no browser): its policy, its script beside it, every untrusted
value escaped, the data the page draws from, and its JSON twin."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from pipeline.report.html import _static
from pipeline.report.models import DocumentReport
from pipeline.report.page_data import client_data
from tests.report.conftest import HOSTILE


class _Scan(HTMLParser):
    """Every tag with its attributes, and the text of each script element."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            self._attrs = dict(attrs)
            self._text = ""

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._in == "script":
            self.scripts.append((self._attrs, self._text))
        elif tag == self._in == "style":
            self.styles.append(self._text)
        if tag == self._in:
            self._in = None


def _scan(page: str) -> _Scan:
    scan = _Scan()
    scan.feed(page)
    return scan


def _data(page: str) -> dict:
    """The page's data block, as its script reads it."""
    (text,) = [text for attrs, text in _scan(page).scripts if attrs.get("type") == "application/json"]
    return json.loads(text)


def _policy(scan: _Scan) -> dict[str, str]:
    meta = next(a for t, a in scan.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    return {d.split()[0]: " ".join(d.split()[1:]) for d in meta["content"].split(";") if d.strip()}


def test_the_policy_allows_only_scripts_beside_the_page_and_the_style_by_its_hash(demo_home):
    page = (demo_home.data_home.reports / "latest.html").read_text("utf-8")
    scan = _scan(page)
    policy = _policy(scan)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'none'"
    (style,) = scan.styles
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"
    # One data block (not run) and one script file, which sits beside the page.
    kinds = [(a.get("type"), a.get("src")) for a, _ in scan.scripts]
    assert kinds[0] == ("application/json", None)
    assert kinds[1][0] is None and re.fullmatch(r"report-[0-9a-f]{10}\.js", kinds[1][1])
    assert (demo_home.data_home.reports / kinds[1][1]).read_text("utf-8") == _static("report.js")
    assert not any(text.strip() for a, text in scan.scripts if a.get("src"))


def test_no_event_handler_and_no_inline_script_in_page_or_script(demo_home, hostile_report):
    for page_path in (demo_home.data_home.reports / "latest.html", hostile_report):
        scan = _scan(page_path.read_text("utf-8"))
        for tag, attributes in scan.tags:
            assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
            assert "javascript:" not in " ".join(str(v) for v in attributes.values()).lower()
    script = _static("report.js")
    assert "innerHTML" not in script and "outerHTML" not in script and "insertAdjacentHTML" not in script
    assert "eval(" not in script and "new Function" not in script and "document.write" not in script


def test_hostile_values_are_escaped_everywhere(hostile_report):
    page = hostile_report.read_text("utf-8")
    for value in HOSTILE.values():
        assert value not in page
    scan = _scan(page)
    # Nothing from the data reached the markup as a tag: only the page's own elements.
    assert {t for t, _ in scan.tags} <= {
        "html", "head", "meta", "title", "style", "body", "header", "h1", "p", "nav", "a", "section", "h2",
        "table", "thead", "tr", "th", "tbody", "td", "span", "code", "div", "script", "ol", "li", "br", "strong",
    }
    assert len(scan.scripts) == 2
    # The data block holds the values intact, as JSON text that cannot end the block.
    (data_text,) = [text for a, text in scan.scripts if a.get("type") == "application/json"]
    assert "<" not in data_text and ">" not in data_text
    data = json.loads(data_text)
    first = data["docs"][0]
    assert first["file"] == HOSTILE["img"] + ".pdf"
    shown = [v[0] for v in first["values"]]
    assert HOSTILE["script"] in shown and HOSTILE["img"] in shown and HOSTILE["close"] in shown
    # The waiting list travels in the data block too, intact.
    assert data["waiting"][0]["reason"] == HOSTILE["script"] + HOSTILE["img"]


def test_the_page_data_follows_the_form_layout(demo_home):
    report = json.loads(max(demo_home.data_home.reports.glob("run-*.json")).read_text("utf-8"))
    data = client_data(DocumentReport.model_validate(d) for d in report["documents"])
    assert set(data["forms"]) == {"PSP-ORP", "PSP-REG"}
    for doc, full in zip(data["docs"], report["documents"], strict=True):
        assert doc["id"] == full["id"] and doc["outcome"] == full["outcome"]
        fields = [f for s in full["sections"] for f in s["fields"]]
        assert len(doc["values"]) == len(fields)
        for value, field in zip(doc["values"], fields, strict=True):
            assert value[0] == field["shown"]
            assert data["places"][value[1]] == field["where"]
            assert (value[2] if len(value) > 2 else 1.0) == field["confidence"]
            assert (value[3] if len(value) > 3 else field["shown"]) == field["read"]


def test_the_waiting_list_comes_first_oldest_first(demo_home):
    page = (demo_home.data_home.reports / "latest.html").read_text("utf-8")
    assert page.index('id="needs-a-person"') < page.index('id="counts"') < page.index('id="documents"')
    assert 'id="wait-list"' in page[page.index('id="needs-a-person"'):page.index('id="counts"')]
    report = json.loads(max(demo_home.data_home.reports.glob("run-*.json")).read_text("utf-8"))
    waiting = _data(page)["waiting"]
    assert [w["id"] for w in waiting] == [w["id"] for w in report["waiting"]]
    # The demo is one run: each waiting document links to its details on this page.
    assert [w["href"] for w in waiting] == [f"#doc-{w['id']}" for w in report["waiting"]]


def test_an_older_page_keeps_its_script(tmp_path: Path):
    from pipeline.report.html import install_script

    name = install_script(tmp_path)
    (tmp_path / "report-0000000000.js").write_text("// an older version", "utf-8")
    assert install_script(tmp_path) == name
    assert (tmp_path / "report-0000000000.js").read_text("utf-8") == "// an older version"


def test_a_report_put_together_a_document_at_a_time_is_the_whole_of_it(demo_home, tmp_path: Path):
    """``RunReport`` keeps documents in temporary files, not in memory: the page's data and the JSON
    twin it writes are what one ``client_data`` and one JSON document of the whole list would be."""
    from datetime import UTC, datetime

    from pipeline.report.html import RunReport

    written = json.loads(max(demo_home.data_home.reports.glob("run-*.json")).read_text("utf-8"))["documents"]
    documents = [DocumentReport.model_validate(d) for d in written]
    report = RunReport(tmp_path)
    for document in documents:
        report.add(document)
    moment = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    page_path, twin_path = report.write(run_id=7, started_at=moment, finished_at=moment, waiting=[],
                                        zone=demo_home.zone)
    assert len(report) == len(documents) and report.documents() == documents
    assert report.documents()[-1] == documents[-1] and report.documents()[:2] == documents[:2]
    twin = json.loads(twin_path.read_text("utf-8"))
    assert twin["documents"] == written and list(twin)[-1] == "documents"  # read back and written again, the same
    assert sum(twin["counts"].values()) == len(documents)
    data_script = next(text for attrs, text in _scan(page_path.read_text("utf-8")).scripts if attrs.get("type") == "application/json")
    assert json.loads(data_script) == client_data(documents)
    assert (tmp_path / "latest.html").read_bytes() == page_path.read_bytes()
    report.close()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".js")) == [
        "index.html", "index.json", "latest.html", page_path.name, twin_path.name]
