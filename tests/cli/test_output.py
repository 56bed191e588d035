"""cli/output.py: tables drawn by rich, plain text off a terminal (no colour codes, no trailing
spaces, 120 columns unless COLUMNS says), the store's text printed as it is, never read as markup."""

from __future__ import annotations

import io
import sys

from rich.console import Console

from cli.output import PLAIN_WIDTH, Column, console, print_table

COLUMNS = [Column("#", wrap=False), Column("file"), Column("tries", numeric=True), Column("reason")]
ROWS = [["#7", "[red]plan[/red] :smile:.pdf", 3, "a reason " * 30], ["#12", "packet.pdf", 10, "short"]]


def _plain(monkeypatch) -> str:
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a terminal, whatever runs the tests
    print_table(COLUMNS, ROWS)
    return sys.stdout.getvalue()


def test_off_a_terminal_a_table_is_plain_text_of_120_columns(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    lines = _plain(monkeypatch).splitlines()
    assert "\x1b" not in "".join(lines)  # no colour codes for cron's mail or a test
    assert all(line == line.rstrip() for line in lines)
    assert max(map(len, lines)) == PLAIN_WIDTH  # the long reason wraps within the width
    assert lines[0].split() == ["#", "file", "tries", "reason"] and set(lines[1]) == {"─"}
    assert lines[2].startswith("#7 ") and "[red]plan[/red] :smile:.pdf" in lines[2]  # as it is: no markup, no emoji
    assert lines[2].split()[:3] == ["#7", "[red]plan[/red]", ":smile:.pdf"]
    twelve = next(line for line in lines if line.startswith("#12"))
    assert twelve.split() == ["#12", "packet.pdf", "10", "short"]
    # Numbers are right-aligned: the 3 ends where the 10 ends.
    assert lines[2].index(" 3 ") + len(" 3") == twelve.index(" 10 ") + len(" 10")


def test_columns_sets_the_width_off_a_terminal(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.setenv("COLUMNS", "80")
    assert console().width == 80
    monkeypatch.delenv("COLUMNS")
    assert console().width == PLAIN_WIDTH


def test_on_a_terminal_the_table_is_styled():
    terminal = Console(force_terminal=True, file=io.StringIO(), width=100, markup=False, emoji=False)
    print_table(COLUMNS, ROWS, terminal)
    drawn = terminal.file.getvalue()
    assert "\x1b[" in drawn  # its header in bold
    assert "[red]plan[/red]" in drawn
