"""A small server-rendered SVG trend of a patient's vital signs.

Plain SVG with presentation attributes: no script and no inline style, so the
page's Content-Security-Policy holds, and it costs no matplotlib start-up.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# (attribute, label, colour, y-axis range); colours keep contrast on white and
# every series is also named in a legend, so colour is not the only cue.
SERIES = (
    ("heart_rate", "Heart rate (/min)", "#0b5ed7", (20, 200)),
    ("systolic_bp", "Systolic BP (mmHg)", "#b02a37", (50, 220)),
    ("spo2", "SpO2 (%)", "#146c43", (70, 100)),
)
WIDTH, HEIGHT, PAD = 560, 90, 8
MAX_POINTS = 60


def _coordinates(values: list[float], low: float, high: float) -> list[tuple[float, float]]:
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    coords = []
    for index, value in enumerate(values):
        clamped = min(max(value, low), high)
        y = HEIGHT - PAD - (clamped - low) / (high - low) * (HEIGHT - 2 * PAD)
        coords.append((PAD + index * step, y))
    return coords


def vitals_trend_svg(vitals_oldest_first) -> SafeString:
    """One sparkline per vital sign over the latest readings; empty when there are none."""
    readings = list(vitals_oldest_first)[-MAX_POINTS:]
    panels = []
    for attribute, label, colour, (low, high) in SERIES:
        values = [float(v) for v in (getattr(r, attribute) for r in readings) if v is not None]
        if not values:
            continue
        coords = _coordinates(values, low, high)
        description = f"{label}: {len(values)} readings, latest {values[-1]:g}, " + (
            f"range {min(values):g} to {max(values):g}"
        )
        panels.append(
            format_html(
                '<figure class="mb-2"><figcaption class="small">{label} — latest '
                "<strong>{latest}</strong></figcaption>"
                '<svg class="chart-img" role="img" viewBox="0 0 {w} {h}" width="{w}" '
                'height="{h}" aria-label="{description}"><title>{description}</title>'
                '<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff" stroke="#ced4da"/>'
                '<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
                '<circle cx="{last_x}" cy="{last_y}" r="4" fill="{colour}"/>'
                "</svg></figure>",
                label=label,
                latest=f"{values[-1]:g}",
                w=WIDTH,
                h=HEIGHT,
                description=description,
                colour=colour,
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in coords),
                last_x=f"{coords[-1][0]:.1f}",
                last_y=f"{coords[-1][1]:.1f}",
            )
        )
    return format_html_join("", "{}", ((panel,) for panel in panels))
