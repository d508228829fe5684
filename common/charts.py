"""Server-side SVG charts for the result and history pages: no JavaScript, no CDN, readable on a phone.

Each chart is an SVG string built here and marked safe, so every caller-supplied string goes through escape().
Series differ by colour, dash pattern and marker shape, so colour is never the only signal.
Rates are 0..1; anything outside is clamped so a bad value cannot draw outside the chart.
"""

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

Series = list[tuple[str, list[float | None]]]

# The viewBox is about a phone's CSS width, so 12 units render at roughly 12px there.
VIEW_WIDTH = 360
FONT_SIZE = 12
LABEL_MAX_CHARS = 8
BAR_LABEL_MAX_CHARS = 28  # a bar chart's labels get a whole row
LEGEND_ROW_HEIGHT = 20

# (css class, colour, stroke-dasharray, marker shape), by series position: current, previous, cohort.
SERIES_STYLES = (
    ("chart-series-current", "#0b5cad", "", "circle"),
    ("chart-series-previous", "#57606a", "6 4", "square"),
    ("chart-series-cohort", "#9a6700", "2 3", "triangle"),
)
GRID_LEVELS = (0.25, 0.5, 0.75, 1.0)
GRID_COLOUR = "#d0d7de"
TEXT_COLOUR = "#1f2328"
REFERENCE_COLOUR = "#cf222e"
HALO = {"stroke": "#fff", "stroke_width": 3, "paint_order": "stroke"}  # keeps a label readable over a data line

RADAR_CX = 180
RADAR_CY = 104
RADAR_RADIUS = 72  # leaves ~96 units each side for an 8-character label

# Plot area of the line chart and the histogram; the left margin holds the y tick labels.
PLOT_LEFT = 44
PLOT_TOP = 16
PLOT_WIDTH = 292
PLOT_HEIGHT = 160
HIST_BAR_TOP = PLOT_TOP + 2 * FONT_SIZE  # room above the tallest bar for its count and the marker label

BAR_X = 8
BAR_MAX_WIDTH = 290  # leaves room for a marker and "100%" after a full bar
BAR_HEIGHT = 12


def _attr(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else escape(value)


def _el(tag: str, body: str = "", **attrs) -> str:
    """One SVG element. `body` must already be escaped; attribute names use _ for - (class_ for class)."""
    text = " ".join(f'{k.rstrip("_").replace("_", "-")}="{_attr(v)}"' for k, v in attrs.items() if v not in (None, ""))
    return f"<{tag} {text}>{body}</{tag}>" if body else f"<{tag} {text}/>"


def _line(x1: float, y1: float, x2: float, y2: float, **attrs) -> str:
    return _el("line", x1=x1, y1=y1, x2=x2, y2=y2, **attrs)


def _text(body: str, x: float, y: float, css: str = "", anchor: str = "", **attrs) -> str:
    return _el("text", body, class_=css, x=x, y=y, text_anchor=anchor, **attrs)


def _stroke(colour: str, dash: str = "", width: float = 2) -> dict:
    return {"stroke": colour, "stroke_width": width, "stroke_dasharray": dash}


def _clamp(value: float, high: float = 1.0) -> float:
    return min(max(value, 0.0), high)


def _pct(value: float | None) -> str:
    return _("データなし") if value is None else f"{round(value * 100)}%"


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


def _short(label: str, limit: int = LABEL_MAX_CHARS) -> str:
    """Escaped label content; a cut label keeps the full text in a <title> child (shown on hover)."""
    if len(label) <= limit:
        return escape(label)
    return f"{escape(label[: limit - 1])}…<title>{escape(label)}</title>"


def _marker(shape: str, x: float, y: float, colour: str, css: str, tip: str = "") -> str:
    tip, attrs = f"<title>{escape(tip)}</title>" if tip else "", {"class_": css, "fill": colour}
    if shape == "circle":
        return _el("circle", tip, cx=x, cy=y, r=4, **attrs)
    if shape == "square":
        return _el("rect", tip, x=x - 3.5, y=y - 3.5, width=7, height=7, **attrs)
    return _el("polygon", tip, points=_points([(x, y - 5), (x + 4.5, y + 3.5), (x - 4.5, y + 3.5)]), **attrs)


def _legend(series: Series, top: float) -> tuple[str, float]:
    """Legend rows starting at `top`, wrapping when full; returns the markup and the y just below it."""
    parts, x, y = [], 8.0, top + LEGEND_ROW_HEIGHT / 2
    for i, (name, _values) in enumerate(series):
        css, colour, dash, shape = SERIES_STYLES[i % len(SERIES_STYLES)]
        width = 30 + FONT_SIZE * len(name) + 14  # sample + text, assuming full-width glyphs
        if x > 8 and x + width > VIEW_WIDTH:
            x, y = 8.0, y + LEGEND_ROW_HEIGHT
        sample = _line(x, y, x + 24, y, **_stroke(colour, dash))
        sample += _marker(shape, x + 12, y, colour, "chart-legend-marker")  # not "chart-marker": that is a data point
        parts.append(_el("g", sample + _text(escape(name), x + 30, y + 4), class_=f"chart-legend-item {css}"))
        x += width
    return _el("g", "".join(parts), class_="chart-legend"), y + LEGEND_ROW_HEIGHT / 2


def _svg(kind: str, height: float, title: str, desc: str, body: list[str]) -> SafeString:
    # <title> as the first child is the accessible name of a role="img" svg; <desc> carries the numbers.
    return mark_safe(  # noqa: S308 - every caller-supplied string in body was escaped where it was added
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" viewBox="0 0 {VIEW_WIDTH} {height:.0f}" '
        f'width="100%" role="img" font-size="{FONT_SIZE}" fill="{TEXT_COLOUR}">'
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>{''.join(body)}</svg>"
    )


def _describe(labels: list[str], series: Series) -> str:
    """The numbers as text for <desc>; called before drawing, so it also rejects mismatched series."""
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
    rows = ((name, zip(labels, values, strict=True)) for name, values in series)
    return "; ".join(f"{name}: " + ", ".join(f"{label} {_pct(v)}" for label, v in pairs) for name, pairs in rows)


def _radar_point(index: int, count: int, value: float) -> tuple[float, float]:
    angle = -math.pi / 2 + 2 * math.pi * index / count  # first axis straight up, then clockwise
    return RADAR_CX + RADAR_RADIUS * value * math.cos(angle), RADAR_CY + RADAR_RADIUS * value * math.sin(angle)


def radar_chart(axes: list[str], series: Series, *, title: str, names: list[str] | None = None) -> SafeString:
    """`axes` label the spokes (short: area codes such as G4, so no two read the same); `names`, the full
    names, go into each label's tooltip and the chart's text description."""
    full = [f"{a} {n}" for a, n in zip(axes, names, strict=True)] if names else axes
    if len(axes) < 3:  # two spokes enclose no area; bars read better
        return bar_chart(full, series, title=title)
    desc, n, grid = _describe(full, series), len(axes), {"class_": "chart-grid", "stroke": GRID_COLOUR}
    parts = [
        _el("polygon", points=_points([_radar_point(i, n, lv) for i in range(n)]), fill="none", **grid)
        for lv in GRID_LEVELS
    ]
    for i, label in enumerate(axes):
        x, y = _radar_point(i, n, 1)
        parts.append(_line(RADAR_CX, RADAR_CY, x, y, **grid))
        lx, ly = _radar_point(i, n, (RADAR_RADIUS + 8) / RADAR_RADIUS)
        anchor = "middle" if abs(lx - RADAR_CX) < 1 else "start" if lx > RADAR_CX else "end"
        # Shift the baseline so top labels sit above the spoke's end and bottom labels below it.
        ty = ly + 4 + 8 * (ly - RADAR_CY) / (RADAR_RADIUS + 8)
        text = _short(label) if not names else f"{escape(label)}<title>{escape(full[i])}</title>"
        parts.append(_text(text, lx, ty, "chart-label", anchor))
    for s, (name, values) in reversed(list(enumerate(series))):  # back to front: the current attempt ends on top
        css, colour, dash, shape = SERIES_STYLES[s % len(SERIES_STYLES)]
        points = [_radar_point(i, n, _clamp(v or 0.0)) for i, v in enumerate(values)]
        fill = {"fill": colour, "fill_opacity": "0.12"} if s == 0 else {"fill": "none"}
        parts.append(
            _el("polygon", class_=f"chart-series {css}", points=_points(points), **fill, **_stroke(colour, dash))
        )
        for (x, y), label, v in zip(points, full, values, strict=True):
            if v is not None:
                parts.append(_marker(shape, x, y, colour, f"chart-marker {css}", f"{name} {label} {_pct(v)}"))
    legend, height = _legend(series, RADAR_CY + RADAR_RADIUS + 8 + 2 * FONT_SIZE)
    return _svg("radar", height, title, desc, [*parts, legend])


def bar_chart(labels: list[str], series: Series, *, title: str) -> SafeString:
    # Each label gets its own row above its bars: long Japanese labels need the full width on a phone.
    desc, parts, y = _describe(labels, series), [], 4.0
    for i, label in enumerate(labels):
        parts.append(_text(_short(label, BAR_LABEL_MAX_CHARS), BAR_X, y + FONT_SIZE, "chart-label"))
        y += FONT_SIZE + 6
        for s, (name, values) in enumerate(series):
            css, colour, dash, shape = SERIES_STYLES[s % len(SERIES_STYLES)]
            value, end, mid = values[i], BAR_X, y + BAR_HEIGHT / 2
            if value is not None:
                width = BAR_MAX_WIDTH * _clamp(value)
                bar = {"class_": f"chart-bar {css}", "fill": colour, "fill_opacity": "1" if s == 0 else "0.3"}
                parts.append(
                    _el("rect", x=BAR_X, y=y, width=width, height=BAR_HEIGHT, **bar, **_stroke(colour, dash, 1.5))
                )
                parts.append(_marker(shape, BAR_X + width + 6, mid, colour, f"chart-marker {css}"))
                end = BAR_X + width + 14
            shown = _pct(value) if value is not None else f"{name} {_pct(None)}"  # no bar to say whose it is
            parts.append(_text(escape(shown), end, mid + 4, f"chart-value {css}"))
            y += BAR_HEIGHT + 4
        y += 8
    legend, height = _legend(series, y)
    return _svg("bar", height, title, desc, [*parts, legend])


def _plot_y(value: float, y_max: float) -> float:
    return PLOT_TOP + PLOT_HEIGHT * (1 - _clamp(value, y_max) / y_max)


def _x_labels(labels: list[str], xs: list[float], min_gap: float) -> list[str]:
    """Every label that fits: a long history shows every k-th date rather than overlapping ones."""
    spacing = (xs[-1] - xs[0]) / (len(xs) - 1) if len(xs) > 1 else 0
    step = max(1, math.ceil(min_gap / spacing)) if spacing > 0 else 1
    y = PLOT_TOP + PLOT_HEIGHT + FONT_SIZE + 4
    return [
        _text(_short(label), x, y, "chart-label", "middle")
        for i, (label, x) in enumerate(zip(labels, xs, strict=True))
        if i % step == 0
    ]


def line_chart(
    x_labels: list[str],
    series: Series,
    *,
    title: str,
    y_max: float = 1.0,
    reference: float | None = None,
    reference_label: str = "",
) -> SafeString:
    if y_max <= 0:
        raise ValueError("y_max must be positive")
    desc = _describe(x_labels, series)
    n, right, parts = len(x_labels), PLOT_LEFT + PLOT_WIDTH, []
    for level in (0, *GRID_LEVELS):
        y = _plot_y(level * y_max, y_max)
        parts.append(_line(PLOT_LEFT, y, right, y, class_="chart-grid", stroke=GRID_COLOUR))
        parts.append(_text(_pct(level * y_max), PLOT_LEFT - 6, y + 4, "chart-tick", "end"))
    xs = [PLOT_LEFT + (PLOT_WIDTH * i / (n - 1) if n > 1 else PLOT_WIDTH / 2) for i in range(n)]
    parts += _x_labels(x_labels, xs, min_gap=48)
    if reference is not None:
        ry = _plot_y(reference, y_max)
        parts.append(_line(PLOT_LEFT, ry, right, ry, class_="chart-reference", **_stroke(REFERENCE_COLOUR, "8 4", 1.5)))
        if reference_label:
            parts.append(_text(escape(reference_label), right, ry - 4, "chart-reference-label", "end", **HALO))
        desc += f"; {reference_label} {_pct(reference)}"
    markers = []
    for s, (name, values) in reversed(list(enumerate(series))):
        css, colour, dash, shape = SERIES_STYLES[s % len(SERIES_STYLES)]
        line = {"class_": f"chart-series {css}", "fill": "none", **_stroke(colour, dash)}
        run: list[tuple[float, float]] = []
        for i, v in enumerate([*values, None]):  # the trailing None closes the last run
            if v is None:  # None leaves a gap; a lone point is just its marker
                parts += [_el("polyline", points=_points(run), **line)] if len(run) > 1 else []
                run = []
                continue
            run.append((xs[i], _plot_y(v, y_max)))
            markers.append(_marker(shape, *run[-1], colour, f"chart-marker {css}", f"{name} {x_labels[i]} {_pct(v)}"))
    legend, height = _legend(series, PLOT_TOP + PLOT_HEIGHT + FONT_SIZE + 14)
    return _svg("line", height, title, desc, [*parts, *markers, legend])


def histogram(
    bins: list[int], *, bin_edges: list[float], marker: float | None = None, marker_label: str = "", title: str
) -> SafeString:
    """Counts per score band; edges are rates 0..1, one more edge than bins."""
    if len(bin_edges) != len(bins) + 1:
        raise ValueError("bin_edges needs exactly one more entry than bins")
    low, high, bottom = bin_edges[0], bin_edges[-1], PLOT_TOP + PLOT_HEIGHT
    span, tallest = (high - low) or 1.0, max(bins, default=0) or 1  # an empty cohort still draws its axis

    def x_of(value: float) -> float:
        return PLOT_LEFT + PLOT_WIDTH * (min(max(value, low), high) - low) / span

    parts = [_line(PLOT_LEFT, bottom, PLOT_LEFT + PLOT_WIDTH, bottom, class_="chart-axis", stroke=TEXT_COLOUR)]
    css, colour = SERIES_STYLES[2][:2]
    bands = []
    for count, left, right in zip(bins, bin_edges, bin_edges[1:], strict=False):
        x0, x1, h = x_of(left), x_of(right), (bottom - HIST_BAR_TOP) * count / tallest
        bands.append(f"{_pct(left)}–{_pct(right)}: " + _("%(count)s人") % {"count": count})
        bar = {"class_": f"chart-bar {css}", "fill": colour, "fill_opacity": "0.6"}
        tip = f"<title>{escape(bands[-1])}</title>"
        parts.append(_el("rect", tip, x=x0 + 1, y=bottom - h, width=max(x1 - x0 - 2, 0.0), height=h, **bar))
        if count:
            parts.append(_text(str(count), (x0 + x1) / 2, bottom - h - 4, "chart-value", "middle"))
    parts += _x_labels([_pct(e) for e in bin_edges], [x_of(e) for e in bin_edges], min_gap=40)
    desc = ", ".join(bands)
    if marker is not None:
        css, colour = SERIES_STYLES[0][:2]
        mx, text = x_of(marker), f"{marker_label} {_pct(marker)}".strip()
        anchor, tx = ("start", mx + 4) if mx < PLOT_LEFT + PLOT_WIDTH / 2 else ("end", mx - 4)
        parts.append(_line(mx, PLOT_TOP + 8, mx, bottom, class_=f"chart-you {css}", **_stroke(colour)))
        parts.append(_text(escape(text), tx, PLOT_TOP + 4, "chart-you-label", anchor, **HALO))
        desc += f"; {text}"
    return _svg("histogram", bottom + FONT_SIZE + 10, title, desc, parts)


def reliability_diagram(points: list[tuple[float, float, int]], *, title: str) -> SafeString:
    """Predicted probability (x) against how often it happened (y), one point per bin of predictions with its
    count beside it; the diagonal is where a well-calibrated prediction lies."""
    bottom, right = PLOT_TOP + PLOT_HEIGHT, PLOT_LEFT + PLOT_WIDTH

    def x_of(value: float) -> float:
        return PLOT_LEFT + PLOT_WIDTH * _clamp(value)

    parts = []
    for level in (0, *GRID_LEVELS):
        y = _plot_y(level, 1.0)
        parts.append(_line(PLOT_LEFT, y, right, y, class_="chart-grid", stroke=GRID_COLOUR))
        parts.append(_text(_pct(level), PLOT_LEFT - 6, y + 4, "chart-tick", "end"))
    edges = [0, *GRID_LEVELS]
    parts += _x_labels([_pct(e) for e in edges], [x_of(e) for e in edges], min_gap=40)
    parts.append(
        _line(PLOT_LEFT, bottom, right, PLOT_TOP, class_="chart-reference", **_stroke(REFERENCE_COLOUR, "8 4", 1.5))
    )
    css, colour, dash, shape = SERIES_STYLES[0]
    drawn = [(x_of(p), _plot_y(o, 1.0), p, o, n) for p, o, n in points]
    if len(drawn) > 1:
        parts.append(
            _el(
                "polyline",
                points=_points([(x, y) for x, y, *_ in drawn]),
                fill="none",
                class_=f"chart-series {css}",
                **_stroke(colour, dash),
            )
        )
    described = []
    for x, y, predicted, observed, count in drawn:
        text = _("予測 %(p)s → 実際 %(o)s（%(n)s件）") % {"p": _pct(predicted), "o": _pct(observed), "n": count}
        described.append(text)
        parts.append(_marker(shape, x, y, colour, f"chart-marker {css}", text))
        parts.append(_text(str(count), x + 6, y - 6, "chart-value", **HALO))
    axis = _("横: 予測した合格可能性、縦: 実際の合格率。点線上なら予測どおり。数字は件数。")
    return _svg("reliability", bottom + FONT_SIZE + 10, title, "; ".join([axis, *described]), parts)
