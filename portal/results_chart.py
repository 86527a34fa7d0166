"""A small server-rendered SVG of one lab test's values over time, with its usual range.

Plain SVG with presentation attributes (the page's Content-Security-Policy forbids inline
style and script). The picture repeats what the table beside it says in words.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, PAD = 320, 80, 8
LINE = "#0b5ed7"
BAND = "#d1e7dd"


def result_trend_svg(name: str, results_oldest_first) -> SafeString:
    """The numeric results as a line over the usual range (shaded); empty below two values."""
    points = [r for r in results_oldest_first if r.value_numeric is not None]
    if len(points) < 2:
        return mark_safe("")
    values = [float(r.value_numeric) for r in points]
    lows = [float(r.reference_low) for r in points if r.reference_low is not None]
    highs = [float(r.reference_high) for r in points if r.reference_high is not None]
    low, high = min(values + lows), max(values + highs)
    if high == low:
        low, high = low - 1, high + 1

    def y(value: float) -> float:
        return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)

    step = (WIDTH - 2 * PAD) / (len(values) - 1)
    coords = [(PAD + index * step, y(value)) for index, value in enumerate(values)]
    band = ""
    if lows and highs:
        top, bottom = y(max(highs)), y(min(lows))
        band = format_html(
            '<rect x="{x}" y="{top}" width="{w}" height="{h}" fill="{fill}"/>',
            x=PAD,
            top=f"{top:.1f}",
            w=WIDTH - 2 * PAD,
            h=f"{max(bottom - top, 1):.1f}",
            fill=BAND,
        )
    unit = points[-1].unit
    description = (
        f"{name}: {len(values)} results from {points[0].observed_at:%Y-%m-%d} to "
        f"{points[-1].observed_at:%Y-%m-%d}, lowest {min(values):g}, highest {max(values):g}, "
        f"latest {values[-1]:g} {unit}".strip()
    )
    if lows and highs:
        description += f"; the shaded band is the usual range {min(lows):g} to {max(highs):g}"
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="{}"/>',
        ((f"{x:.1f}", f"{y_:.1f}", LINE) for x, y_ in coords),
    )
    return format_html(
        '<svg class="chart-img" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-label="{description}"><title>{description}</title>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff" stroke="#ced4da"/>{band}'
        '<polyline fill="none" stroke="{line}" stroke-width="2" points="{points}"/>{dots}</svg>',
        w=WIDTH,
        h=HEIGHT,
        description=description,
        band=band,
        line=LINE,
        points=" ".join(f"{x:.1f},{y_:.1f}" for x, y_ in coords),
        dots=dots,
    )
