"""Which form, and which version, a document is: by the marker line in its footer, otherwise by
its widget names or its printed labels (a form retyped into an agency's own document keeps the
labels). A document that matches neither form is unknown and goes to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.extract.base import RawDocument
from pipeline.extract.labels import label_coverage
from pipeline.model import ExtractionProblem
from schemas.spec import FormSpec, all_form_specs

MARKER = re.compile(r"Form\s+(PSP-[A-Z]{3})\s+version\s+([0-9][0-9A-Za-z.\-]*[0-9A-Za-z])", re.IGNORECASE)

# A document whose widget names cover this share of a form's widgets is that form.
WIDGET_MATCH_SHARE = 0.8
# A document printing this share of a form's labels is that form, when it prints clearly more of
# them than of the other form's (the two forms share a few labels: supervisor, CMHSP...).
LABEL_MATCH_SHARE = 0.5
LABEL_MATCH_LEAD = 0.2
# A marker misread on a picture names the form when this share of its labels is printed too.
MISREAD_MARKER_LABELS = 0.6


@dataclass(frozen=True)
class Recognition:
    spec: FormSpec | None
    version: str | None
    problem: ExtractionProblem | None = None
    detail: str | None = None


def _misread_version(marker: re.Match[str], text: str, specs: dict[str, FormSpec]) -> bool:
    """Whether a marker read by OCR names a known form with its version's digits, its dot misread
    ("2025 1", "2025,1" for "2025.1"): the same characters once the punctuation is set aside."""
    spec = specs.get(marker.group(1).upper())
    if spec is None:
        return False
    wanted = re.sub(r"\W", "", spec.version)
    following = re.sub(r"\W", "", text[marker.start(2) : marker.start(2) + len(spec.version) + 2])
    if following.startswith(wanted) and following[len(wanted) : len(wanted) + 1] in ("", "P", "p"):
        return True
    # one digit misread ("2025.4" for "2025.1": a 1 and a 4 look alike on a fax), the rest as printed
    read = marker.group(2)
    return len(read) == len(spec.version) and sum(a != b for a, b in zip(read, spec.version, strict=True)) == 1 and all(
        a.isdigit() and b.isdigit() for a, b in zip(read, spec.version, strict=True) if a != b)


def _by_marker(raw: RawDocument, specs: dict[str, FormSpec]) -> Recognition | None:
    """The form and version the document's marker names; None when it prints no marker."""
    markers = list(MARKER.finditer(raw.marker_text or ""))
    recognised = raw.layout is not None and raw.layout.recognised
    # On a picture every page prints the marker: one that names a form and version read here
    # decides (recognition may misread one page's "2025.1" as "2025 1" and read the next one
    # right). A file's own text says what it says: its first marker decides (a page of another
    # version inside it is not taken for this one).
    known = [m for m in markers if recognised and (spec := specs.get(m.group(1).upper())) is not None
             and m.group(2) == spec.version]
    if not known and recognised:
        misread = [m for m in markers if _misread_version(m, raw.marker_text, specs)
                   and label_coverage(raw.layout, specs[m.group(1).upper()]) >= MISREAD_MARKER_LABELS]
        if misread:
            spec = specs[misread[0].group(1).upper()]
            return Recognition(spec, spec.version)
    marker = known[0] if known else (markers[0] if markers else None)
    if marker is None:
        return None
    form_id, version = marker.group(1).upper(), marker.group(2)
    spec = specs.get(form_id)
    if spec is None:
        return Recognition(None, None, ExtractionProblem.UNKNOWN_FORM, f"the marker names an unknown form {form_id}")
    if version != spec.version:
        return Recognition(
            spec,
            version,
            ExtractionProblem.UNKNOWN_VERSION,
            f"{form_id} version {version} is not a version this pipeline reads (it reads {spec.version})",
        )
    return Recognition(spec, version)


def recognise(raw: RawDocument) -> Recognition:
    """Which form and version ``raw`` is, by its marker, else its widget names, else its labels;
    a recognition with a problem (and why) when none of them tells."""
    specs = {spec.form_id.value: spec for spec in all_form_specs()}
    by_marker = _by_marker(raw, specs)
    if by_marker is not None:
        return by_marker

    names = set(raw.widgets)
    best: tuple[float, FormSpec | None] = (0.0, None)
    for spec in specs.values():
        share = len(names & set(spec.widget_keys)) / len(spec.widget_keys)
        best = max(best, (share, spec), key=lambda item: item[0])
    share, spec = best
    if spec is not None and share >= WIDGET_MATCH_SHARE:
        # No marker: the widget names say which form; the version is the only one that has them.
        return Recognition(spec, spec.version)

    label_shares: list[tuple[float, FormSpec]] = []
    if raw.layout is not None:
        label_shares = sorted(((label_coverage(raw.layout, s), s) for s in specs.values()), key=lambda item: -item[0])
        top_share, top_spec = label_shares[0]
        runner_up = label_shares[1][0] if len(label_shares) > 1 else 0.0
        if top_share >= LABEL_MATCH_SHARE and top_share - runner_up >= LABEL_MATCH_LEAD:
            # No marker: the printed labels say which form (a form retyped in an agency's own document).
            return Recognition(top_spec, top_spec.version)
    labels = f", at most {label_shares[0][0]:.0%} of either form's labels" if label_shares else ""
    return Recognition(
        None,
        None,
        ExtractionProblem.UNKNOWN_FORM,
        "this is neither the PSP Organizational Readiness Plan nor the Registration Packet "
        f"(no form marker; {len(names)} form fields, at most {share:.0%} of either form's{labels})",
    )

