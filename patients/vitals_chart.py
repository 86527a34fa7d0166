"""Server-rendered SVG trends of a patient's vital signs, one small chart per measure.

Plain SVG with presentation attributes: no script and no inline style, so the page's
Content-Security-Policy (`style-src 'self'`) holds, and it costs no matplotlib start-up.
Each chart has a value axis with its unit, dates along the time axis, the adult normal
range shaded (patients/vital_ranges.py), a legend in words and a text alternative
(<title> and <desc>) for screen readers.
"""

import math
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from patients.vital_ranges import REFERENCE_RANGES

MAX_POINTS = 60
WIDTH, HEIGHT = 360, 190
LEFT, RIGHT, TOP, BOTTOM = 46, 12, 12, 40
BAND_FILL = "#d1e7dd"
AXIS_COLOUR = "#495057"  # 8:1 on white
FONT_SIZE = 11


@dataclass(frozen=True)
class Series:
    measure: str
    name: str
    colour: str  # >= 4.5:1 on white; a dash pattern and the legend tell series apart too
    dash: str = ""


@dataclass(frozen=True)
class TrendChart:
    key: str
    title: str
    unit: str
    series: tuple[Series, ...]


CHARTS = (
    TrendChart(
        "heart-rate", "Heart rate", "/min", (Series("heart_rate", "Heart rate", "#0b5ed7"),)
    ),
    TrendChart(
        "blood-pressure",
        "Blood pressure",
        "mmHg",
        (
            Series("systolic_bp", "Systolic BP", "#b02a37"),
            Series("diastolic_bp", "Diastolic BP", "#0b5ed7", dash="5 3"),
        ),
    ),
    TrendChart(
        "temperature", "Temperature", "°C", (Series("temperature_c", "Temperature", "#b02a37"),)
    ),
    TrendChart("spo2", "SpO₂", "%", (Series("spo2", "SpO₂", "#146c43"),)),
    TrendChart(
        "respiratory-rate",
        "Respiratory rate",
        "/min",
        (Series("respiratory_rate", "Respiratory rate", "#0b5ed7"),),
    ),
    TrendChart("weight", "Weight", "kg", (Series("weight_kg", "Weight", "#495057"),)),
)


def _number(value: float) -> str:
    return f"{value:g}"


def _nice_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """Round values from low to high, at most `most` of them, one step apart."""
    span = high - low
    magnitude = 10 ** math.floor(math.log10(span / most))
    step = next(m * magnitude for m in (1, 2, 5, 10) if span / (m * magnitude) <= most)
    first = math.ceil(low / step) * step
    count = int(math.floor((high - first) / step + 1e-9)) + 1
    return [round(first + index * step, 6) for index in range(count)]


def _value_scale(values: list[float], series: tuple[Series, ...]) -> tuple[float, float]:
    """The value axis: the readings and the finite ends of the normal bands, padded."""
    bounds = list(values)
    for line in series:
        reference = REFERENCE_RANGES[line.measure]
        bounds += [float(end) for end in (reference.low, reference.high) if end is not None]
    low, high = min(bounds), max(bounds)
    padding = max((high - low) * 0.1, 1.0)
    return low - padding, high + padding


def _when(reading) -> str:
    return f"{timezone.localtime(reading.recorded_at):%Y-%m-%d %H:%M}"


def _time_ticks(first, last) -> list[tuple[float, str, str]]:
    """(position from 0 to 1, label, text-anchor) along the time axis."""
    first, last = timezone.localtime(first), timezone.localtime(last)
    if (last - first).total_seconds() < 2 * 86400:
        if first == last:
            return [(0.5, f"{first:%Y-%m-%d %H:%M}", "middle")]
        return [(0.0, f"{first:%Y-%m-%d %H:%M}", "start"), (1.0, f"{last:%H:%M}", "end")]
    middle = first + (last - first) / 2
    return [
        (0.0, f"{first:%Y-%m-%d}", "start"),
        (0.5, f"{middle:%Y-%m-%d}", "middle"),
        (1.0, f"{last:%Y-%m-%d}", "end"),
    ]


class _Plot:
    """Maps times and values onto the drawing area of one chart."""

    def __init__(self, readings, low: float, high: float):
        self.start = readings[0].recorded_at
        self.seconds = (readings[-1].recorded_at - self.start).total_seconds()
        self.low, self.high = low, high
        self.inner_width = WIDTH - LEFT - RIGHT
        self.inner_height = HEIGHT - TOP - BOTTOM

    def x(self, moment) -> float:
        if not self.seconds:
            return self.x_at(0.5)
        return self.x_at((moment - self.start).total_seconds() / self.seconds)

    def x_at(self, fraction: float) -> float:
        return round(LEFT + fraction * self.inner_width, 1)

    def y(self, value: float) -> float:
        clamped = min(max(value, self.low), self.high)
        return round(TOP + (self.high - clamped) / (self.high - self.low) * self.inner_height, 1)


def _band(plot: _Plot, measure: str) -> SafeString:
    reference = REFERENCE_RANGES[measure]
    if reference.low is None and reference.high is None:
        return SafeString("")
    top = plot.y(float(reference.high) if reference.high is not None else plot.high)
    bottom = plot.y(float(reference.low) if reference.low is not None else plot.low)
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
        LEFT,
        top,
        plot.inner_width,
        round(bottom - top, 1),
        BAND_FILL,
    )


def _band_words(measure: str) -> str:
    reference = REFERENCE_RANGES[measure]
    if reference.low is not None and reference.high is not None:
        return f"{_number(reference.low)}–{_number(reference.high)}"
    if reference.low is not None:
        return f"{_number(reference.low)} or more"
    if reference.high is not None:
        return f"{_number(reference.high)} or less"
    return ""


def _axes(plot: _Plot, chart: TrendChart, readings) -> SafeString:
    bottom = TOP + plot.inner_height
    value_ticks = format_html_join(
        "",
        '<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" stroke="#dee2e6"/>'
        '<text x="{3}" y="{4}" text-anchor="end" font-size="{5}" fill="{6}">{7}</text>',
        (
            (
                LEFT,
                plot.y(tick),
                WIDTH - RIGHT,
                LEFT - 4,
                plot.y(tick) + 4,
                FONT_SIZE,
                AXIS_COLOUR,
                _number(tick),
            )
            for tick in _nice_ticks(plot.low, plot.high)
        ),
    )
    time_ticks = format_html_join(
        "",
        '<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="{3}"/>'
        '<text x="{0}" y="{4}" text-anchor="{5}" font-size="{6}" fill="{3}">{7}</text>',
        (
            (
                plot.x_at(fraction),
                bottom,
                bottom + 4,
                AXIS_COLOUR,
                bottom + 16,
                anchor,
                FONT_SIZE,
                label,
            )
            for fraction, label, anchor in _time_ticks(
                readings[0].recorded_at, readings[-1].recorded_at
            )
        ),
    )
    return format_html(
        '<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="{colour}"/>'
        '<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{colour}"/>'
        "{value_ticks}{time_ticks}"
        '<text x="12" y="{middle}" transform="rotate(-90 12 {middle})" text-anchor="middle" '
        'font-size="{size}" fill="{colour}">{unit}</text>'
        '<text x="{centre}" y="{date_label}" text-anchor="middle" font-size="{size}" '
        'fill="{colour}">Date recorded</text>',
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=bottom,
        colour=AXIS_COLOUR,
        value_ticks=value_ticks,
        time_ticks=time_ticks,
        middle=TOP + plot.inner_height / 2,
        size=FONT_SIZE,
        unit=chart.unit,
        centre=LEFT + plot.inner_width / 2,
        date_label=HEIGHT - 6,
    )


def _line(plot: _Plot, line: Series, points: list[tuple]) -> SafeString:
    coordinates = [(plot.x(moment), plot.y(value)) for moment, value in points]
    markers = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="2.5" fill="{}"/>',
        ((x, y, line.colour) for x, y in coordinates),
    )
    return format_html(
        '<polyline fill="none" stroke="{}" stroke-width="2"{} points="{}"/>{}',
        line.colour,
        format_html(' stroke-dasharray="{}"', line.dash) if line.dash else "",
        " ".join(f"{x},{y}" for x, y in coordinates),
        markers,
    )


def _series_words(chart: TrendChart, line: Series, points: list[tuple]) -> str:
    values = [value for _, value in points]
    words = (
        f"{line.name} ({chart.unit}): {len(values)} readings, latest {_number(values[-1])}, "
        f"range {_number(min(values))} to {_number(max(values))}"
    )
    band = _band_words(line.measure)
    return f"{words}; adult normal range {band}" if band else words


def _chart_svg(chart: TrendChart, readings) -> SafeString:
    drawn = []
    for line in chart.series:
        points = [
            (reading.recorded_at, float(value))
            for reading in readings
            if (value := getattr(reading, line.measure)) is not None
        ]
        if points:
            drawn.append((line, points))
    if not drawn:
        return SafeString("")
    shown = [r for r in readings if any(getattr(r, line.measure) is not None for line, _ in drawn)]
    low, high = _value_scale([v for _, points in drawn for _, v in points], chart.series)
    plot = _Plot(shown, low, high)
    description = (
        "; ".join(_series_words(chart, line, points) for line, points in drawn)
        + f". From {_when(shown[0])} to {_when(shown[-1])}."
    )
    legend = format_html_join(
        " · ",
        '<span class="text-nowrap">{}{}</span>',
        ((line.name, " (dashed)" if line.dash else "") for line, _ in drawn),
    )
    bands = ", ".join(
        f"{line.name} {words}" if len(drawn) > 1 else words
        for line, _ in drawn
        if (words := _band_words(line.measure))
    )
    return format_html(
        '<figure class="mb-0"><figcaption class="small"><strong>{title}</strong> ({unit})'
        "{legend_sep}{legend}{band_note}</figcaption>"
        '<svg class="chart-img" role="img" viewBox="0 0 {w} {h}" width="100%" '
        'aria-labelledby="trend-{key}-title trend-{key}-desc">'
        '<title id="trend-{key}-title">{title} trend</title>'
        '<desc id="trend-{key}-desc">{description}</desc>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>'
        "{bands}{axes}{lines}</svg></figure>",
        title=chart.title,
        unit=chart.unit,
        legend_sep=": " if len(drawn) > 1 else "",
        legend=legend if len(drawn) > 1 else "",
        band_note=f"; shaded: adult normal range {bands}" if bands else "",
        w=WIDTH,
        h=HEIGHT,
        key=chart.key,
        description=description,
        bands=format_html_join("", "{}", ((_band(plot, line.measure),) for line, _ in drawn)),
        axes=_axes(plot, chart, shown),
        lines=format_html_join("", "{}", ((_line(plot, line, points),) for line, points in drawn)),
    )


def vitals_trend_svg(vitals_oldest_first) -> SafeString:
    """One chart per measure over the latest readings; empty when there are none."""
    readings = list(vitals_oldest_first)[-MAX_POINTS:]
    charts = [svg for chart in CHARTS if (svg := _chart_svg(chart, readings))]
    if not charts:
        return SafeString("")
    return format_html(
        '<div class="vitals-trends">{}</div>',
        format_html_join("", "<div>{}</div>", ((svg,) for svg in charts)),
    )
