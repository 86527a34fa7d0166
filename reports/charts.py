"""Charts drawn on the server with seaborn on matplotlib's Agg backend.

Figures are built with `matplotlib.figure.Figure` (no pyplot state shared between threads)
and written as SVG with text kept as text. The page's Content-Security-Policy forbids
inline styles, so the SVG placed in the page carries its styling as presentation
attributes (`fill="..."`) instead of `style="..."` and has no `<style>` element; it names
itself with `<title>` and `<desc>` (the text alternative) for screen readers.
"""

import io
import re
from dataclasses import dataclass
from html import escape

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402 (after the backend is chosen)
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import LogLocator, NullFormatter, StrMethodFormatter  # noqa: E402

WIDTH, HEIGHT = 8.0, 4.2  # inches
RC = {"svg.fonttype": "none", "font.family": "DejaVu Sans", "axes.titlesize": 12}
PALETTE = "colorblind"

_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_FONT = re.compile(r"(?P<style>italic|oblique|normal)?\s*(?P<weight>bold|\d00)?\s*"
                   r"(?P<size>[\d.]+px)\s+(?P<family>.+)")  # fmt: skip


@dataclass(frozen=True)
class Chart:
    """A drawn chart: the SVG for the page (and for download) and how to draw it again."""

    svg: str
    figure_spec: tuple  # (kind, keyword arguments) to draw the PNG on demand

    def document(self) -> str:
        """The SVG as a file of its own (download, export)."""
        return '<?xml version="1.0" encoding="utf-8"?>\n' + self.svg


def _figure(height: float = HEIGHT) -> Figure:
    return Figure(figsize=(WIDTH, height), layout="constrained")


def _draw(kind: str, **spec) -> Figure:
    with sns.axes_style("whitegrid"), matplotlib.rc_context(RC):
        return DRAWERS[kind](**spec)


def _bars(frame, x, y, hue, title, xlabel, ylabel, horizontal=False, numeric_x=False):
    # A horizontal bar chart grows with its bars: about a third of an inch each.
    rows = frame[x].nunique() if horizontal else 0
    figure = _figure(height=min(max(0.36 * rows + 1.3, 2.0), 10.0) if horizontal else HEIGHT)
    axes = figure.add_subplot()
    if frame.empty:
        axes.text(0.5, 0.5, "Nothing to show for these filters", ha="center", va="center")
        axes.set_axis_off()
    elif numeric_x:
        # Stacked bars on a numeric axis (years), drawn directly: seaborn's histplot spends
        # most of its time binning data that is already counted.
        grid = frame.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", fill_value=0)
        bottom = None
        colors = sns.color_palette(PALETTE, len(grid.columns))
        for series, color in zip(grid.columns, colors, strict=True):
            axes.bar(grid.index, grid[series], width=0.9, bottom=bottom, color=color,
                     label=series, linewidth=0)  # fmt: skip
            bottom = grid[series] if bottom is None else bottom + grid[series]
        axes.legend(title=hue)
    else:
        sns.barplot(
            data=frame, x=y if horizontal else x, y=x if horizontal else y, hue=hue,
            errorbar=None, palette=PALETTE if hue else None,
            color=None if hue else sns.color_palette(PALETTE)[0], ax=axes,
            orient="h" if horizontal else "v",
        )  # fmt: skip
        if not horizontal and frame[x].nunique() > 12:
            axes.tick_params(axis="x", labelrotation=60)
    _capitalise_legend(axes)
    axes.set_title(title)
    axes.set_xlabel(ylabel if horizontal else xlabel)
    axes.set_ylabel(xlabel if horizontal else ylabel)
    return figure


def _lines(frame, x, y, hue, title, xlabel, ylabel):
    figure = _figure()
    axes = figure.add_subplot()
    if frame.empty:
        axes.text(0.5, 0.5, "Nothing to show for these filters", ha="center", va="center")
        axes.set_axis_off()
    else:
        # matplotlib itself, not sns.lineplot: a missing (suppressed) point must break the
        # line, not be bridged.
        grid = frame.pivot(index=x, columns=hue, values=y)
        grid = grid.reindex(sorted(frame[x].unique()))
        for series, color in zip(
            grid.columns, sns.color_palette(PALETTE, len(grid.columns)), strict=True
        ):
            axes.plot(grid.index, grid[series], marker="o", markersize=3, color=color, label=series)
        axes.legend(title=hue)
        labels = list(grid.index)
        step = max(1, len(labels) // 12)
        axes.set_xticks(labels[::step])
        axes.tick_params(axis="x", labelrotation=45)
    _capitalise_legend(axes, outside=True)
    axes.set_title(title)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    return figure


def _capitalise_legend(axes, *, outside=False) -> None:
    legend = axes.get_legend()
    if legend is not None:
        legend.set_title(legend.get_title().get_text().capitalize())
        if outside:
            sns.move_legend(axes, "upper left", bbox_to_anchor=(1.01, 1), frameon=False)


def _boxes(stats, title, xlabel, totals, totals_title):
    """One box per status from precomputed percentiles (whiskers at the 5th and 95th), and
    under it the amount billed per payer and status as a heat map."""
    # Fixed margins: the constrained layout's measuring of every label is a third of this
    # figure's drawing time, and its labels (statuses, payer names) are short.
    figure = Figure(figsize=(WIDTH, HEIGHT * 2.2))
    figure.subplots_adjust(left=0.24, right=0.97, top=0.95, bottom=0.09, hspace=0.32)
    top, bottom = figure.subplots(2, 1, height_ratios=[1, 1.1])
    if not stats:
        for axes in (top, bottom):
            axes.text(0.5, 0.5, "Nothing to show for these filters", ha="center", va="center")
            axes.set_axis_off()
        return figure
    colors = sns.color_palette(PALETTE, len(stats))
    drawn = top.bxp(stats, orientation="horizontal", showfliers=False, patch_artist=True)
    for patch, color in zip(drawn["boxes"], colors, strict=True):
        patch.set_facecolor(color)
    top.set_xscale("log")
    top.xaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
    top.xaxis.set_major_formatter(StrMethodFormatter("${x:,.0f}"))
    top.xaxis.set_minor_formatter(NullFormatter())
    top.set_title(title)
    top.set_xlabel(xlabel)
    frame = pd.DataFrame.from_records(totals, columns=["status", "payer", "billed"])
    grid = frame.pivot_table(index="payer", columns="status", values="billed", aggfunc="sum")
    sns.heatmap(grid / 1000, annot=True, fmt=",.0f", cmap="Blues", cbar=False,
                linewidths=0.5, ax=bottom, annot_kws={"fontsize": 8})  # fmt: skip
    bottom.set_title(totals_title)
    bottom.set_xlabel("")
    bottom.set_ylabel("")
    bottom.tick_params(axis="x", labelrotation=30)
    return figure


DRAWERS = {"bars": _bars, "lines": _lines, "boxes": _boxes}


def chart(kind: str, *, title: str, description: str, slug: str, **spec) -> Chart | None:
    """Draw the chart and keep its SVG (for the page) and how to draw it (for the PNG);
    None when there is nothing to draw."""
    if ("frame" in spec and spec["frame"].empty) or ("stats" in spec and not spec["stats"]):
        return None
    figure = _draw(kind, title=title, **spec)
    buffer = io.StringIO()
    with matplotlib.rc_context({**RC, "svg.hashsalt": slug}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return Chart(
        svg=_inline_safe(buffer.getvalue(), slug=slug, title=title, description=description),
        figure_spec=(kind, {"title": title, **spec}),
    )


def png(chart_spec: tuple) -> bytes:
    kind, spec = chart_spec
    figure = _draw(kind, **spec)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    return buffer.getvalue()


def _inline_safe(svg: str, *, slug: str, title: str, description: str) -> str:
    svg = re.sub(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>\s*", "", svg, flags=re.S)
    svg = _STYLE_ATTRIBUTE.sub(lambda match: _as_attributes(match.group(1)), svg)
    labels = f"chart-{slug}-title chart-{slug}-desc"
    opening = re.search(r"<svg\b[^>]*>", svg)
    tag = re.sub(r'\s(width|height)="[^"]*"', "", opening.group(0))
    tag = tag.replace(
        "<svg",
        f'<svg class="report-chart" role="img" aria-labelledby="{labels}" '
        'stroke-linejoin="round" stroke-linecap="butt"',
        1,
    )
    text = (
        f'<title id="chart-{slug}-title">{escape(title)}</title>'
        f'<desc id="chart-{slug}-desc">{escape(description)}</desc>'
    )
    return svg[: opening.start()] + tag + text + svg[opening.end() :]


def _as_attributes(style: str) -> str:
    attributes = []
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name == "font":
            attributes.extend(_font_attributes(value))
        else:
            attributes.append((name, value))
    return "".join(f' {name}="{escape(value.strip(chr(39)))}"' for name, value in attributes)


def _font_attributes(value: str) -> list[tuple[str, str]]:
    match = _FONT.match(value)
    if match is None:
        return []
    family = match.group("family").strip().strip("'")
    result = [("font-size", match.group("size")), ("font-family", f"{family}, sans-serif")]
    if match.group("weight"):
        result.append(("font-weight", match.group("weight")))
    if match.group("style"):
        result.append(("font-style", match.group("style")))
    return result
