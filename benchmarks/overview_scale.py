"""How long the coordinator overview takes to write when the store holds many documents.

Fills a fresh store through the pipeline's own ``program.record_batch`` (validation, the
cross-document rules, storing) with N documents (default 5,000) spread over every agency and
over a year: a readiness plan per agency (some needing review or rejected), then registration
packets, many past their session's capacity (held under REG-R11) or for an agency without an
accepted plan (held under REG-R10). Then writes ``overview.html`` several times and prints the
median time, the page's size and the numbers it shows.

    .venv/bin/python benchmarks/overview_scale.py [--documents 5000] [--database-url URL] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.load import program, schedule, store
from pipeline.load.overview import overview
from pipeline.report.overview import write_overview
from pipeline.validate import ValidationContext
from schemas.reference import load_reference
from tests.conftest import VALID_PACKET, VALID_PLAN, make_document

ZONE = ZoneInfo("America/Detroit")
START = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


def documents(count: int, agencies: tuple[str, ...], sessions: list[str]):
    # Received over five weeks from the samples' day: signed within 180 days, before every session.
    step = timedelta(days=35) / max(count, 1)
    for n in range(count):
        agency = agencies[n % len(agencies)]
        if n < len(agencies):
            changes = {"cmhsp_name": agency}
            if n % 7 == 3:
                changes.update(supervisor_credential="Other", supervisor_credential_other="LBSW")  # review
            elif n % 11 == 5:
                changes["contact_phone"] = ""  # rejected
            form, values = "PSP-ORP", {**VALID_PLAN, **changes}
        else:
            values = {**VALID_PACKET, "cmhsp_name": agency, "psp_first_name": f"Pat{n}",
                      "psp_email": f"pat{n}@example.org", "training_session": sessions[n % len(sessions)]}
            if n % 13 == 0:
                values["psp_phone"] = ""  # rejected
            form = "PSP-REG"
        document = make_document(form, values, name=f"{form}-{n:06d}.pdf", received_at=START + step * n)
        yield document.model_copy(update={"received": document.received.model_copy(update={"sha256": f"{n:064x}"})})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    reference = load_reference(None)
    context = ValidationContext(reference=reference, timezone=ZONE)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'store.sqlite'}"
        engine = store.open_store(url)
        schedule.seed_schedule(engine, reference.sessions)
        run_id = store.start_run(engine)
        batch: list = []
        began = time.perf_counter()
        for document in documents(args.documents, reference.cmhsps, sorted(reference.sessions)):
            batch.append(document)
            if len(batch) == 200:
                program.record_batch(engine, run_id, batch, context, lambda r, o: Path(folder) / o.value / r.original_name)
                batch = []
        if batch:
            program.record_batch(engine, run_id, batch, context, lambda r, o: Path(folder) / o.value / r.original_name)
        print(f"stored {args.documents:,} documents in {time.perf_counter() - began:.1f} s")
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            path = write_overview(engine, reference.cmhsps, Path(folder) / "reports", zone=ZONE)
            times.append(time.perf_counter() - began)
        queries = []
        for _ in range(args.runs):
            began = time.perf_counter()
            data = overview(engine, reference.cmhsps, ZONE)
            queries.append(time.perf_counter() - began)
        print(f"overview.html: {path.stat().st_size / 1e3:,.0f} kB, written in {statistics.median(times) * 1e3:.0f} ms "
              f"(median of {args.runs}; min {min(times) * 1e3:.0f} ms), of which reading the store "
              f"{statistics.median(queries) * 1e3:.0f} ms")
        print(f"  {len(data['held'])} held, {len(data['needs_review'])} need review, "
              f"{sum(c for _, _, c in data['weeks'])} received in the weeks shown, totals {data['totals']}")
        engine.dispose()


if __name__ == "__main__":
    main()
