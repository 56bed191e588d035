"""How long the review desk's queue page (GET /) takes with 10,000 documents in the store.

Fills a fresh data home's store through the pipeline's own ``program.record_batch`` with a first
set of documents (the coordinator overview benchmark's: plans and packets over every agency, many
packets held under REG-R10 or REG-R11, some needing review or rejected), then copies their rows
(documents and received files, each copy with a sha256, a name, a PSP and a time of its own)
until the store holds ``--documents``. Then asks the desk's app, through FastAPI's TestClient
signed in as a reviewer, for the queue as it opens, searched and filtered, and prints each
page's median time, its size and how many documents it lists. The generator's mix leaves three
documents in four waiting (7,500 of 10,000: far more than an office has); ``--waiting N``
decides all but N of them first.

    .venv/bin/python benchmarks/desk_queue.py [--documents 10000] [--recorded 1000] [--runs 5] [--waiting N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from benchmarks.overview_scale import documents  # noqa: E402
from pipeline.desk.app import create_app  # noqa: E402
from pipeline.desk.auth import add_user  # noqa: E402
from pipeline.load import program, store  # noqa: E402
from pipeline.load.accounts import Role  # noqa: E402
from pipeline.load.search_text import search_text  # noqa: E402
from pipeline.service import open_desk  # noqa: E402
from pipeline.settings import Settings  # noqa: E402

PASSWORD = "benchmark password"
TARGET_MS = 300
PAGES = {
    "the queue as it opens": "/",
    "searched for a name (folded: 'pat12')": "/?q=pat12",
    "searched for a city, no accent ('MASON')": "/?q=MASON",
    "searched for nothing there is": "/?q=zzzzzz",
    "filtered: packets held under REG-R11": "/?form=PSP-REG&outcome=held&rule=REG-R11",
    "filtered by agency and age, and searched":
        "/?agency=Community%20Mental%20Health%20Authority%20of%20Clinton-Eaton-Ingham%20Counties&older_than=1&q=example.org",
}


def record(desk, count: int, folder: Path) -> None:
    """``count`` documents recorded as a run records them."""
    reference = desk.validation.reference
    run_id = store.start_run(desk.engine)
    batch: list = []
    for document in documents(count, reference.cmhsps, sorted(reference.sessions)):
        batch.append(document)
        if len(batch) == 200:
            program.record_batch(desk.engine, run_id, batch, desk.validation, lambda r, o: folder / o.value / r.original_name)
            batch = []
    if batch:
        program.record_batch(desk.engine, run_id, batch, desk.validation, lambda r, o: folder / o.value / r.original_name)


def copy_rows(engine, total: int) -> None:
    """The documents recorded, copied row by row until the store holds ``total`` documents: each
    copy a document and its received file, with a sha256, a file name, a PSP and a time of its own."""
    documents_table, receipts_table = store.Document.__table__, store.ReceivedFileRow.__table__
    with Session(engine) as session:
        originals = session.execute(select(documents_table)).mappings().all()
        receipts = {r["document_id"]: r for r in session.execute(select(receipts_table)).mappings().all()}
        next_id = session.scalar(select(func.max(documents_table.c.id))) + 1
        copies, copied_receipts = [], []
        copy = 0
        while len(originals) + len(copies) < total:
            source = originals[copy % len(originals)]
            receipt = receipts[source["id"]]
            number = next_id + len(copies)
            values = dict(source["values"] or {})
            if "psp_first_name" in values:
                values.update(psp_first_name=f"Pat{number}", psp_email=f"pat{number}@example.org")
            sha = f"{number:064x}"
            copies.append({**source, "id": number, "sha256": sha, "values": values, "superseded_by_id": None,
                           "search_text": search_text(values, source["extraction"])})
            copied_receipts.append({**receipt, "id": None, "document_id": number, "sha256": sha,
                                    "original_name": f"copy-{number:06d}-{receipt['original_name']}",
                                    "received_at": receipt["received_at"] - timedelta(minutes=copy)})
            copy += 1
        for start in range(0, len(copies), 1000):
            session.execute(insert(documents_table), copies[start:start + 1000])
            session.execute(insert(receipts_table), [{k: v for k, v in r.items() if k != "id"}
                                                     for r in copied_receipts[start:start + 1000]])
        session.commit()


def keep_waiting(engine, count: int) -> None:
    """All but ``count`` of the documents that wait decided (accepted), as a store with a smaller
    share waiting would have them: the queue reads what waits, not the whole store."""
    receipts, documents_table = store.ReceivedFileRow.__table__, store.Document.__table__
    with Session(engine) as session:
        waiting = session.execute(select(receipts.c.id, receipts.c.document_id)
                                  .where(receipts.c.outcome.in_(["held", "needs_review"]))
                                  .order_by(receipts.c.id)).all()
        decided = waiting[count:]
        for start in range(0, len(decided), 500):
            chunk = decided[start:start + 500]
            session.execute(update(receipts).where(receipts.c.id.in_([r for r, _ in chunk])).values(outcome="accepted"))
            session.execute(update(documents_table).where(documents_table.c.id.in_([d for _, d in chunk]))
                            .values(outcome="accepted"))
        session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--recorded", type=int, default=1_000,
                        help="documents recorded by the pipeline; the rest are copies")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--waiting", type=int, default=None,
                        help="documents left waiting for a person (default: as recorded and copied, three in four)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(home=Path(folder) / "home")
        desk = open_desk(settings)
        began = time.perf_counter()
        record(desk, min(args.recorded, args.documents), Path(folder) / "filed")
        copy_rows(desk.engine, args.documents)
        if args.waiting is not None:
            keep_waiting(desk.engine, args.waiting)
        with Session(desk.engine) as session:
            stored = session.scalar(select(func.count()).select_from(store.Document))
            waiting = session.scalar(select(func.count()).select_from(store.ReceivedFileRow).where(
                store.ReceivedFileRow.outcome.in_(["held", "needs_review"])))
        print(f"stored {stored:,} documents ({waiting:,} waiting for a person) in {time.perf_counter() - began:.1f} s")
        add_user(desk.engine, "bench.reviewer", Role.REVIEWER, PASSWORD, by="benchmark")
        with TestClient(create_app(desk)) as client:
            token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            client.post("/login", data={"username": "bench.reviewer", "password": PASSWORD, "csrf_token": token})
            for what, url in PAGES.items():
                client.get(url)  # warm: templates compiled, the database's pages in memory
                times, response = [], None
                for _ in range(args.runs):
                    began = time.perf_counter()
                    response = client.get(url, headers={"Accept": "text/html"})
                    times.append((time.perf_counter() - began) * 1e3)
                assert response is not None and response.status_code == 200, (url, response)
                listed = response.text.count("<tr>") - 1  # (the header's row)
                median = statistics.median(times)
                print(f"  {what}: {median:.0f} ms (median of {args.runs}; min {min(times):.0f}), "
                      f"{max(listed, 0):,} listed, {len(response.content) / 1e3:,.0f} kB{'' if median < TARGET_MS else '  ** over 300 ms **'}")
        desk.close()


if __name__ == "__main__":
    main()
