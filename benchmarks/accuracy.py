"""How exactly the pipeline reads the forms however they arrive, and whether it decides safely.

    .venv/bin/python benchmarks/accuracy.py [--corpus DIR] [--rendition NAME ...] [--keep DIR] [--seed N]
    .venv/bin/python benchmarks/accuracy.py --truth ../shared/corpus/as-received [--rendition none]

Generates a corpus of renditions of the sample submissions (``samples/renditions.py``: fillable
and flattened PDFs, Word forms typed over, re-saved or saved as PDF, legacy form fields, retyped
documents, emails; the forms printed, signed by hand and scanned, faxed or photographed; saved as
.doc, .rtf or .odt...), runs the whole pipeline on each rendition's documents in a data home of its
own (``pipeline.run.process``, no Prefect), and prints a markdown table per rendition:

* field accuracy: every widget value read as filled (whitespace aside: a line break a rendition
  itself drops is not a reading error; a field expected empty may also be absent; a signature
  signed by hand, ``signed_by_hand``, is right when read as signed, whatever its letters);
* outcome agreement: the outcome expected for the document (its case's; needs_review for the
  scan too poor to read and for documents whose labels were reworded) or one of its
  ``outcome_alternatives`` (needs_review for a scan, a fax or a photo: a person may look where the
  reading is uncertain);
* of it, the case's own: the documents decided as the case itself (not by an alternative): a scan
  sent to a person where the clean form would be accepted agrees, but is not the case's own;
* to a person instead: needs_review or held where the expected outcome was another (safe: a
  person decides);
* wrongly decided: accepted when it should not be (false accepts), or rejected when it should not
  be or for other rules (false rejections). This must be 0.

``--truth DIR`` also scores a folder of documents as agencies sent them, with what a careful person
reads from each (``DIR/inbox`` and ``DIR/truth.json``, as ``../shared/corpus/as-received``): staged
with each file's received time, run through the pipeline, and compared field by field with the
store's normalised values (phones by their digits, numbers by value, signatures as signed or not),
per rendition as the truth names it (its scans and faxes as ``scanned``). An outcome agrees when it
is the expected one or one of its alternatives and, for a decided one, cites the rules required and
no others than those allowed.

Needs LibreOffice, qpdf and Tesseract (``make system-deps``). Takes a few minutes on two cores,
more with the scans, faxes and photos (read by OCR: about 2 s a page).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from pipeline.load import store  # noqa: E402
from pipeline.run import process  # noqa: E402
from pipeline.settings import Settings  # noqa: E402
from samples.renditions import ALL_RENDITIONS, generate  # noqa: E402
from schemas.values import split_list  # noqa: E402

DECIDED = {"accepted", "rejected"}


def signed(read: Any) -> bool:
    """A signature read as there: a name, whatever its letters (ink read by OCR), or a mark that it is."""
    return read is True or (isinstance(read, str) and bool(read.strip()))


def same(expected: Any, read: Any) -> bool:
    """A value read as filled: whitespace aside; a text field expected empty may be absent (a box may not)."""
    if isinstance(expected, bool):
        return read is expected
    if expected in ("", None):
        return read in (None, "", False)
    if not isinstance(read, str):
        return False
    return "".join(expected.split()) == "".join(read.split())


@dataclass
class Tally:
    documents: int = 0
    fields: int = 0
    fields_right: int = 0
    agree: int = 0
    exact: int = 0  # the case's own outcome, not an alternative: a scan decided as the clean form would be
    deferred: int = 0
    wrong: int = 0
    false_accepts: int = 0
    false_rejections: int = 0
    seconds: float = 0.0
    misses: list[str] = field(default_factory=list)

    def decided_wrongly(self, name: str, outcome: str, detail: str) -> None:
        self.wrong += 1
        if outcome == "accepted":
            self.false_accepts += 1
        else:
            self.false_rejections += 1
        self.misses.append(f"{name}: {detail}")


def expectations(folder: Path) -> list[dict[str, Any]]:
    """Every document expected in a rendition's folder (an email's attachments each)."""
    found = []
    for path in sorted(folder.glob("*.expected.json")):
        data = json.loads(path.read_text("utf-8"))
        found.extend(data.get("attachments", [data]))
    return found


def stored_documents(settings: Settings) -> dict[str, dict[str, Any]]:
    engine = store.open_store(settings.store_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(store.ReceivedFileRow, store.Document).join(
                    store.Document, store.ReceivedFileRow.document_id == store.Document.id
                )
            )
            return {
                receipt.original_name: {
                    "outcome": receipt.outcome,
                    "extraction": document.extraction,
                    "findings": document.findings,
                    "kind": document.kind,
                    "values": document.values,
                }
                for receipt, document in rows
            }
    finally:
        engine.dispose()


def run_rendition(folder: Path, home: Path) -> tuple[Tally, float]:
    shutil.rmtree(home, ignore_errors=True)  # a fresh data home: nothing on file yet
    settings = Settings(home=home, workers=2, database_url=None)
    inbox = settings.data_home.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    for path in folder.iterdir():
        if not path.name.endswith(".expected.json"):
            target = inbox / path.name
            shutil.copy2(path, target)
    started = time.perf_counter()
    process(settings)
    elapsed = time.perf_counter() - started
    stored = stored_documents(settings)
    tally = Tally(seconds=elapsed)
    for expected in expectations(folder):
        tally.documents += 1
        name = expected["file"]
        got = stored.get(name)
        if got is None:
            tally.wrong += 1
            tally.misses.append(f"{name}: not processed")
            continue
        by_hand = set(expected.get("signed_by_hand", []))
        if expected["values"] is not None:
            for key, value in expected["values"].items():
                read = (got["extraction"].get(key) or {}).get("value")
                tally.fields += 1
                if signed(read) if key in by_hand else same(value, read):
                    tally.fields_right += 1
                else:
                    tally.misses.append(f"{name}: {key} read {read!r}, filled {value!r}")
        rules = sorted({f["rule"] for f in got["findings"] if f.get("rule")})
        outcome = got["outcome"]
        allowed = {expected["outcome"], *expected.get("outcome_alternatives", [])}
        if outcome in allowed and (outcome not in DECIDED or rules == expected["rules"]):
            tally.agree += 1
            tally.exact += outcome == expected["outcome"]
        elif outcome in DECIDED:
            tally.decided_wrongly(name, outcome, f"{outcome} {rules}, expected {sorted(allowed)} {expected['rules']}")
        else:
            tally.deferred += 1
            reasons = "; ".join(f"{f.get('label') or f.get('rule')}: {f['message']}"[:90] for f in got["findings"][:2])
            tally.misses.append(f"{name}: {outcome} instead of {expected['outcome']} ({reasons})")
    return tally, elapsed


def truth_value(expected: Any, stored: Any) -> bool:
    """A normalised value as a careful person reads it (``truth.json``) against the store's."""
    if isinstance(expected, bool) or expected is None:
        if expected is True and isinstance(stored, str):
            return bool(stored.strip())  # a signature: signed
        return stored == expected or (expected is None and stored in ("", [], False))
    if isinstance(expected, (int, float)):
        try:
            return float(stored) == float(expected)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, list):
        if isinstance(stored, str):  # kept as written when it did not parse (a county of another state)
            stored = [re.sub(r"\s+count(y|ies)$", "", part, flags=re.IGNORECASE) for part in split_list(stored)]
        return isinstance(stored, list) and sorted(map(str, stored)) == sorted(map(str, expected))
    if isinstance(stored, str) and expected.isdigit() and len(expected) == 10:
        return "".join(ch for ch in stored if ch.isdigit()) == expected  # a phone, by its digits
    return isinstance(stored, str) and " ".join(stored.split()) == " ".join(str(expected).split())


def stage_truth(folder: Path, inbox: Path) -> list[dict[str, Any]]:
    """The folder's files in ``inbox``, each with its received time; returns the truth's documents."""
    documents = json.loads((folder / "truth.json").read_text("utf-8"))["documents"]
    received: dict[str, float] = {}
    for document in documents:
        name = document["file"].split("/")[0]  # an email's attachments are 'mail.eml/attachment'
        when = datetime.fromisoformat(document["received"]).timestamp()
        received[name] = min(when, received.get(name, when))
    inbox.mkdir(parents=True, exist_ok=True)
    for source in sorted((folder / "inbox").iterdir()):
        shutil.copyfile(source, inbox / source.name)
        if source.name in received:
            os.utime(inbox / source.name, (received[source.name], received[source.name]))
    return documents


def run_truth(folder: Path, home: Path) -> dict[str, Tally]:
    """Score the pipeline on a folder of documents with what a careful person reads from each."""
    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home, workers=2, database_url=None)
    documents = stage_truth(folder, settings.data_home.inbox)
    started = time.perf_counter()
    process(settings)
    elapsed = time.perf_counter() - started
    stored = stored_documents(settings)
    tallies: dict[str, Tally] = {}
    for expected in documents:
        tally = tallies.setdefault(expected["rendition"], Tally())
        tally.seconds += elapsed / len(documents)
        tally.documents += 1
        name = expected["file"]
        got = stored.get(name)
        if got is None:
            tally.decided_wrongly(name, "", "not processed")
            continue
        if expected.get("score_fields", True) and expected.get("form_id"):
            for key, value in expected["fields"].items():
                tally.fields += 1
                read = got["values"].get(key)
                if "county" in key and isinstance(read, str):  # the truth names a county without "County"
                    read = re.sub(r"\s+county$", "", read, flags=re.IGNORECASE)
                if truth_value(value, read):
                    tally.fields_right += 1
                else:
                    tally.misses.append(f"{name}: {key} read as {str(read)[:40]!r}, a person reads {str(value)[:40]!r}")
        allowed = {expected["outcome"], *expected.get("outcome_alternatives", [])}
        rules = {f["rule"] for f in got["findings"] if f.get("rule")}
        required, optional = set(expected.get("rules", [])), set(expected.get("rules_optional", []))
        outcome = got["outcome"]
        rules_right = outcome not in DECIDED or required <= rules <= required | optional
        if outcome in allowed and rules_right:
            tally.agree += 1
            tally.exact += outcome == expected["outcome"]
        elif outcome in DECIDED:
            tally.decided_wrongly(name, outcome, f"{outcome} {sorted(rules)}, expected {sorted(allowed)} {sorted(required)}")
        else:
            tally.deferred += 1
            reasons = "; ".join(f"{f.get('label') or f.get('rule')}: {f['message']}"[:90] for f in got["findings"][:2])
            tally.misses.append(f"{name}: {outcome} instead of {expected['outcome']} ({reasons})")
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    lines = [
        "| rendition | documents | fields read as filled | outcome agreement | of it, the case's own | to a person instead "
        "| false accepts | false rejections |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    total = Tally()
    for name, t in tallies.items():
        accuracy = f"{t.fields_right / t.fields:.2%} ({t.fields_right}/{t.fields})" if t.fields else "n/a (none scored)"
        lines.append(
            f"| {name} | {t.documents} | {accuracy} | {t.agree / t.documents:.1%} | {t.exact / t.documents:.1%} | {t.deferred} "
            f"| {t.false_accepts} | {t.false_rejections} |"
        )
        for attr in ("documents", "fields", "fields_right", "agree", "exact", "deferred", "wrong", "false_accepts",
                     "false_rejections"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
    lines.append(
        f"| **all** | {total.documents} | {total.fields_right / max(total.fields, 1):.2%} | "
        f"{total.agree / max(total.documents, 1):.1%} | {total.exact / max(total.documents, 1):.1%} | {total.deferred} | "
        f"{total.false_accepts} | {total.false_rejections} |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Field accuracy and outcome agreement per rendition.")
    parser.add_argument("--corpus", type=Path, help="use renditions already generated here (else generate them)")
    parser.add_argument("--rendition", action="append", choices=[*ALL_RENDITIONS, "none"],
                        help="only these (repeatable); 'none' with --truth scores only that folder")
    parser.add_argument("--truth", type=Path, action="append", default=[],
                        help="also score this folder (inbox/ and truth.json, as ../shared/corpus/as-received)")
    parser.add_argument("--keep", type=Path, help="keep the corpus and the data homes here")
    parser.add_argument("--show-misses", type=int, default=5, help="misreadings to list per rendition")
    parser.add_argument("--seed", type=int, default=2025, help="another seed, other layouts and box styles")
    args = parser.parse_args(argv)
    renditions = [r for r in args.rendition or ALL_RENDITIONS if r != "none"]

    work = args.keep or Path(tempfile.mkdtemp(prefix="psp-accuracy-"))
    corpus = args.corpus or work / "corpus"
    started = time.perf_counter()
    if args.corpus is None and renditions:
        generate(corpus, renditions, seed=args.seed)
    generated = time.perf_counter() - started

    tallies: dict[str, Tally] = {}
    for name in renditions:
        tally, _ = run_rendition(corpus / name, work / "homes" / name)
        tallies[name] = tally
    for folder in args.truth:
        scored = run_truth(folder, work / "homes" / f"truth-{folder.name}")
        if renditions:
            print(f"### {folder.name}\n\n{table(scored)}\n")
        tallies.update({f"{folder.name}: {name}": t for name, t in scored.items()})
    total = time.perf_counter() - started
    print(table(tallies))
    documents = sum(t.documents for t in tallies.values())
    print(f"\n{documents} documents; corpus generated in {generated:.0f} s, pipeline runs {total - generated:.0f} s.")
    wrong = sum(t.wrong for t in tallies.values())
    for name, t in tallies.items():
        if t.misses and args.show_misses:
            print(f"\n{name}:")
            for miss in t.misses[: args.show_misses]:
                print(f"  - {miss}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
