"""pipeline.report.prefect_server: where this data home's Prefect state is, as Prefect itself would
find it (its API, its SQLite file), and the run artifacts through a server's REST API, spoken to
with httpx (here a mock transport: no server is started)."""

from __future__ import annotations

import json

import httpx
import pytest

from pipeline.report.prefect_artifacts import (
    DOCUMENTS_KEY,
    REPORT_KEY,
    SUMMARY_KEY,
    ArtifactChange,
    StoredArtifact,
)
from pipeline.report.prefect_server import PrefectPlace, ServerArtifacts, prefect_place

PREFECT_SETTINGS = ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH", "PREFECT_API_KEY",
                    "PREFECT_API_AUTH_STRING", "PREFECT_API_DATABASE_CONNECTION_URL",
                    "PREFECT_SERVER_DATABASE_CONNECTION_URL")


@pytest.fixture
def environment(monkeypatch):
    """No Prefect setting of the machine's: each test sets its own."""
    for name in PREFECT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_a_setting_the_state_is_the_data_home_s_own_file(environment, tmp_path):
    assert prefect_place(tmp_path / "prefect") == PrefectPlace(None, tmp_path / "prefect" / "prefect.db")
    environment.setenv("PREFECT_HOME", str(tmp_path / "elsewhere"))
    assert prefect_place(tmp_path / "prefect").database == tmp_path / "elsewhere" / "prefect.db"


def test_a_server_and_a_sqlite_database_named_in_the_environment(environment, tmp_path):
    environment.setenv("PREFECT_API_URL", "http://prefect.example.org:4200/api")
    database_url = f"sqlite+aiosqlite:///{tmp_path}/my%20prefect.db?timeout=5"
    environment.setenv("PREFECT_API_DATABASE_CONNECTION_URL", database_url)
    assert prefect_place(tmp_path) == PrefectPlace("http://prefect.example.org:4200/api", tmp_path / "my prefect.db")


def test_a_postgresql_database_only_its_server_can_change(environment, tmp_path):
    environment.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://prefect@db/prefect")
    place = prefect_place(tmp_path)
    assert (place.api_url, place.database) == (None, None) and "set PREFECT_API_URL" in place.note
    environment.setenv("PREFECT_API_URL", "http://prefect.example.org/api")
    assert prefect_place(tmp_path) == PrefectPlace("http://prefect.example.org/api", None)  # its server, no note


def test_the_active_profile_counts_as_prefect_reads_it(environment, tmp_path):
    (tmp_path / "profiles.toml").write_text(
        'active = "office"\n[profiles.office]\nPREFECT_API_URL = "http://office.example.org/api"\n'
        '[profiles.other]\nPREFECT_API_URL = "http://other.example.org/api"\n', "utf-8")
    assert prefect_place(tmp_path).api_url == "http://office.example.org/api"
    environment.setenv("PREFECT_PROFILE", "other")
    assert prefect_place(tmp_path).api_url == "http://other.example.org/api"
    environment.setenv("PREFECT_API_URL", "http://env.example.org/api")
    assert prefect_place(tmp_path).api_url == "http://env.example.org/api"  # the environment first
    (tmp_path / "profiles.toml").write_text("not toml [", "utf-8")
    environment.delenv("PREFECT_API_URL")
    assert prefect_place(tmp_path).api_url is None


# -- through the server's API ---------------------------------------------------------------------


class FakeServer:
    """Prefect's artifact endpoints over a list of artifacts, a page at a time."""

    def __init__(self, artifacts: list[dict]) -> None:
        self.artifacts, self.requests = artifacts, []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "POST" and request.url.path == "/api/artifacts/filter":
            body = json.loads(request.content)
            keys = body.get("artifacts", {}).get("key", {}).get("any_")
            chosen = [a for a in self.artifacts if keys is None or a["key"] in keys]
            return httpx.Response(200, json=chosen[body["offset"]: body["offset"] + body["limit"]])
        if request.method == "PATCH" and request.url.path.startswith("/api/artifacts/"):
            artifact = next(a for a in self.artifacts if a["id"] == request.url.path.rsplit("/", 1)[1])
            artifact["data"] = json.loads(request.content)["data"]
            return httpx.Response(204)
        return httpx.Response(404)


@pytest.fixture
def server(monkeypatch, tmp_path):
    link = f"[Run report 3]({(tmp_path / 'reports' / 'run-00003.html').as_uri()})"
    elsewhere = "[Run report 3](file:///srv/another-home/reports/run-00003.html)"
    fake = FakeServer([
        {"id": "a1", "key": SUMMARY_KEY, "type": "markdown", "data": "- #7 jordan.pdf (held)", "flow_run_id": "f1"},
        {"id": "a2", "key": DOCUMENTS_KEY, "type": "table", "data": [{"id": 7, "file": "jordan.pdf"}],
         "flow_run_id": "f1"},
        {"id": "a3", "key": REPORT_KEY, "type": "link", "data": link, "flow_run_id": "f1"},
        {"id": "b1", "key": SUMMARY_KEY, "type": "markdown", "data": "- #7 jordan.pdf (held)", "flow_run_id": "f2"},
        {"id": "b3", "key": REPORT_KEY, "type": "link", "data": elsewhere, "flow_run_id": "f2"},
        {"id": "c1", "key": "someone-elses", "type": "markdown", "data": "jordan.pdf", "flow_run_id": None},
    ])

    def client(self):
        return httpx.Client(base_url=self.api_url, transport=httpx.MockTransport(fake.handle))

    monkeypatch.setattr(ServerArtifacts, "_client", client)
    return fake


def test_every_page_of_the_run_artifacts_is_read(server, monkeypatch):
    monkeypatch.setattr(ServerArtifacts, "PAGE", 2)
    artifacts = ServerArtifacts("http://prefect.example.org/api/").read()
    assert [a.id for a in artifacts] == ["a1", "a2", "a3", "b1", "b3"]  # ours three keys, every page
    assert artifacts[1].data == json.dumps([{"id": 7, "file": "jordan.pdf"}])  # a table's rows, as its text
    assert len([r for r in server.requests if r.method == "POST"]) == 3  # 2 + 2 + 1: the last page is short


def test_a_change_is_written_through_the_api(server):
    artifact = StoredArtifact("a2", DOCUMENTS_KEY, "table", "[]", "f1")
    ServerArtifacts("http://prefect.example.org/api").apply([ArtifactChange(artifact, 3, 1, data="[]")])
    assert next(a for a in server.artifacts if a["id"] == "a2")["data"] == "[]"


def test_what_is_left_is_found_in_any_artifact_but_another_home_s_runs(server, tmp_path):
    artifacts = ServerArtifacts("http://prefect.example.org/api")
    found, in_rows = artifacts.leftovers(lambda text: {"the file name"} if "jordan" in text else set(),
                                         tmp_path / "reports")
    assert in_rows == {"the file name"}
    assert [where.rsplit("(", 1)[1] for where, _ in found] == ["a1)", "a2)", "c1)"]  # not b1: another home's run
    assert artifacts.events_note == ServerArtifacts.EVENTS_NOTE and artifacts.files() == []


def test_the_client_authenticates_as_prefect_s_own_does(environment):
    environment.setenv("PREFECT_API_KEY", "not-a-real-key")
    with ServerArtifacts("http://prefect.example.org/api")._client() as client:
        assert client.headers["Authorization"] == "Bearer not-a-real-key"
    environment.delenv("PREFECT_API_KEY")
    environment.setenv("PREFECT_API_AUTH_STRING", "admin:pass")
    with ServerArtifacts("http://prefect.example.org/api")._client() as client:
        assert client.headers["Authorization"] == "Basic YWRtaW46cGFzcw=="
