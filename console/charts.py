"""Charts drawn on the server as SVG: no script, nothing fetched, readable without colour
(every chart has a text summary beside it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 240, 60, 6


def mood_line(
    points: Sequence[tuple[datetime, int]], *, since: datetime, until: datetime
) -> Markup:
    """Mood (1 to 5) over the period, one dot per check-in joined by a line."""
    if not points:
        return Markup('<p class="muted">No check-ins in the last 90 days.</p>')
    span = max((until - since).total_seconds(), 1.0)

    def x(at: datetime) -> float:
        return PAD + (WIDTH - 2 * PAD) * (at - since).total_seconds() / span

    def y(mood: int) -> float:
        return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (mood - 1) / 4

    path = " ".join(f"{x(at):.1f},{y(mood):.1f}" for at, mood in points)
    dots = "".join(
        f'<circle cx="{x(at):.1f}" cy="{y(mood):.1f}" r="2"><title>{at:%d %b}: mood {mood}'
        "</title></circle>"
        for at, mood in points
    )
    latest = points[-1][1]
    label = f"Mood over 90 days: {len(points)} check-ins, latest {latest} of 5"
    # Numbers and dates only, and the label is ours: nothing a user wrote goes in.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{label}">'
        f'<polyline points="{path}" fill="none" stroke="currentColor" stroke-width="1.5"/>'
        f"{dots}</svg>"
    )


def bars(rows: Iterable[tuple[str, str, object]]) -> Markup:
    """Horizontal bars for every shown count of the report (suppressed ones marked)."""
    shown = [
        (
            f"{figure} {breakdown}",
            getattr(value, "value", None),
            getattr(value, "suppressed", False),
        )
        for figure, breakdown, value in rows
        if "rate" not in figure and "median" not in figure
    ]
    top = max((value for _, value, _ in shown if isinstance(value, int)), default=0) or 1
    height = 16 * len(shown) + 4
    parts = []
    for index, (label, value, suppressed) in enumerate(shown):
        y = 4 + index * 16
        width = 0 if not isinstance(value, int) else 200 * value / top
        text = "suppressed" if suppressed else str(value)
        parts.append(
            f'<text x="0" y="{y + 10}" font-size="9">{escape(label)}</text>'
            f'<rect x="170" y="{y}" width="{width:.1f}" height="11"/>'
            f'<text x="{174 + width:.1f}" y="{y + 10}" font-size="9">{text}</text>'
        )
    # Numbers, and labels escaped above.
    return Markup(  # noqa: S704
        f'<svg class="chart wide" viewBox="0 0 420 {height}" role="img" '
        f'aria-label="Outcome figures as bars">{"".join(parts)}</svg>'
    )
