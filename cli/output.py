"""How the command line prints tables: drawn by ``rich``, plain when standard output is not a terminal.

On a terminal a table takes the terminal's width and its header is bold. Anywhere else (cron, CI,
a pipe, tests) it is plain text: no colour codes, no trailing spaces, 120 columns unless COLUMNS
says otherwise, so that a mailed cron report and ``grep`` read it as they read any other line.
Text from the store (file names, reasons, labels) is printed as it is: never read as rich markup
or emoji codes, so a file named ``[red]x.pdf`` prints as such.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

__all__ = ["PLAIN_WIDTH", "Column", "console", "print_table", "table"]

# The width of a table printed anywhere but a terminal (which has a width of its own), when COLUMNS
# does not say: wide enough for a waiting document's reason on one line, narrow enough for a mail.
PLAIN_WIDTH = 120


def console() -> Console:
    """A console on standard output as it is now (a command's, or a test runner's, which swaps it):
    a terminal's width and style on a terminal, plain text of ``PLAIN_WIDTH`` columns (or COLUMNS)
    elsewhere."""
    out = Console(markup=False, emoji=False, highlight=False)
    if not out.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        out.width = PLAIN_WIDTH
    return out


class Column:
    """One column of a table: its header, and whether its values may wrap (an id, a time or a count
    never does: it would no longer be found by its look)."""

    def __init__(self, header: str, *, wrap: bool = True, numeric: bool = False) -> None:
        self.header = header
        self.wrap = wrap and not numeric
        self.numeric = numeric


def table(columns: Sequence[Column], rows: Sequence[Sequence[object]]) -> Table:
    """The rows under their columns' headers: a rule under the headers, no frame, numbers right-aligned."""
    drawn = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        drawn.add_column(column.header, no_wrap=not column.wrap, justify="right" if column.numeric else "left",
                         overflow="fold")
    for row in rows:
        drawn.add_row(*("" if value is None else str(value) for value in row))
    return drawn


def print_table(columns: Sequence[Column], rows: Sequence[Sequence[object]], out: Console | None = None) -> None:
    """Print the table on ``out`` (default: ``console()``): as rich draws it on a terminal, its lines
    without their trailing spaces elsewhere."""
    out = out or console()
    drawn = table(columns, rows)
    if out.is_terminal:
        out.print(drawn)
        return
    with out.capture() as captured:
        out.print(drawn)
    out.file.write("".join(f"{line.rstrip()}\n" for line in captured.get().splitlines()))
    out.file.flush()
