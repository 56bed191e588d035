"""Library warnings in the readers: pypdf and pdfminer warn about a broken PDF by quoting it (a
dictionary key, a string of a page), and in a worker process nothing caught those warnings, so the
document's own text went to the run's stderr (a terminal, a journal, a CI log).

The PDF below is read through ``ExtractionPool`` in a process of its own with stderr captured: pypdf
warns "Multiple definitions in dictionary ... for key /<marker>" and pdfminer "Cannot define
marked-content point because b'<marker>' is not a PSLiteral". Before the workers silenced the
libraries, all three warnings were printed, marker and all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MARKER = "PrivateChildConditionQZX"


def warning_pdf() -> bytes:
    """A one-page PDF with text (read as a flat PDF), keys defined twice, and a marked-content
    point whose tag is a string: each is a library warning that quotes the document."""
    content = f"BT /F1 12 Tf 72 720 Td ({MARKER} text) Tj ET ({MARKER}Tag) MP".encode()
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R /{MARKER} (a) /{MARKER} (b) >>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
         f"/Resources << /Font << /F1 5 0 R >> >> /{MARKER}Page 1 /{MARKER}Page 2 >>").encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


READ_IT = textwrap.dedent("""
    import hashlib, sys
    from datetime import UTC, datetime
    from pathlib import Path

    from pipeline.model import ReceivedFile
    from pipeline.workers import ExtractionPool

    if __name__ == "__main__":
        path = Path(sys.argv[1])
        received = ReceivedFile(path=path, original_name=path.name, size=path.stat().st_size,
                                sha256=hashlib.sha256(path.read_bytes()).hexdigest(), received_at=datetime.now(UTC))
        pool = ExtractionPool(workers=1, timeout_seconds=60, memory_mb=1024)
        try:
            for document in pool.extract_all([received]):
                print("read:", document.kind.value if document.kind else None, document.problem.value)
        finally:
            pool.close()
""")


def test_a_pdf_that_makes_the_libraries_warn_leaves_nothing_of_its_text_on_stderr(tmp_path):
    pdf = tmp_path / "warns.pdf"
    pdf.write_bytes(warning_pdf())
    script = tmp_path / "read_it.py"
    script.write_text(READ_IT)
    done = subprocess.run([sys.executable, str(script), str(pdf)], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    assert done.returncode == 0, done.stderr
    # The PDF was read (pypdf and pdfplumber both went through it) and is not one of the forms.
    assert done.stdout.strip() == "read: flat_pdf unknown_form"
    assert MARKER not in done.stderr
