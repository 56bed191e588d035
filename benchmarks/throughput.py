"""Throughput: the pipeline end to end against a bare script that only makes the extraction
library calls, on the same files, with per-document cost, fixed cost and peak memory.

    .venv/bin/python benchmarks/throughput.py [--sizes 1000 5000] [--repeat N] [--out benchmarks/out]

The corpus is a mix made from the official forms (``samples/submissions`` and the renditions of
``samples/renditions.py``): 40% fillable PDFs (filled AcroForms), 35% Word forms (content
controls), 25% flat PDFs (half the fillable form flattened by qpdf, half the Word form saved as
PDF by LibreOffice; the sample cover letter among them). Each copy gets distinct bytes (a PDF
comment after ``%%EOF``, a .docx zip comment) and a distinct received time (its case's, plus
``n`` milliseconds), so no copy is a duplicate and every case keeps its outcome.

Every measurement runs in a fresh subprocess on a fresh data home (SQLite, defaults otherwise):

* ``bare``: a script that reads the same files with the calls the extractors make (pypdf for
  fillable PDFs: fields, widget annotations, page 1's text; pdfplumber for flat PDFs: words with
  sizes, rects, curves, lines, edges and images of every page; python-docx/lxml for Word: the
  content controls, the footers, the text of every paragraph), each file opened once, its kind
  known beforehand (no sniffing), in a plain two-process ``multiprocessing`` pool, with Python's
  defaults: the ratio the target is about is the pipeline's cost against this one's;
* ``bare_frozen`` (unless ``--no-frozen``): the same, its workers setting the collector as the
  pipeline's workers do (``pipeline.collector``: the heap they start with frozen, a full
  collection after each document): for reference, what the pipeline costs beyond the library
  calls when the collector's work is the same on both sides;
* ``pipeline``: ``pipeline.run.process`` (no Prefect);
* ``flow``: the Prefect flow ``flows.process_inbox.process_inbox`` against a Prefect server
  started for the benchmark (``prefect server start`` on a free loopback port, a temporary
  PREFECT_HOME), called as the CLI calls it (heartbeat off, log level WARNING); on an empty inbox
  this is the empty nightly run (timed once more with Prefect's default heartbeat);
* ``served``: the nightly deployment as it runs in production: ``psp-pipeline serve`` against the
  same server on an empty data home, runs triggered through Prefect's client; each is timed from
  the states Prefect recorded: from the runner taking it (Pending) to Running (the runner's
  subprocess starting: interpreter and imports) and on to Completed (the run itself, with the
  heartbeat Prefect keeps for served runs).

The time of a measurement is the subprocess's wall time (interpreter start to exit). The fixed
cost of a run is that time on an empty inbox; the per-document cost is ``(T(N) - fixed) / N``.
CPU is the sum of the user and system time of the process and all its descendants (the
extraction workers), and peak memory the largest sum of their RSS, both sampled from /proc every
20 ms; the main process's own peak is its exact ``ru_maxrss``. The pipeline's child also counts
the store's commits and SQL statements and times the run's steps (the CPU of its main thread).
The machine may be shared: ``--repeat N`` measures everything N times, interleaved, and keeps the
fastest of each. The copies' received times lie in December 2026, so the children run with
``PSP_SETTLE_SECONDS=0`` (they would otherwise look freshly written and the run would wait for them
to settle). The table is printed and written to ``<out>/throughput.md`` (and ``.json``);
``--profile FILE`` writes a cProfile of the pipeline's main process at the largest size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from pipeline.collector import document_done, start_worker  # noqa: E402 - the collector as the pipeline's workers set it

SUBMISSIONS = REPO / "samples" / "submissions"
PYTHON = sys.executable

# Of every 20 documents: 8 fillable PDFs, 7 Word forms, 5 flat PDFs, interleaved.
MIX = ("fillable", "word", "flat", "fillable", "word", "fillable", "word", "flat", "fillable", "word",
       "fillable", "word", "flat", "fillable", "word", "fillable", "flat", "word", "fillable", "flat")  # fmt: skip


# -- the corpus ---------------------------------------------------------------------------------


def build_templates(folder: Path) -> dict[str, list[tuple[Path, str]]]:
    """The source files by kind, each with its received time (ISO): made once, kept in ``folder``."""
    from samples.renditions import generate

    renditions = folder / "renditions"
    if not (renditions / "done").is_file():
        shutil.rmtree(renditions, ignore_errors=True)
        generate(renditions, ["flattened_pdf", "word_saved_as_pdf"])
        (renditions / "done").write_text("")
    templates: dict[str, list[tuple[Path, str]]] = {"fillable": [], "word": [], "flat": []}
    for expected_file in sorted(SUBMISSIONS.glob("*.expected.json")):
        expected = json.loads(expected_file.read_text("utf-8"))
        if expected["outcome"] == "duplicate":
            continue  # the same bytes as another sample: every copy gets bytes of its own here
        path = SUBMISSIONS / expected["file"]
        kind = "word" if path.suffix == ".docx" else ("fillable" if expected["form_id"] else "flat")
        templates[kind].append((path, expected["received_at"]))
    for rendition in ("flattened_pdf", "word_saved_as_pdf"):
        for expected_file in sorted((renditions / rendition).glob("*.expected.json")):
            expected = json.loads(expected_file.read_text("utf-8"))
            templates["flat"].append((renditions / rendition / expected["file"], expected["received_at"]))
    return templates


def _distinct(data: bytes, suffix: str, n: int) -> bytes:
    tag = f"psp-benchmark copy {n:06d}".encode()
    if suffix == ".pdf":
        return data + b"\n%" + tag + b"\n"
    end = data.rfind(b"PK\x05\x06")  # the zip's end-of-central-directory record: set its comment
    if end < 0:
        raise ValueError("not a zip file")
    return data[: end + 20] + len(tag).to_bytes(2, "little") + tag


def build_corpus(folder: Path, size: int, templates: dict[str, list[tuple[Path, str]]]) -> list[dict[str, str]]:
    """``size`` files in ``folder`` (made once per size), with a manifest of each file's kind."""
    manifest_path = folder / "manifest.json"
    if manifest_path.is_file():
        return json.loads(manifest_path.read_text("utf-8"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    cache: dict[Path, bytes] = {}
    used = {kind: 0 for kind in templates}
    manifest = []
    for n in range(size):
        kind = MIX[n % len(MIX)]
        source, received_at = templates[kind][used[kind] % len(templates[kind])]
        used[kind] += 1
        data = cache.setdefault(source, source.read_bytes())
        target = folder / f"{n:05d}-{source.name}"
        target.write_bytes(_distinct(data, source.suffix, n))
        moment = (datetime.fromisoformat(received_at) + timedelta(milliseconds=n)).timestamp()
        os.utime(target, (moment, moment))
        manifest.append({"file": target.name, "kind": kind})
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    return manifest


def stage(corpus: Path, manifest: list[dict[str, str]], inbox: Path) -> None:
    """Put the corpus into an inbox (hard links: the pipeline moves them out, the corpus stays)."""
    inbox.mkdir(parents=True, exist_ok=True)
    for item in manifest:
        try:
            os.link(corpus / item["file"], inbox / item["file"])
        except OSError:
            shutil.copy2(corpus / item["file"], inbox / item["file"])


# -- measuring a subprocess ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found.extend(int(p) for p in handle.read().split())
    except OSError:
        pass
    return found


def _cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of one process so far (not its children's)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return None


_TICKS = os.sysconf("SC_CLK_TCK")


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeSampler(threading.Thread):
    """Samples the RSS and CPU time of a process and its descendants until stopped. The CPU time
    of the tree is the sum of each process's last sample (a process's last 20 ms are missed)."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_total_kb = 0
        self.peak_child_kb = 0
        self.cpu: dict[int, float] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            tree, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                tree.append(pid)
                todo.extend(_children(pid))
            total = sum(_status_kb(pid, "VmRSS:") for pid in tree)
            self.peak_total_kb = max(self.peak_total_kb, total)
            for pid in tree[1:]:
                self.peak_child_kb = max(self.peak_child_kb, _status_kb(pid, "VmHWM:"))
            for pid in tree:
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    self.cpu[pid] = max(cpu, self.cpu.get(pid, 0.0))
            self._halt.wait(self.every)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def measure(args: list[str], env: dict[str, str], label: str) -> dict[str, Any]:
    """Run ``benchmarks/throughput.py --child ...`` in a fresh process; its wall time, peak memory
    and what it reported (a JSON line on stdout)."""
    began = time.perf_counter()
    process = subprocess.Popen([PYTHON, str(Path(__file__).resolve()), *args], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    # communicate() has reaped it; wait4 cannot give its rusage now, so the child reports its own.
    wall = time.perf_counter() - began
    sampler.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{label} failed (exit {process.returncode}):\n{stderr[-4000:]}")
    report = json.loads(stdout.strip().splitlines()[-1])
    report.update(wall=wall, cpu=sum(sampler.cpu.values()), processes=len(sampler.cpu),
                  # a process shorter than a sample is seen by its own ru_maxrss only
                  peak_total_mb=max(sampler.peak_total_kb / 1024, report["peak_main_mb"]),
                  peak_worker_mb=sampler.peak_child_kb / 1024)
    print(f"  {label}: {wall:.2f} s, CPU {report['cpu']:.2f} s, peak {report['peak_total_mb']:.0f} MB (main {report['peak_main_mb']:.0f} MB)",
          file=sys.stderr, flush=True)
    return report


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PSP_", "PREFECT_"))}
    # The copies' modification times are their cases' received times, in the future of this
    # machine's clock: with the default settle time the run would wait for them to settle.
    env.update(PYTHONPATH=str(REPO), PYTHONHASHSEED="0", PSP_SETTLE_SECONDS="0", **(extra or {}))
    return env


# -- a Prefect server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrefectServer:
    def __init__(self, home: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.env = child_env({"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                              "DO_NOT_TRACK": "1"})
        prefect = Path(PYTHON).with_name("prefect")
        self.log = (home / "server.log").open("w")
        self.process = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_healthy(self, timeout: float = 90) -> float:
        began = time.perf_counter()
        while time.perf_counter() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Prefect server stopped (exit {self.process.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
                    if response.status == 200:
                        return time.perf_counter() - began
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own session: the server and its workers
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def measure_served(server: PrefectServer, scratch: Path, runs: int) -> list[dict[str, float]]:
    """``runs`` empty nightly runs of the served deployment, each timed from its recorded states."""
    home, client_home = scratch / "served-home", scratch / "served-prefect"
    client_home.mkdir()
    (home / "inbox").mkdir(parents=True)  # an initialised data home: `serve` refuses one that is not
    # This process's own Prefect client: its state apart, nothing sent anywhere (read on import).
    os.environ.update(PREFECT_HOME=str(client_home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    env = child_env({"PREFECT_API_URL": server.url, "PREFECT_HOME": str(client_home),
                     "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
                     "PREFECT_RUNNER_POLL_FREQUENCY": "1"})  # the runner looks for runs every second
    log = (scratch / "serve.log").open("w")
    serving = subprocess.Popen([str(Path(PYTHON).with_name("psp-pipeline")), "serve", "--home", str(home)], env=env,
                               cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    timings = []
    try:
        # Prefect reads its settings when imported: the server is named here, not in the environment.
        with temporary_settings({PREFECT_API_URL: server.url}), get_client(sync_client=True) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.read_deployment_by_name("process-inbox/nightly")
                    break
                except Exception:  # not served yet
                    if serving.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"psp-pipeline serve did not register the deployment; see {log.name}") from None
                    time.sleep(0.5)
            for _ in range(runs + 1):  # the first run is not counted: the runner's first start-up
                flow_run = run_deployment("process-inbox/nightly", timeout=120)
                if not flow_run.state.is_completed():
                    raise RuntimeError(f"a served run ended {flow_run.state.type.value}; see {log.name}")
                states = {state.type.value: state.timestamp for state in client.read_flow_run_states(flow_run.id)}
                timings.append({
                    "to_running_s": (states["RUNNING"] - states["PENDING"]).total_seconds(),
                    "running_s": (states["COMPLETED"] - states["RUNNING"]).total_seconds(),
                    "pending_to_completed_s": (states["COMPLETED"] - states["PENDING"]).total_seconds(),
                })
                print(f"  served run: {timings[-1]['pending_to_completed_s']:.2f} s from Pending to Completed",
                      file=sys.stderr, flush=True)
    finally:
        os.killpg(serving.pid, signal.SIGINT)  # serve stops on SIGINT, leaving its schedule in place
        try:
            serving.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(serving.pid, signal.SIGKILL)
            serving.wait()
        log.close()
    return timings[1:]


# -- the children -------------------------------------------------------------------------------


def _peak_main_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_read(item: tuple[str, str]) -> int:
    """The extraction library calls for one file, opened once; returns a count so nothing is optimised away."""
    path, kind = item
    if kind == "fillable":
        from pypdf import PdfReader

        reader = PdfReader(path)
        count = len(reader.get_fields() or {})
        for page in reader.pages:
            for ref in page.get("/Annots") or []:
                count += ref.get_object().get("/Subtype") == "/Widget"
        return count + len(reader.pages[0].extract_text() or "")
    if kind == "flat":
        import pdfplumber

        count = 0
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                words = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False, extra_attrs=["size"])
                count += len(words) + len(page.rects) + len(page.curves) + len(page.lines) + len(page.edges)
                count += len(page.images)
        return count
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(path)
    body = document.element.body
    t = qn("w:t")
    count = 0
    for sdt in body.iter(qn("w:sdt")):
        tag = sdt.find(f"{qn('w:sdtPr')}/{qn('w:tag')}")
        count += (tag is not None) + len("".join(node.text or "" for node in sdt.iter(t)))
    for section in document.sections:
        count += len("".join(node.text or "" for node in section.footer._element.iter(t)))
    for paragraph in body.iter(qn("w:p")):
        count += len("".join(node.text or "" for node in paragraph.iter(t)))
    return count


def bare_read_collected(item: tuple[str, str]) -> int:
    """``bare_read``, then the collection the pipeline's workers make after each document."""
    try:
        return bare_read(item)
    finally:
        document_done()


def child_bare(corpus: Path | None, frozen: bool = False) -> dict[str, Any]:
    import multiprocessing

    import docx  # noqa: F401 - what the extractors import, imported once as they are
    import pdfplumber  # noqa: F401
    import pypdf  # noqa: F401

    items = []
    if corpus is not None:
        manifest = json.loads((corpus / "manifest.json").read_text("utf-8"))
        items = [(str(corpus / item["file"]), item["kind"]) for item in manifest]
    with multiprocessing.get_context("fork").Pool(2, initializer=start_worker if frozen else None) as pool:
        total = sum(pool.imap_unordered(bare_read_collected if frozen else bare_read, items, chunksize=4))
    return {"documents": len(items), "checksum": total, "peak_main_mb": _peak_main_mb()}


class _Steps:
    """Times named steps of the run (by wrapping the functions ``pipeline.run`` calls) and counts
    the store's commits and SQL statements; changes nothing the run does."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}  # of the main thread (pebble's threads work meanwhile)
        self.calls: dict[str, int] = {}
        self.commits = 0
        self.statements = 0

    def wrap(self, owner: Any, name: str, step: str) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            began, cpu = time.perf_counter(), time.thread_time()
            try:
                result = original(*args, **kwargs)
                if step == "extract (waiting for the pool)" and not isinstance(result, list):
                    result = list(result)
                return result
            finally:
                self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - began
                self.cpu[step] = self.cpu.get(step, 0.0) + time.thread_time() - cpu
                self.calls[step] = self.calls.get(step, 0) + 1

        setattr(owner, name, timed)

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        from pipeline import run, service
        from pipeline.load import program, routing
        from pipeline.report import document_report, html

        self.wrap(run, "collect_inbox", "intake")
        self.wrap(run, "_extract_all", "extract (waiting for the pool)")
        self.wrap(program, "record_batch", "validate and store")
        self.wrap(service, "write_missing_notices", "notices")
        self.wrap(routing, "finish_pending_moves", "move originals")
        self.wrap(document_report, "document_summary", "report: summaries")
        self.wrap(html.RunReport, "add", "report: add")
        self.wrap(html.RunReport, "write", "report: write")
        self.wrap(html, "write_run_report", "report (interrupted runs)")
        self.wrap(run, "write_overview", "overview")

        def commit(_connection: Any) -> None:
            self.commits += 1

        def statement(*_args: Any) -> None:
            self.statements += 1

        event.listen(Engine, "commit", commit)
        event.listen(Engine, "before_cursor_execute", statement)


def _report_sizes(home: Path) -> dict[str, int]:
    reports = home / "reports"
    return {p.name: p.stat().st_size for p in sorted(reports.glob("run-*.*"))}


def child_pipeline(home: Path, profile: Path | None) -> dict[str, Any]:
    began = time.perf_counter()
    from pipeline.run import process
    from pipeline.settings import Settings

    imported = time.perf_counter() - began
    steps = _Steps()
    steps.install()
    settings = Settings(home=home)
    began = time.perf_counter()
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        summary = profiler.runcall(process, settings)
        profiler.dump_stats(profile)
    else:
        summary = process(settings)
    ran = time.perf_counter() - began
    return {"documents": summary.total, "counts": summary.counts, "import_s": imported, "run_s": ran,
            "main_cpu_s": time.process_time(),
            "steps": steps.seconds, "step_cpu": steps.cpu, "step_calls": steps.calls, "commits": steps.commits,
            "statements": steps.statements, "reports": _report_sizes(home), "peak_main_mb": _peak_main_mb()}


def child_flow(home: Path, heartbeat: bool = False, profile: Path | None = None) -> dict[str, Any]:
    began = time.perf_counter()
    from pipeline.prefect_env import apply_prefect_defaults

    apply_prefect_defaults(home / "prefect")  # as the CLI does (PREFECT_API_URL is set: no ephemeral server)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows.process_inbox import process_inbox

    imported = time.perf_counter() - began
    steps = _Steps()
    steps.install()
    began = time.perf_counter()
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if heartbeat:  # Prefect's default (180 s), as a served deployment's runs have it
        result = process_inbox(home=str(home))
    else:
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            result = process_inbox(home=str(home))
    ran = time.perf_counter() - began
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    documents = sum(result["counts"].values())
    return {"documents": documents, "counts": result["counts"], "import_s": imported, "run_s": ran,
            "main_cpu_s": time.process_time(), "steps": steps.seconds, "step_cpu": steps.cpu,
            "step_calls": steps.calls, "commits": steps.commits, "statements": steps.statements,
            "peak_main_mb": _peak_main_mb()}


# -- the table ----------------------------------------------------------------------------------


def _mb(value: float) -> str:
    return f"{value:,.0f}"


def per_document(results: dict[str, dict[int, dict[str, Any]]]) -> dict[tuple[str, int, str], float]:
    """(measurement, size, "wall"|"cpu") -> milliseconds per document: (T(N) - T(0)) / N."""
    costs = {}
    for what, runs in results.items():
        for size, r in runs.items():
            if size:
                for key in ("wall", "cpu"):
                    costs[(what, size, key)] = (r[key] - runs[0][key]) / size * 1000
    return costs


def table(results: dict[str, dict[int, dict[str, Any]]]) -> str:
    names = {
        "bare": "bare script (extraction calls, 2-process pool)",
        "bare_frozen": "bare script, its workers' collector set as the pipeline's are",
        "pipeline": "pipeline (`pipeline.run.process`, SQLite)",
        "flow": "Prefect flow `process_inbox` (server)",
    }
    lines = [
        "| measurement | documents | wall (s) | CPU (s) | per document, wall (ms) | per document, CPU (ms) "
        "| vs bare, wall / CPU | peak RSS, all processes (MB) | peak RSS, main process (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    costs = per_document(results)
    for what, runs in results.items():
        for size in sorted(runs):
            r = runs[size]
            if size == 0:
                wall_cost, cpu_cost, ratio = "fixed cost", "fixed cost", ""
            else:
                wall_cost, cpu_cost = f"{costs[(what, size, 'wall')]:.1f}", f"{costs[(what, size, 'cpu')]:.1f}"
                ratio = ""
                if not what.startswith("bare") and ("bare", size, "wall") in costs:
                    ratio = (f"{costs[(what, size, 'wall')] / costs[('bare', size, 'wall')]:.2f}× / "
                             f"{costs[(what, size, 'cpu')] / costs[('bare', size, 'cpu')]:.2f}×")
            lines.append(f"| {names[what]} | {size:,} | {r['wall']:.2f} | {r['cpu']:.2f} | {wall_cost} | {cpu_cost} "
                         f"| {ratio} | {_mb(r['peak_total_mb'])} | {_mb(r['peak_main_mb'])} |")
    return "\n".join(lines)


def notes(results: dict[str, dict[int, dict[str, Any]]], extra: dict[str, Any]) -> str:
    out = []
    pipeline = results.get("pipeline", {})
    for size in sorted(pipeline):
        r = pipeline[size]
        if not size:
            out.append(f"- pipeline, empty inbox: {r['wall']:.2f} s in all, of which {r['import_s']:.2f} s of imports "
                       f"and {r['run_s']:.2f} s for the run (store opened and migrated, report and overview written)")
            continue
        batches = r["step_calls"].get("validate and store", 0)
        cpu = r.get("step_cpu", {})
        report = cpu.get("report: summaries", 0) + cpu.get("report: add", 0) + cpu.get("report: write", 0)
        steps = ", ".join(f"{k} {1000 * v / size:.2f}" for k, v in cpu.items()
                          if not k.startswith("report") and k != "extract (waiting for the pool)")
        out.append(
            f"- pipeline, {size:,} documents: {r['commits']} commits and {r['statements']:,} SQL statements for "
            f"{batches} batches; report {r['reports'].get('run-00001.html', 0) / 1e6:.1f} MB page + "
            f"{r['reports'].get('run-00001.json', 0) / 1e6:.1f} MB JSON in {1000 * report / size:.2f} ms of CPU per "
            f"document ({cpu.get('report: write', 0):.2f} s to put it together at the end); main process "
            f"{1000 * (r['main_cpu_s'] - pipeline[0]['main_cpu_s']) / size:.1f} ms of CPU per document "
            f"(per document: {steps} ms)"
        )
    costs = per_document(results)
    for what in ("pipeline", "flow"):
        for size in sorted(results.get(what, {})):
            if size and ("bare_frozen", size, "wall") in costs:
                out.append(f"- {what}, {size:,} documents, against the bare script with the same collector: "
                           f"{costs[(what, size, 'wall')] / costs[('bare_frozen', size, 'wall')]:.2f}× wall, "
                           f"{costs[(what, size, 'cpu')] / costs[('bare_frozen', size, 'cpu')]:.2f}× CPU")
    flow = results.get("flow", {})
    if 0 in flow:
        line = (f"- empty nightly run (the flow on an empty inbox against a Prefect server, heartbeat off as "
                f"`psp-pipeline run` has it): {flow[0]['run_s']:.2f} s for the flow call, {flow[0]['wall']:.2f} s for "
                f"the whole process ({flow[0]['import_s']:.2f} s of imports)")
        if extra.get("flow_heartbeat"):
            line += f"; with Prefect's default heartbeat (a served deployment's runs): {extra['flow_heartbeat']['run_s']:.2f} s"
        out.append(line)
    served = extra.get("served")
    if served:
        fastest = min(served, key=lambda t: t["pending_to_completed_s"])
        out.append(f"- empty nightly run as served (`psp-pipeline serve`, runs triggered through Prefect's client; fastest "
                   f"of {len(served)}): {fastest['pending_to_completed_s']:.2f} s from Pending to Completed, of which "
                   f"{fastest['to_running_s']:.2f} s for the runner's subprocess to start (interpreter, imports) and "
                   f"{fastest['running_s']:.2f} s running (Prefect's heartbeat on, as served runs have it)")
    for size in sorted(flow):
        if size and size in pipeline:
            out.append(f"- orchestration at {size:,} documents: the flow call took {flow[size]['run_s']:.2f} s, "
                       f"`process()` {pipeline[size]['run_s']:.2f} s ({flow[size]['run_s'] - pipeline[size]['run_s']:+.2f} s; "
                       f"fixed cost {flow[0]['wall']:.2f} s against {pipeline[0]['wall']:.2f} s)")
    if extra.get("server_start"):
        out.append(f"- Prefect server healthy after {extra['server_start']:.1f} s (not counted above)")
    if extra.get("repeat", 1) > 1:
        out.append(f"- each measurement is the fastest of {extra['repeat']}, interleaved (this machine is shared)")
    return "\n".join(out)


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    parser.add_argument("--flow-size", type=int, default=1000, help="documents for the Prefect flow run (0: none)")
    parser.add_argument("--no-prefect", action="store_true", help="skip the Prefect measurements")
    parser.add_argument("--only", choices=("bare", "pipeline"), help="measure only one side")
    parser.add_argument("--profile", type=Path, help="cProfile the pipeline's main process at the largest size")
    parser.add_argument("--repeat", type=int, default=1, help="measure each this many times, interleaved; keep the fastest")
    parser.add_argument("--no-frozen", action="store_true", help="skip the bare script with its collector frozen")
    parser.add_argument("--child", choices=("bare", "bare_frozen", "pipeline", "flow"), help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--heartbeat", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.child in ("bare", "bare_frozen"):
            report = child_bare(args.corpus, frozen=args.child == "bare_frozen")
        elif args.child == "pipeline":
            report = child_pipeline(args.home, args.profile)
        else:
            report = child_flow(args.home, args.heartbeat, args.profile)
        print(json.dumps(report, default=str))
        return

    work = args.out / "throughput"
    work.mkdir(parents=True, exist_ok=True)
    print("making the corpus (once; kept in benchmarks/out/throughput)…", file=sys.stderr, flush=True)
    templates = build_templates(work / "templates")
    sizes = sorted(set(args.sizes))
    corpora = {size: work / f"corpus-{size}" for size in sizes}
    manifests = {size: build_corpus(corpora[size], size, templates) for size in sizes}
    flow_size = args.flow_size if not args.no_prefect else 0
    if flow_size and flow_size not in corpora:
        corpora[flow_size] = work / f"corpus-{flow_size}"
        manifests[flow_size] = build_corpus(corpora[flow_size], flow_size, templates)

    results: dict[str, dict[int, dict[str, Any]]] = {}
    extra: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="psp-throughput-") as scratch_name:
        scratch = Path(scratch_name)

        def pipeline_run(size: int, what: str = "pipeline", env: dict[str, str] | None = None,
                         profile: Path | None = None, heartbeat: bool = False) -> dict[str, Any]:
            home = scratch / f"{what}-{size}"
            if size:
                stage(corpora[size], manifests[size], home / "inbox")
            command = ["--child", what, "--home", str(home)] + (["--profile", str(profile)] if profile else [])
            command += ["--heartbeat"] if heartbeat else []
            report = measure(command, env or child_env(), f"{what} {size:,}")
            if report["documents"] != size:
                raise RuntimeError(f"{what} {size}: {report['documents']} documents processed, not {size}")
            shutil.rmtree(home, ignore_errors=True)
            return report

        def keep(what: str, size: int, report: dict[str, Any]) -> None:
            samples.setdefault(what, {}).setdefault(size, []).append(report)
            best = results.setdefault(what, {}).get(size)
            if best is None or report["wall"] < best["wall"]:
                results[what][size] = report

        samples: dict[str, dict[int, list[dict[str, Any]]]] = {}
        print("measuring (each in a fresh process)…", file=sys.stderr, flush=True)
        for _ in range(args.repeat):
            for size in [0, *sizes]:  # interleaved: a load that comes and goes weighs on both alike
                if args.only != "pipeline":
                    corpus = ["--corpus", str(corpora[size])] if size else []
                    keep("bare", size, measure(["--child", "bare", *corpus], child_env(), f"bare {size:,}"))
                    if not args.no_frozen:
                        keep("bare_frozen", size, measure(["--child", "bare_frozen", *corpus], child_env(),
                                                          f"bare, frozen {size:,}"))
                if args.only != "bare":
                    profile = args.profile if args.profile and size == sizes[-1] else None
                    keep("pipeline", size, pipeline_run(size, profile=profile))
        if not args.no_prefect and args.only is None:
            prefect_home = scratch / "prefect-server"
            prefect_home.mkdir()
            server = PrefectServer(prefect_home)
            try:
                extra["server_start"] = server.wait_healthy()
                extra["server"] = server.url
                (scratch / "prefect-client").mkdir()
                env = child_env({"PREFECT_API_URL": server.url, "PREFECT_HOME": str(scratch / "prefect-client"),
                                 "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"})
                pipeline_run(0, "flow", env)  # the first flow run registers the flow: not counted
                for _ in range(args.repeat):
                    keep("flow", 0, pipeline_run(0, "flow", env))
                    if flow_size:
                        keep("flow", flow_size, pipeline_run(flow_size, "flow", env))
                extra["flow_heartbeat"] = pipeline_run(0, "flow", env, heartbeat=True)
                extra["served"] = measure_served(server, scratch, runs=max(3, args.repeat))
            finally:
                server.stop()
        extra["repeat"] = args.repeat

    text = "\n\n".join([
        f"Throughput on {os.cpu_count()} cores, {datetime.now():%Y-%m-%d %H:%M} "
        f"(`.venv/bin/python benchmarks/throughput.py --sizes {' '.join(map(str, sizes))}"
        f"{f' --repeat {args.repeat}' if args.repeat > 1 else ''}`)",
        table(results),
        notes(results, extra),
    ])
    print(text)
    (args.out / "throughput.md").write_text(text + "\n", "utf-8")
    (args.out / "throughput.json").write_text(json.dumps({"results": results, "samples": samples, "extra": extra},
                                                         indent=1, default=str),
                                              "utf-8")


if __name__ == "__main__":
    main()
