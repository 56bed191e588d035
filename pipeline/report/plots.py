"""Small charts for the coordinator's pages, as inline SVG.

Each function returns an ``<svg>`` element as ``markupsafe.Markup`` (a ``str``), ready to put
in a Jinja2 page as it is. They are drawn here rather than with a plotting library: a few
rectangles and labels need no dependency, the SVG is small and the same for the same data,
and it is made of presentation attributes only: no ``<style>`` element, no ``style=""``
attribute, no script, so a page's Content-Security-Policy needs nothing for it. Every label is
escaped (an agency or stage name is text, never markup).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from markupsafe import Markup, escape

from pipeline.model import Outcome

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK = "#1d2430"
MUTED = "#5b6678"
GRID = "#e3e7ee"

# Bottom to top in a stack, and left to right in the legend.
OUTCOME_STACK = [Outcome.ACCEPTED, Outcome.REJECTED, Outcome.HELD, Outcome.NEEDS_REVIEW, Outcome.DUPLICATE]
OUTCOME_COLORS = {
    Outcome.ACCEPTED: "#2f8f4e",
    Outcome.REJECTED: "#c0392b",
    Outcome.HELD: "#d39200",
    Outcome.NEEDS_REVIEW: "#3b5bdb",
    Outcome.DUPLICATE: "#8a94a6",
}
OTHER_COLOR = "#b0b7c3"
STAGE_COLOR = "#3b5bdb"


def _number(value: float) -> str:
    """Coordinates with at most one decimal: small, and the same text for the same chart."""
    text = f"{value:.1f}"
    return text.removesuffix(".0")


def _nice_ticks(top: int, most: int = 5) -> list[int]:
    """Round tick values from 0 to at least ``top`` (1, 2 or 5 times a power of ten apart)."""
    if top <= 0:
        return [0, 1]
    raw = top / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    return list(range(0, (math.ceil(top / step) + 1) * step, step))


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "start", fill: str = INK, weight: str | None = None) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{_number(x)}" y="{_number(y)}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"{bold}>'
        f"{escape(text)}</text>"
    )


def _svg(width: int, height: int, title: str, description: str, body: list[str], ident: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{ident}-title {ident}-desc" font-family="{FONT}">'
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _empty(width: int, height: int, title: str, message: str, ident: str) -> Markup:
    body = [
        _text(12, 22, title, size=14, weight="600"),
        _text(width / 2, height / 2, message, anchor="middle", fill=MUTED),
    ]
    return _svg(width, height, title, message, body, ident)


def _outcome_label(outcome: str) -> str:
    return outcome.replace("_", " ")


def _outcome_color(outcome: str) -> str:
    """The pipeline's five outcomes in their colours; any other outcome (a newer one) in grey."""
    return {o.value: color for o, color in OUTCOME_COLORS.items()}.get(outcome, OTHER_COLOR)


def _weekly_counts(rows: Iterable[tuple[date, str, int]]) -> dict[date, dict[str, int]]:
    """The counts per week and outcome, rows for the same week and outcome added up; a negative
    count is a caller's error, not something to draw."""
    counts: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for week, outcome, count in rows:
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count} for {week} {outcome}")
        counts[week][str(outcome)] += count
    return counts


def _legend(outcomes: list[str]) -> list[str]:
    """A swatch and a label per outcome, left to right, each placed after the previous label's width."""
    body = []
    x = 12.0
    for outcome in outcomes:
        body.append(f'<rect x="{_number(x)}" y="34" width="10" height="10" fill="{_outcome_color(outcome)}"/>')
        label = _outcome_label(outcome)
        body.append(_text(x + 14, 43, label, size=11, fill=MUTED))
        x += 14 + 6.5 * len(label) + 16
    return body


def _grid(ticks: list[int], left: int, right: int, base: int, scale: float) -> list[str]:
    """The y axis: a grid line across the plot and its value at the left, per tick, so that a bar's
    height can be read."""
    body = []
    for tick in ticks:
        y = base - tick * scale
        body.append(f'<line x1="{left}" x2="{right}" y1="{_number(y)}" y2="{_number(y)}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{tick:,}", size=11, anchor="end", fill=MUTED))
    return body


def _stacked_bar(week: date, counts: Mapping[str, int], order: list[str], x: float, width: float, base: float,
                 scale: float) -> list[str]:
    """One week's bar, its outcomes stacked bottom up from ``base``, each segment with its own tooltip."""
    body = []
    y = base
    for outcome in order:
        count = counts.get(outcome, 0)
        if not count:
            continue
        h = count * scale
        y -= h
        body.append(
            f'<rect x="{_number(x - width / 2)}" y="{_number(y)}" width="{_number(width)}" height="{_number(h)}" '
            f'fill="{_outcome_color(outcome)}"><title>'
            f'{escape(f"Week of {week:%b %-d, %Y}: {count:,} {_outcome_label(outcome)}")}</title></rect>'
        )
    return body


def submissions_per_week(
    rows: Iterable[tuple[date, str, int]],
    *,
    title: str = "Submissions per week, by outcome",
    width: int = 720,
    height: int = 300,
    ident: str = "weeks",
) -> Markup:
    """A stacked bar per week: how many documents were received that week, by outcome.

    ``rows`` are ``(week_start, outcome, count)``; weeks without a row between the first and
    the last show as empty bars, so the time axis is true. Outcomes other than the pipeline's
    five stack on top in grey. ``ident`` prefixes the element ids (two charts on one page need
    two).
    """
    counts = _weekly_counts(rows)
    if not any(sum(c.values()) for c in counts.values()):
        return _empty(width, height, title, "No submissions in this period.", ident)
    first, last = min(counts), max(counts)
    weeks = [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]
    known = [o.value for o in OUTCOME_STACK]
    order = known + sorted({o for c in counts.values() for o in c} - set(known))
    totals = [sum(counts[w].values()) if w in counts else 0 for w in weeks]

    left, right, top, bottom = 44, 12, 58, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = _nice_ticks(max(totals))
    scale = plot_h / ticks[-1]
    slot = plot_w / len(weeks)
    bar = max(1.0, min(48.0, slot * 0.72))

    body = [_text(12, 22, title, size=14, weight="600")]
    body += _legend([o for o in order if any(counts[w].get(o) for w in counts)])  # only the outcomes that occur
    body += _grid(ticks, left, width - right, top + plot_h, scale)
    label_every = max(1, math.ceil(len(weeks) * 62 / plot_w))
    for index, week in enumerate(weeks):
        cx = left + slot * index + slot / 2
        body += _stacked_bar(week, counts.get(week, {}), order, cx, bar, top + plot_h, scale)
        if index % label_every == 0:
            body.append(_text(cx, height - bottom + 16, f"{week:%b %-d}", size=11, anchor="middle", fill=MUTED))
    body.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{MUTED}"/>')
    description = (
        f"{sum(totals):,} submissions in {len(weeks)} week{'s' if len(weeks) != 1 else ''} "
        f"from {first:%Y-%m-%d}; most in one week: {max(totals):,}."
    )
    return _svg(width, height, title, description, body, ident)


def psps_per_stage(
    counts: Mapping[str, int],
    *,
    title: str = "PSPs per certification stage",
    width: int = 720,
    bar_height: int = 22,
    ident: str = "stages",
) -> Markup:
    """A horizontal bar per certification stage, in the order given, with its count."""
    stages = [(str(stage), int(count)) for stage, count in counts.items()]
    for stage, count in stages:
        if count < 0:
            raise ValueError(f"a count cannot be negative: {count} for {stage}")
    if not stages:
        return _empty(width, 120, title, "No PSPs yet.", ident)
    label_w = min(260, max(90, 7 * max(len(s) for s, _ in stages) + 12))
    top, gap, right = 40, 8, 60
    height = top + len(stages) * (bar_height + gap) + 10
    plot_w = width - label_w - right
    most = max(c for _, c in stages) or 1
    body = [_text(12, 22, title, size=14, weight="600")]
    for index, (stage, count) in enumerate(stages):
        y = top + index * (bar_height + gap)
        shown = stage if len(stage) <= 36 else stage[:35] + "…"
        body.append(_text(label_w - 8, y + bar_height / 2 + 4, shown, anchor="end"))
        w = plot_w * count / most
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{_number(max(w, 0))}" height="{bar_height}" fill="{STAGE_COLOR}">'
            f"<title>{escape(f'{stage}: {count:,}')}</title></rect>"
        )
        body.append(_text(label_w + w + 6, y + bar_height / 2 + 4, f"{count:,}", fill=MUTED))
    description = "; ".join(f"{stage}: {count:,}" for stage, count in stages)
    return _svg(width, height, title, description, body, ident)
