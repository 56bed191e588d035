"""pipeline.extract.tools: another program run to read a document: its output returned, a missing
program named with its package, a failure or an overrun said in one line (never its output, which
may quote the document), and past its time limit its whole process group killed."""

from __future__ import annotations

import os
import sys
import time

import pytest

from pipeline.errors import DocumentUnreadable
from pipeline.extract.tools import ToolMissing, find_tool, run_tool


def test_a_program_that_is_not_installed_is_named_with_its_package():
    with pytest.raises(ToolMissing, match=r"^no-such-reader is not installed on this machine; install reader-pkg \(make system-deps\)"):
        find_tool("no-such-reader", "reader-pkg")
    assert os.path.isabs(find_tool("sh", "dash"))


def test_what_the_program_prints_is_returned_and_its_input_given():
    assert run_tool(["sh", "-c", "tr a-z A-Z"], timeout=10, what="shouting", stdin=b"quiet") == b"QUIET"


def test_a_file_handed_to_the_program_is_open_in_it_by_its_number():
    read, write = os.pipe()
    try:
        os.write(write, b"handed")
        os.close(write)
        assert run_tool(["cat", f"/proc/self/fd/{read}"], timeout=10, what="reading", pass_fds=(read,)) == b"handed"
    finally:
        os.close(read)


def test_a_failure_says_its_exit_status_but_never_what_the_program_printed():
    with pytest.raises(DocumentUnreadable, match=r"^reading failed \(exit status 3\); a person should open it$") as caught:
        run_tool(["sh", "-c", "echo 'Jordan Example' >&2; exit 3"], timeout=10, what="reading")
    assert "Jordan" not in str(caught.value)


def test_past_its_time_limit_the_program_and_its_children_are_killed(tmp_path):
    marker = tmp_path / "child.pid"
    script = f"sleep 60 & echo $! > {marker}; wait"
    started = time.monotonic()
    with pytest.raises(DocumentUnreadable, match=r"^converting took longer than 1 s and was stopped"):
        run_tool(["sh", "-c", script], timeout=1, what="converting")
    assert time.monotonic() - started < 10
    child = int(marker.read_text())
    for _ in range(50):  # the kill is delivered at once; the child's exit may take a moment to be seen
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the program's child outlived its time limit")


def test_a_program_dies_with_the_process_that_started_it(tmp_path):
    # (PR_SET_PDEATHSIG: a worker killed at its own time limit takes Tesseract or LibreOffice with it)
    import subprocess

    marker = tmp_path / "grandchild.pid"
    parent = subprocess.Popen([sys.executable, "-c", (
        "from pipeline.extract.tools import run_tool\n"
        # a grandchild, as LibreOffice's soffice.bin is its launcher's
    f"run_tool(['sh', '-c', 'sleep 60 & echo $! > {marker}; wait'], timeout=120, what='waiting')\n"
    )], cwd=os.getcwd())
    for _ in range(100):
        if marker.exists() and marker.read_text().strip():
            break
        time.sleep(0.05)
    parent.kill()
    parent.wait()
    tool = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(tool, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail("the program outlived the process that started it")
