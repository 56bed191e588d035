"""Fixtures of the review desk's tests: a desk over a fresh data home and store, documents stored
in it as a run stores them (originals filed, notices written), two accounts, and a browser-like
client of the desk's app signed in as either."""

from __future__ import annotations

import hashlib
import re
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from pipeline.desk.app import create_app
from pipeline.desk.auth import add_user
from pipeline.load import program, store
from pipeline.load.accounts import Role
from pipeline.model import ExtractedDocument
from pipeline.service import Changes, Desk, after_change, open_desk
from tests.conftest import SAMPLES

PASSWORD = "correct horse battery"
REVIEWER, COORDINATOR = "riley.reviewer", "avery.coordinator"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def desk(settings) -> Iterator[Desk]:
    """The desk every command works at, over the test's data home and store."""
    opened = open_desk(settings)
    add_user(opened.engine, REVIEWER, Role.REVIEWER, PASSWORD, by="tests")
    add_user(opened.engine, COORDINATOR, Role.COORDINATOR, PASSWORD, by="tests")
    yield opened
    opened.close()


@pytest.fixture
def stored(desk) -> Callable[..., list[store.StoredReceipt]]:
    """``stored(*documents)``: the documents recorded as one run's batch records them, then
    ``after_change`` (originals filed, notices written); returns the stored receipts."""
    run_id = store.start_run(desk.engine)

    def record(*documents: ExtractedDocument) -> list[store.StoredReceipt]:
        received = [_with_bytes_of_its_own(document) for document in documents]
        receipts, releases = program.record_batch(desk.engine, run_id, received, desk.validation,
                                                  desk.router.destination)
        after_change(desk, Changes(stored=receipts, releases=releases))
        return receipts

    return record


def _with_bytes_of_its_own(document: ExtractedDocument) -> ExtractedDocument:
    """The document's file made distinct by the stand-in sha256 it was given (a PDF reads on past
    a comment after its end), and its real sha256 and size recorded: the move to where the store
    keeps it checks them."""
    path = document.received.path
    content = path.read_bytes() + f"\n%{document.received.sha256}\n".encode()
    path.write_bytes(content)
    received = document.received.model_copy(update={"sha256": hashlib.sha256(content).hexdigest(), "size": len(content)})
    return document.model_copy(update={"received": received})


def with_real_pdf(document: ExtractedDocument) -> ExtractedDocument:
    """The document with the official blank registration packet as its bytes (a PDF pdfium draws)."""
    shutil.copyfile(SAMPLES / "forms" / "PSP-REG_2025.1.pdf", document.received.path)
    return document


class DeskClient(TestClient):
    """A client of the desk that signs in as a browser does and posts forms with the page's token."""

    csrf_token: str = ""

    def sign_in(self, name: str, password: str = PASSWORD):  # noqa: ANN201 - httpx.Response
        """Open the sign-in page, post its form; the session's CSRF token is read from the next page."""
        login = self.get("/login")
        token = CSRF_FIELD.search(login.text).group(1)
        response = self.post("/login", data={"username": name, "password": password, "csrf_token": token})
        if response.status_code == 200 and "Sign out" in response.text:
            self.csrf_token = CSRF_FIELD.search(response.text).group(1)
        return response

    def post_form(self, url: str, **fields: str):  # noqa: ANN201 - httpx.Response
        """POST a form of the desk's pages, with the session's CSRF token."""
        return self.post(url, data={"csrf_token": self.csrf_token, **fields}, headers={"Accept": "text/html"})


@pytest.fixture
def client(desk) -> Iterator[DeskClient]:
    """A client of the desk's app, not signed in."""
    with DeskClient(create_app(desk)) as opened:
        yield opened


@pytest.fixture
def reviewer(client) -> DeskClient:
    client.sign_in(REVIEWER)
    return client


@pytest.fixture
def coordinator(client) -> DeskClient:
    client.sign_in(COORDINATOR)
    return client


@pytest.fixture
def served(desk) -> Iterator[str]:
    """The desk's app served by uvicorn on a free local port, in a thread, for a browser; its base URL."""
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(desk), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
