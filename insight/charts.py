"""Line and bar charts as accessible inline SVG, drawn on the server from a table (no script, no CDN).

Each chart has a title and description (``role="img"`` with ``aria-labelledby``), labelled axes, and sits
beside the table it is drawn from, which screen readers read instead. Suppressed cells ("< 5") are gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from insight.reports import Table

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 48
DEFAULT_COLOURS = ("#1d4ed8", "#b45309", "#0f172a", "#15803d", "#be123c", "#7c3aed", "#0e7490", "#a16207", "#475569")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]
    colour: str


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _y(value: float, top: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / top)


def _axes(top: float, x_label: str, y_label: str) -> SafeString:
    ticks = [top * i / 4 for i in range(5)]
    grid = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#cbd5e1" stroke-width="1"/>'
        '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#334155">{}</text>',
        (
            (LEFT, WIDTH - RIGHT, f"{_y(t, top):.1f}", f"{_y(t, top):.1f}", LEFT - 4, f"{_y(t, top) + 4:.1f}", f"{t:g}")
            for t in ticks
        ),
    )
    labels = format_html(
        '<text x="{}" y="{}" font-size="12" text-anchor="middle" fill="#0f172a">{}</text>'
        '<text x="12" y="{}" font-size="12" text-anchor="middle" fill="#0f172a" transform="rotate(-90 12 {})">{}</text>',
        (LEFT + WIDTH - RIGHT) // 2,
        HEIGHT - 6,
        x_label,
        (TOP + HEIGHT - BOTTOM) // 2,
        (TOP + HEIGHT - BOTTOM) // 2,
        y_label,
    )
    return grid + labels


def _frame(table: Table, body: SafeString, legend: list[Series], description: str) -> SafeString:
    title_id = f"chart-{table.key}-title"
    desc_id = f"chart-{table.key}-desc"
    legend_html = format_html_join(
        "",
        '<li><span aria-hidden="true" style="display:inline-block;width:.8em;height:.8em;background:{}"></span> {}</li>',
        ((s.colour, s.name) for s in legend),
    )
    svg = format_html(
        '<svg class="insight-chart" viewBox="0 0 {} {}" width="100%" role="img" aria-labelledby="{} {}" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}">{}</title><desc id="{}">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        title_id,
        desc_id,
        title_id,
        table.title,
        desc_id,
        description,
        body,
    )
    return format_html('<figure class="insight-figure">{}<ul class="insight-legend">{}</ul></figure>', svg, legend_html)


def line_chart(table: Table, colours=DEFAULT_COLOURS) -> SafeString:
    """One line per numeric column of the table, the first column along the x axis."""
    labels = [row[0].text for row in table.rows]
    series = []
    for index, name in enumerate(table.columns[1:], start=1):
        values = [row[index].number for row in table.rows]
        if any(v is not None for v in values):
            series.append(Series(str(name), values, colours[(len(series)) % len(colours)]))
    if not labels or not series:
        return mark_safe("")
    top = _nice_max(max(v for s in series for v in s.values if v is not None))
    span = (WIDTH - LEFT - RIGHT) / max(len(labels) - 1, 1)
    parts = [_axes(top, str(table.columns[0]), _("Count"))]
    for s in series:
        segments, current = [], []
        for i, value in enumerate(s.values):
            if value is None:
                if current:
                    segments.append(current)
                current = []
            else:
                current.append(f"{LEFT + i * span:.1f},{_y(value, top):.1f}")
        if current:
            segments.append(current)
        for points in segments:
            if len(points) == 1:
                x, y = points[0].split(",")
                parts.append(format_html('<circle cx="{}" cy="{}" r="3" fill="{}"/>', x, y, s.colour))
            else:
                parts.append(
                    format_html(
                        '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>', s.colour, " ".join(points)
                    )
                )
    step = max(1, len(labels) // 8)
    parts += [
        format_html(
            '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#334155">{}</text>',
            f"{LEFT + i * span:.1f}",
            HEIGHT - BOTTOM + 14,
            label[-5:] if len(label) > 8 else label,
        )
        for i, label in enumerate(labels)
        if i % step == 0
    ]
    description = _("Line chart of %(series)s over %(n)s points; the table below has every value.") % {
        "series": ", ".join(s.name for s in series),
        "n": len(labels),
    }
    return _frame(table, mark_safe("".join(parts)), series, description)


def bar_chart(table: Table, colours=DEFAULT_COLOURS) -> SafeString:
    """Horizontal-free simple bars: the first numeric column per row, labelled below."""
    column = next(
        (i for i in range(1, len(table.columns)) if any(row[i].number is not None for row in table.rows)), None
    )
    if column is None:
        return mark_safe("")
    rows = table.rows[:12]
    values = [row[column].number for row in rows]
    top = _nice_max(max(v for v in values if v is not None))
    slot = (WIDTH - LEFT - RIGHT) / len(rows)
    parts = [_axes(top, str(table.columns[0]), str(table.columns[column]))]
    for i, (row, value) in enumerate(zip(rows, values, strict=True)):
        x = LEFT + i * slot + slot * 0.15
        if value is not None:
            y = _y(value, top)
            parts.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    f"{x:.1f}",
                    f"{y:.1f}",
                    f"{slot * 0.7:.1f}",
                    f"{HEIGHT - BOTTOM - y:.1f}",
                    colours[0],
                )
            )
        label = row[0].text
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="#334155">{}</text>',
                f"{x + slot * 0.35:.1f}",
                HEIGHT - BOTTOM + 14,
                label[:12],
            )
        )
    description = _("Bar chart of %(column)s per %(row)s; the table below has every value.") % {
        "column": table.columns[column],
        "row": table.columns[0],
    }
    return _frame(
        table, mark_safe("".join(parts)), [Series(str(table.columns[column]), values, colours[0])], description
    )


def chart_for(table: Table, colours=DEFAULT_COLOURS) -> SafeString:
    if table.chart == "line":
        return line_chart(table, colours)
    if table.chart == "bar":
        return bar_chart(table, colours)
    return mark_safe("")
