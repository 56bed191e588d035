"""The coordinator's charts: well-formed inline SVG, drawn to scale, every label text, nothing
that a page's Content-Security-Policy would have to allow."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from pipeline.model import Outcome
from pipeline.report.plots import OUTCOME_COLORS, psps_per_stage, submissions_per_week

SVG = "{http://www.w3.org/2000/svg}"
MONDAY = date(2026, 11, 2)


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


def _nothing_active(svg: str) -> None:
    assert "<script" not in svg.lower() and "<style" not in svg.lower()
    assert not re.search(r"\s(on\w+|style|href|xlink:href)=", svg)


def test_weeks_stack_by_outcome_to_scale_with_empty_weeks_kept():
    rows = [
        (MONDAY, "accepted", 4),
        (MONDAY, "rejected", 2),
        (MONDAY + timedelta(weeks=2), "accepted", 8),
        (MONDAY + timedelta(weeks=2), "needs_review", 1),
        (MONDAY + timedelta(weeks=2), "accepted", 2),  # rows for the same week and outcome add up
    ]
    svg = submissions_per_week(rows)
    _nothing_active(svg)
    root = _parse(svg)
    bars = _bars(root)
    titles = [b.find(f"{SVG}title").text for b in bars]
    assert titles == [
        "Week of Nov 2, 2026: 4 accepted",
        "Week of Nov 2, 2026: 2 rejected",
        "Week of Nov 16, 2026: 10 accepted",
        "Week of Nov 16, 2026: 1 needs review",
    ]
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(2 * heights[1], rel=0.02)
    assert heights[2] == pytest.approx(10 * heights[3], rel=0.02)
    assert bars[0].get("fill") == OUTCOME_COLORS[Outcome.ACCEPTED]
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Nov 2", "Nov 9", "Nov 16"} <= set(labels)  # the empty week keeps its place
    assert "held" not in labels  # the legend names only outcomes that occur
    assert root.find(f"{SVG}title").text == "Submissions per week, by outcome"
    assert "17 submissions in 3 weeks" in root.find(f"{SVG}desc").text


def test_stages_keep_their_order_and_escape_their_names():
    hostile = '<script>alert(1)</script>"&'
    svg = psps_per_stage({"Registered": 40, "Classroom training done": 20, hostile: 0})
    _nothing_active(svg)
    root = _parse(svg)
    bars = _bars(root)
    assert [b.find(f"{SVG}title").text for b in bars] == ["Registered: 40", "Classroom training done: 20", f"{hostile}: 0"]
    assert float(bars[0].get("width")) == pytest.approx(2 * float(bars[1].get("width")))
    assert float(bars[2].get("width")) == 0
    assert hostile in [t.text for t in root.iter(f"{SVG}text")]


def test_empty_data_says_so():
    for svg, words in ((submissions_per_week([]), "No submissions"), (psps_per_stage({}), "No PSPs")):
        root = _parse(svg)
        assert any(words in (t.text or "") for t in root.iter(f"{SVG}text"))
        assert _bars(root) == []


def test_same_data_same_svg_and_unknown_outcomes_in_grey():
    rows = [(MONDAY, "accepted", 3), (MONDAY, "withdrawn", 1)]
    assert submissions_per_week(rows) == submissions_per_week(list(rows))
    bars = _bars(_parse(submissions_per_week(rows)))
    assert bars[-1].find(f"{SVG}title").text.endswith("1 withdrawn")


def test_two_charts_on_one_page_have_distinct_ids():
    a = submissions_per_week([(MONDAY, "accepted", 1)], ident="a")
    b = submissions_per_week([(MONDAY, "accepted", 1)], ident="b")
    ids = re.findall(r'id="([^"]+)"', a + b)
    assert len(ids) == len(set(ids)) == 4


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        submissions_per_week([(MONDAY, "accepted", -1)])
    with pytest.raises(ValueError):
        psps_per_stage({"Registered": -2})


def test_many_weeks_thin_out_their_labels():
    rows = [(MONDAY + timedelta(weeks=n), "accepted", n % 5 + 1) for n in range(104)]
    root = _parse(submissions_per_week(rows))
    assert len(_bars(root)) == 104
    week_labels = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "middle"]
    assert 5 <= len(week_labels) <= 14
