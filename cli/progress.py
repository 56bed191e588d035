"""The progress bar of ``psp-pipeline run``: on a terminal only, drawn by ``rich.progress``.

Cron, CI, a pipe and tests see nothing of it: the run prints its summary and nothing else. The bar
counts the files read (reading is where a run's time goes), told by the run itself
(``pipeline.run.followed_by``), whether it runs through Prefect's flow or without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from cli.output import console

__all__ = ["ProgressBar", "run_progress"]


class ProgressBar:
    """A run's files read, out of those planned (``pipeline.run.RunProgress``); without a total
    (workers sharing an inbox never know theirs), it counts and pulses."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        # Opening a run through Prefect may start its server first: some seconds before a file is read.
        self.task: TaskID = progress.add_task("Opening the run", total=None)

    def planned(self, files: int) -> None:
        """The run's total is known: the bar fills toward it."""
        self.progress.update(self.task, total=files, description="Reading forms")

    def read(self) -> None:
        """One more file read."""
        self.progress.update(self.task, advance=1, description="Reading forms")

    @property
    def counts(self) -> tuple[int, int | None]:
        """Files read so far, and planned (None until known)."""
        task = self.progress.tasks[self.task]
        return int(task.completed), None if task.total is None else int(task.total)


@contextmanager
def run_progress(out: Console | None = None, *, shown: bool = True) -> Iterator[ProgressBar | None]:
    """A progress bar the runs of this process tell, while the block runs, when ``out`` (default:
    standard output) is a terminal and it is to be ``shown``; else nothing (None)."""
    out = out or console()
    if not (shown and out.is_terminal):
        yield None
        return
    from pipeline.run import followed_by

    # Gone once the run is done (the summary says the rest); standard output and error are left as
    # they are: a logging handler made meanwhile (Prefect makes its own) would keep rich's stand-in.
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=out, transient=True, redirect_stdout=False, redirect_stderr=False)
    with progress:
        bar = ProgressBar(progress)
        with followed_by(bar):
            yield bar
