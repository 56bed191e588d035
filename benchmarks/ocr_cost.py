"""OCR's cost per page: the pipeline's reader of scans against bare Tesseract on the same pages, on both cores.

    .venv/bin/python benchmarks/ocr_cost.py --seed N [--pages 24] [--keep DIR]

Makes scans of the sample forms (``samples/renditions.py``'s ``scan_300``: printed, signed by
hand, scanned at 300 dpi, grey or 1-bit) with the seed given, whole forms until at least
``--pages`` pages, then times, two at once (the machine's two cores):

* ``bare``: each page's picture taken out of its PDF as it is stored (its own dpi, written to a PNG
  with that dpi), then ``tesseract page.png out tsv`` on every page, two processes at a time, each
  with ``OMP_THREAD_LIMIT=1`` (Tesseract's own threads would only fight over the two cores); the
  time is Tesseract's alone, taking the pictures out is not counted;
* ``pipeline``: the pipeline's reader of scanned PDFs
  (``EXTRACTORS[InputKind.SCANNED_PDF].read(path)``) on the same PDFs, two worker processes at a
  time, in the environment the benchmark was started in: drawing the pages, cleaning them, OCR
  and finding the boxes all count.

Prints the wall time per page of each and their ratio (the target: at most 1.2× bare Tesseract).
A reader that refuses a scan (DocumentUnreadable) is reported with its reason, and the ratio is
not given. Exits 1 when the ratio is over the target.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from samples.renditions import _blank, form_cases, generate  # noqa: E402

TARGET = 1.2
WORKERS = 2  # both cores


def _page_count(path: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def make_scans(out: Path, pages: int, seed: int) -> list[Path]:
    """Whole forms scanned at 300 dpi (``scan_300``) with ``seed``, until at least ``pages`` pages."""
    chosen, counted = [], 0
    for case in form_cases():
        if counted >= pages:
            break
        chosen.append(case)
        counted += _page_count(_blank(case, "pdf"))
    if counted < pages:
        raise SystemExit(f"the sample cases have {counted} pages in all, fewer than the {pages} asked")
    generate(out, ["scan_300"], chosen, seed=seed)
    return sorted((out / "scan_300").glob("*.pdf"))


def page_pictures(scans: list[Path], folder: Path) -> list[Path]:
    """Each page's picture as stored in its PDF, as a PNG that says its dpi (Tesseract reads it)."""
    import pypdfium2

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for path in scans:
        document = pypdfium2.PdfDocument(str(path))
        try:
            for number, page in enumerate(document, 1):
                (picture,) = [o for o in page.get_objects() if isinstance(o, pypdfium2.PdfImage)]
                image = picture.get_bitmap(render=False).to_pil()
                width_points = page.get_width()
                dpi = round(image.width / (width_points / 72))
                target = folder / f"{path.stem}-p{number}.png"
                image.save(target, dpi=(dpi, dpi))
                written.append(target)
                picture.close()
                page.close()
        finally:
            document.close()
    return written


def _tesseract(picture: Path) -> float:
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    out = picture.with_suffix("")
    started = time.perf_counter()
    result = subprocess.run(["tesseract", str(picture), str(out), "tsv"], capture_output=True, env=environment, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0 or not out.with_suffix(".tsv").is_file():
        raise SystemExit(f"tesseract failed on {picture.name}: {result.stderr.decode(errors='replace')[:300]}")
    return elapsed


def time_bare(pictures: list[Path]) -> float:
    """Wall seconds for Tesseract on every picture, two processes at a time."""
    started = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(_tesseract, pictures))
    return time.perf_counter() - started


def _read(path: Path) -> tuple[str, int, str | None]:
    """One scan read by the pipeline's reader, in a worker process: (file, pages, why it was refused)."""
    from pipeline.extract import EXTRACTORS
    from pipeline.extract.base import DocumentUnreadable
    from pipeline.model import InputKind

    try:
        raw = EXTRACTORS[InputKind.SCANNED_PDF].read(path)
    except DocumentUnreadable as exc:
        return path.name, 0, str(exc)
    return path.name, raw.pages or 0, None


def _warm() -> None:
    """Imports the reader in a worker before timing (a pipeline worker imports it once, at start)."""
    import pipeline.extract  # noqa: F401


def time_pipeline(scans: list[Path]) -> tuple[float, list[tuple[str, int, str | None]]]:
    """Wall seconds for the pipeline's reader on every scan, two worker processes at a time."""
    with ProcessPoolExecutor(WORKERS) as pool:
        for warming in [pool.submit(_warm) for _ in range(WORKERS)]:
            warming.result()
        started = time.perf_counter()
        results = list(pool.map(_read, scans))
        return time.perf_counter() - started, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OCR's cost per page against bare Tesseract, on both cores.")
    parser.add_argument("--seed", type=int, required=True, help="the scans' seed (one the tests never use)")
    parser.add_argument("--pages", type=int, default=24, help="at least this many pages (whole forms)")
    parser.add_argument("--keep", type=Path, help="keep the scans and the pictures here")
    args = parser.parse_args(argv)
    if shutil.which("tesseract") is None:
        raise SystemExit("tesseract is not installed: run `make system-deps`")

    work = args.keep or Path(tempfile.mkdtemp(prefix="psp-ocr-cost-"))
    try:
        started = time.perf_counter()
        scans = make_scans(work / "corpus", args.pages, args.seed)
        pictures = page_pictures(scans, work / "pages")
        print(f"{len(scans)} scans, {len(pictures)} pages at 300 dpi (seed {args.seed}), made in {time.perf_counter() - started:.0f} s")

        bare = time_bare(pictures) / len(pictures)
        print(f"bare Tesseract:    {bare:.2f} s per page ({WORKERS} processes, OMP_THREAD_LIMIT=1)")
        elapsed, results = time_pipeline(scans)
        refused = [(name, why) for name, _, why in results if why is not None]
        pipeline = elapsed / len(pictures)
        print(f"pipeline's reader: {pipeline:.2f} s per page ({WORKERS} worker processes)")
        if refused:
            print(f"the reader refused {len(refused)} of {len(scans)} scans, so no ratio is given; first: {refused[0][0]}: {refused[0][1]}")
            return 1
        ratio = pipeline / bare
        print(f"ratio: {ratio:.2f}× bare Tesseract (target ≤ {TARGET}×)")
        return 0 if ratio <= TARGET else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
