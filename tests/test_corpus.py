"""The real-world corpus (../shared/corpus/real-world: 144 files written by other projects,
encrypted, truncated, fuzzed, XFA, huge, Strict OOXML, legacy form fields, an XXE probe): every
file gets exactly one clear outcome with its reason, none is accepted, and the run finishes."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from pipeline.load import queries, store
from pipeline.run import process
from pipeline.settings import Settings

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real-world"
MANIFEST = CORPUS / "MANIFEST.tsv"

pytestmark = pytest.mark.skipif(
    not MANIFEST.is_file() and os.environ.get("CI") != "true",
    reason="the shared real-world corpus is not beside this checkout",
)


def manifest() -> list[dict[str, str]]:
    with MANIFEST.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_corpus_file_gets_one_clear_outcome_and_none_is_accepted(tmp_path, database_url, capsys):
    rows = manifest()
    assert len(rows) == 144
    settings = Settings(home=tmp_path / "home", database_url=database_url, settle_seconds=0, extract_timeout_seconds=30)
    inbox = settings.data_home.inbox
    inbox.mkdir(parents=True)
    for row in rows:
        source = CORPUS / row["file"]
        assert hashlib.sha256(source.read_bytes()).hexdigest() == row["sha256"], row["file"]
        shutil.copy2(source, inbox / row["file"])

    summary = process(settings)

    engine = store.open_store(settings.store_url)
    exported = list(queries.export_rows(engine))
    engine.dispose()
    # An email's attachments are documents of their own ("mail.eml/attachment"): group by inbox file.
    by_file: dict[str, list[dict]] = {}
    for row in exported:
        by_file.setdefault(row["file"].split("/")[0], []).append(row)
    assert set(by_file) == {row["file"] for row in rows}
    assert not [p for p in inbox.rglob("*") if p.is_file()]
    table = []
    for row in rows:
        for document in by_file[row["file"]]:
            assert document["outcome"] != "accepted", document["file"]
            if document["outcome"] != "duplicate":
                assert document["findings"] and document["findings"][0]["message"], document["file"]
            reason = document["findings"][0]["message"] if document["findings"] else "same bytes as an earlier file"
            table.append((document["file"], row["kind"], document["outcome"], reason))
    counts = Counter(outcome for _, _, outcome, _ in table)
    lines = ["| file | kind | outcome | reason |", "|---|---|---|---|"]
    lines += [f"| {f} | {k} | {o} | {r[:100]} |" for f, k, o, r in table]
    with capsys.disabled():  # the outcome of every corpus file, in the test output itself
        print(f"\n\ncorpus: {len(rows)} files, {len(table)} documents, outcomes {dict(counts)}")
        print("\n".join(lines))
    assert summary.total == len(table)
