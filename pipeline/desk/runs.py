"""The desk's runs and program: an index of past runs, each linked to its report, the reports
themselves served read-only from the data home's reports folder, and the program's overview.

The run reports and the overview are the pipeline's own pages (``pipeline.report.html``,
``pipeline.report.overview``), made for a browser opening the reports folder: each holds one
inline style sheet (allowed by its hash) and loads its script from a file beside it, with no
inline script. The desk serves them under ``/reports/`` so that their relative links (their
script, ``index.html``, the other runs' reports) hold, with a policy of their own: the desk's
(no inline script, scripts from the desk only, not framed), but for styles, the page's own inline
style sheets by their hashes. Their links to the originals (``../originals/...``) lead to the
document's page in the desk. The overview is rendered from the store at each request, by the code
that writes ``overview.html``.

Only a plain file name of the reports folder is served (no folder, no ``..``, no hidden file, no
link leading out of it), of the kinds the pages use.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.desk.app import desk_app, page
from pipeline.load.queries import past_runs, received_file_kept_at
from pipeline.report.overview import OVERVIEW_NAME, overview_html
from pipeline.report.run_index import run_page_name
from pipeline.service import Desk

router = APIRouter()

REPORT_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.(html|js|json|css)$")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8",
               "json": "application/json", "css": "text/css; charset=utf-8"}
NONE = "'none'"
_INLINE_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def report_policy(html: str) -> str:
    """The Content-Security-Policy a report page is served with: the desk's, but for its own inline
    style sheets, allowed by their hashes (the page's own meta policy allows them so too)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii") + "'"
        for style in _INLINE_STYLE.findall(html)
    )
    return (f"default-src 'none'; script-src 'self'; style-src {hashes or NONE}; "
            "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")


def _report_page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": report_policy(html), "Cache-Control": "no-store"})


def report_file(desk: Desk, name: str) -> Path | None:
    """The file of the reports folder called ``name``, when it is one served: a plain name of the
    kinds the pages use, a regular file right in that folder (not a link leading out of it)."""
    if not REPORT_FILE.match(name) or ".." in name:
        return None
    folder = desk.settings.data_home.reports.resolve()
    path = folder / name
    if path.is_symlink() or not path.is_file() or path.resolve().parent != folder:
        return None
    return path


def _report_of(desk: Desk, run: dict) -> str | None:
    """The name of the run's report page in the reports folder, when it is there."""
    names = [Path(run["report_path"]).name] if run["report_path"] else []
    names.append(run_page_name(run["id"]))
    return next((name for name in names if name.endswith(".html") and report_file(desk, name)), None)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request) -> Response:
    """The past runs, newest first: when, how each ended, what it received, and its report."""
    desk = desk_app(request).desk
    runs = [{**run, "report": _report_of(desk, run)} for run in past_runs(desk.engine)]
    return page(request, "runs.html", runs=runs, has_index=report_file(desk, "index.html") is not None)


@router.get("/overview")
def overview_page(request: Request) -> Response:
    """The program's overview, served beside the run reports it links to."""
    return RedirectResponse(f"/reports/{OVERVIEW_NAME}", status_code=303)


@router.get("/reports/{name:path}")
async def report(request: Request, name: str) -> Response:
    """A file of the reports folder, read-only: a run's report, the runs' index, a page's script;
    the overview rendered from the store now. 404 for any other name."""
    desk = desk_app(request).desk
    if name == OVERVIEW_NAME:
        return _report_page(await run_in_threadpool(
            overview_html, desk.engine, desk.validation.reference.cmhsps, desk.settings.data_home.reports,
            zone=desk.settings.zone))
    path = report_file(desk, name)
    if path is None:
        raise HTTPException(404, "There is no such report.")
    kind = path.suffix.removeprefix(".")
    if kind == "html":
        return _report_page(await run_in_threadpool(path.read_text, "utf-8", "replace"))
    return FileResponse(path, media_type=MEDIA_TYPES[kind], headers={"Cache-Control": "private, no-store"})


@router.get("/originals/{name:path}")
def original_in_a_report(request: Request, name: str) -> Response:
    """A report's link to an original (``../originals/...``): the document's page in the desk,
    where the original is shown and can be downloaded."""
    desk = desk_app(request).desk
    originals = desk.settings.data_home.originals
    path = originals / name
    if ".." in Path(name).parts or not path.resolve().is_relative_to(originals.resolve()):
        raise HTTPException(404, "There is no such original.")
    found = received_file_kept_at(desk.engine, path)
    if found is None:
        raise HTTPException(404, "There is no such original.")
    return RedirectResponse(f"/documents/{found}", status_code=303)
