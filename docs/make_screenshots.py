"""Take the README's pictures of the run report from the demo, in headless Chromium.

    .venv/bin/python docs/make_screenshots.py [report] [overview]   (or: make screenshots)

Processes the sample submissions in a temporary data home (SQLite, without Prefect), opens the
report as a file:// URL and writes ``docs/report.png`` (the top: what needs a person, counts,
the list) and ``docs/report-document.png`` (a rejected document opened), then the coordinator
overview the run wrote beside it, whole, as ``docs/overview.png``. Needs /usr/bin/chromium
(``make system-deps``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.run import process
from pipeline.settings import Settings
from samples.stage import stage
from tests.report.browser import chromium, open_page


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(home=Path(folder) / "psp-demo", database_url=None)
        stage(settings.data_home.inbox)
        summary = process(settings)
        rejected = next(d for d in summary.documents if d["file"] == "orp_r01_missing_fields.pdf")
        wanted = set(sys.argv[1:]) or {"report", "overview"}  # e.g. `make_screenshots.py overview`: that one only
        with chromium() as browser:
            if "report" in wanted:
                page, watch = open_page(browser, summary.report_html, width=1200, height=1180)
                page.screenshot(path=str(REPO / "docs" / "report.png"))
                page.click(f"button[data-toggle='{rejected['id']}']")
                page.locator(f"#doc-{rejected['id']}").scroll_into_view_if_needed()
                page.evaluate(f"document.getElementById('doc-{rejected['id']}').scrollIntoView()")
                page.screenshot(path=str(REPO / "docs" / "report-document.png"))
                if watch.errors:
                    raise SystemExit(f"the page reported errors: {watch.errors}")
                print("Wrote docs/report.png and docs/report-document.png")
            if "overview" in wanted:
                page, watch = open_page(browser, summary.report_html.parent / "overview.html", width=1200, height=1180)
                page.screenshot(path=str(REPO / "docs" / "overview.png"), full_page=True)
                if watch.errors:
                    raise SystemExit(f"the overview reported errors: {watch.errors}")
                print("Wrote docs/overview.png")


if __name__ == "__main__":
    main()
