"""Named points of a run where the crash tests kill the process, to prove that a run stopped
anywhere loses nothing and duplicates nothing.

``PSP_KILL_AT=<point>[:<n>]`` makes the process kill itself with SIGKILL the n-th time (default
the first) it passes ``checkpoint(<point>)``. Unset, a checkpoint costs one dictionary lookup.
It is read from the environment here, not from the settings, because it is a test instrument
and no setting of the product.
"""

from __future__ import annotations

import os
import signal
from functools import cache

_passed: dict[str, int] = {}


@cache
def _target() -> tuple[str, int] | None:
    spec = os.environ.get("PSP_KILL_AT", "").strip()
    if not spec:
        return None
    point, _, count = spec.partition(":")
    return point, int(count or 1)


def checkpoint(point: str) -> None:
    """Kill this process here when ``PSP_KILL_AT`` names ``point`` and this is the pass it counts;
    otherwise nothing."""
    target = _target()
    if target is None or target[0] != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] == target[1]:
        os.kill(os.getpid(), signal.SIGKILL)
