"""Throughput with one and with two workers sharing one inbox (PSP_CLAIM_FILES) and one
PostgreSQL store, on this machine.

    .venv/bin/python benchmarks/workers.py [--files 400] [--database postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each measurement gets a fresh database and data home; the inbox holds copies of the sample
submissions made distinct by a comment after their end. Two workers on one 2-core machine share
its cores, so this shows the claiming works and costs little, not a speed-up a second machine gives.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from samples.stage import stage  # noqa: E402

CLI = Path(sys.executable).with_name("psp-pipeline")


def fill(inbox: Path, files: int) -> None:
    staged = stage(inbox)
    sources = [p for p in staged if p.suffix in (".pdf", ".docx") and "resent" not in p.name]
    for number in range(files - len(staged)):
        source = sources[number % len(sources)]
        target = inbox / f"copy-{number:05d}-{source.name}"
        data = source.read_bytes()
        if source.suffix == ".pdf":
            target.write_bytes(data + f"\n% copy {number}\n".encode())
        else:
            shutil.copyfile(source, target)
            import zipfile

            with zipfile.ZipFile(target, "a") as archive:
                archive.comment = f"copy {number}".encode()
        stamp = source.stat().st_mtime + number + 1
        os.utime(target, (stamp, stamp))


def measure(server: str, files: int, workers: int, processes_each: int) -> float:
    name = f"psp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    home = Path(tempfile.mkdtemp(prefix="psp-bench-"))
    try:
        fill(home / "inbox", files)
        env = {**os.environ, "PSP_DATABASE_URL": url, "PSP_CLAIM_FILES": "1", "PSP_SETTLE_SECONDS": "0",
               "PSP_WORKERS": str(processes_each), "PSP_BATCH_SIZE": "20"}
        subprocess.run([str(CLI), "init", "--home", str(home)], env=env, check=True, capture_output=True)
        started = time.perf_counter()
        running = [subprocess.Popen([str(CLI), "run", "--without-prefect", "--home", str(home)], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
        codes = [p.wait() for p in running]
        elapsed = time.perf_counter() - started
        assert codes == [0] * workers, codes
        left = [p for p in (home / "inbox").rglob("*") if p.is_file()]
        assert not left, f"{len(left)} files left in the inbox"
        return elapsed
    finally:
        shutil.rmtree(home, ignore_errors=True)
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    rows = [("1 worker, 2 extraction processes", 1, 2), ("2 workers, 1 extraction process each", 2, 1)]
    print(f"| set-up ({args.files} documents, {os.cpu_count()} cores) | wall time | documents/s |")
    print("|---|---:|---:|")
    for label, workers, each in rows:
        elapsed = measure(args.database, args.files, workers, each)
        print(f"| {label} | {elapsed:.1f} s | {args.files / elapsed:.1f} |")


if __name__ == "__main__":
    main()
