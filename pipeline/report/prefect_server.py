"""Where this data home's Prefect state is (``prefect_place``: a server's API, its SQLite file),
and the run artifacts through a Prefect server's REST API (``ServerArtifacts``), for
``psp-pipeline forget``. Prefect's SQLite file itself is ``prefect_artifacts.SqliteArtifacts``.
This module imports nothing of Prefect: it speaks to the server with httpx, as Prefect's client does.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pipeline.report.prefect_artifacts import (
    OUR_KEYS,
    REPORT_KEY,
    ArtifactChange,
    SqliteArtifacts,
    StoredArtifact,
    report_page,
    same_folder,
)


@dataclass(frozen=True)
class PrefectPlace:
    """Where Prefect's state is for this data home: a server's API, and its SQLite file (the one
    a server started here keeps, or the one the runs' temporary servers keep)."""

    api_url: str | None
    database: Path | None
    note: str | None = None  # when neither can be used, why


def _profile_settings(prefect_home: Path) -> dict[str, str]:
    """The active Prefect profile's settings (``profiles.toml``), which Prefect reads too."""
    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home / "profiles.toml").expanduser()
    try:
        profiles = tomllib.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    active = os.environ.get("PREFECT_PROFILE") or profiles.get("active")
    chosen = profiles.get("profiles", {}).get(active, {}) if isinstance(active, str) else {}
    return {str(k): str(v) for k, v in chosen.items()} if isinstance(chosen, dict) else {}


def prefect_place(default_home: Path) -> PrefectPlace:
    """Where this data home's Prefect state is, as Prefect itself would find it: PREFECT_API_URL
    (a server), else PREFECT_API_DATABASE_CONNECTION_URL, else ``$PREFECT_HOME/prefect.db``
    (``PREFECT_HOME`` defaults to the data home's ``prefect`` folder, as ``psp-pipeline`` sets it)."""
    home = Path(os.environ.get("PREFECT_HOME") or default_home).expanduser()
    profile = _profile_settings(home)

    def setting(*names: str) -> str | None:
        for name in names:
            value = os.environ.get(name) or profile.get(name)
            if value:
                return value
        return None

    api = setting("PREFECT_API_URL")
    url = setting("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")
    if not url:
        return PrefectPlace(api, home / "prefect.db")
    scheme, _, rest = url.partition("://")
    if not scheme.startswith("sqlite") or not rest.startswith("/"):
        note = None if api else (f"Prefect's database is {scheme.split('+')[0]}, which only its server can change: "
                                 "set PREFECT_API_URL to that server and run forget again")
        return PrefectPlace(api, None, note)
    return PrefectPlace(api, Path(unquote(rest[1:].split("?")[0])))


class ServerArtifacts:
    """The run artifacts through a Prefect server's REST API (PREFECT_API_URL), with httpx as
    Prefect's own client does; the server keeps each artifact's collection in step itself."""

    PAGE = 200
    EVENTS_NOTE = (
        "Prefect's event log was not searched: through a server it can be neither read whole nor changed, and "
        "the events that recorded each artifact keep its first data until the server trims them "
        "(PREFECT_EVENTS_RETENTION_PERIOD, 7 days by default)"
    )

    def __init__(self, api_url: str, local: Path | None = None) -> None:
        """``local``: the SQLite file the server may keep its state in (``$PREFECT_HOME/prefect.db``,
        as ``psp-pipeline server`` does): when it holds the server's artifacts, the events that
        copied their data are rewritten there too, and the self-check reads all of it."""
        self.api_url = api_url.rstrip("/")
        self.where = f"Prefect's server at {self.api_url}"
        self.local = SqliteArtifacts(local) if local is not None and local.is_file() else None
        self._local_is_the_servers: bool | None = None

    def _local(self) -> SqliteArtifacts | None:
        if self.local is not None and self._local_is_the_servers is None:
            ours = [a.id for a in self.read()]
            self._local_is_the_servers = self.local.holds(ours)
        return self.local if self._local_is_the_servers else None

    @property
    def events_note(self) -> str | None:
        """What the self-check must say it could not search (the server's event log), or None when
        the server's own SQLite file is at hand and was searched."""
        return None if self._local() is not None else self.EVENTS_NOTE

    def _client(self) -> Any:
        import httpx

        headers = {}
        if key := os.environ.get("PREFECT_API_KEY"):
            headers["Authorization"] = f"Bearer {key}"
        elif auth := os.environ.get("PREFECT_API_AUTH_STRING"):
            import base64

            headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
        return httpx.Client(base_url=self.api_url, headers=headers, timeout=30)

    def _all(self, keys: tuple[str, ...] | None) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        with self._client() as client:
            while True:
                body: dict[str, Any] = {"limit": self.PAGE, "offset": len(found), "sort": "CREATED_DESC"}
                if keys:
                    body["artifacts"] = {"key": {"any_": list(keys)}}
                response = client.post("/artifacts/filter", json=body)
                response.raise_for_status()
                page = response.json()
                found += page
                if len(page) < self.PAGE:
                    return found

    def files(self) -> list[Path]:
        """The server's SQLite files when they are at hand (``local``), for the self-check to
        search; none otherwise."""
        local = self._local()
        return local.files() if local is not None else []

    def read(self) -> list[StoredArtifact]:
        """The run artifacts (summary, table, report link) the server holds, every page of them."""
        return [
            StoredArtifact(str(a["id"]), a.get("key"), a.get("type"),
                           a["data"] if isinstance(a.get("data"), str) or a.get("data") is None else json.dumps(a["data"]),
                           str(a["flow_run_id"]) if a.get("flow_run_id") else None)
            for a in self._all(OUR_KEYS)
        ]

    def apply(self, changes: list[ArtifactChange]) -> None:
        """Write each change's data over its artifact through the API, and over the events that
        copied the old data when the server's SQLite file is at hand."""
        with self._client() as client:
            for change in changes:
                response = client.patch(f"/artifacts/{change.artifact.id}", json={"data": change.data})
                response.raise_for_status()
        local = self._local()
        if local is not None:
            local.rewrite_events({c.artifact.data: c.data for c in changes if c.artifact.data is not None and c.data})

    def leftovers(self, match: Callable[[str], set[str]], reports: Path) -> tuple[list[tuple[str, str]], set[str]]:
        """The artifacts (any key) that hold one of the person's values, but another data home's runs'
        (and every row of the server's SQLite file, when it is at hand)."""
        local = self._local()
        if local is not None:
            return local.leftovers(match, reports)
        artifacts = self._all(None)
        foreign = {str(a.get("flow_run_id")) for a in artifacts
                   if a.get("key") == REPORT_KEY and (page := report_page(str(a.get("data") or ""))) is not None
                   and not same_folder(page.parent, reports)}
        found, in_rows = [], set()
        for artifact in artifacts:
            labels = match(" ".join(str(artifact.get(k) or "") for k in ("data", "description", "key")))
            in_rows |= labels
            if labels and str(artifact.get("flow_run_id")) not in foreign:
                found += [(f"{self.where}: artifact {artifact.get('key')} ({artifact.get('id')})", label)
                          for label in sorted(labels)]
        return found, in_rows
