"""SVG charts: well-formed, accessible, escaped, and drawn where the geometry says (expected values worked out here)."""

import xml.etree.ElementTree as ET

import pytest
from django.utils.safestring import SafeString

from common import charts
from common.charts import (
    BAR_MAX_WIDTH,
    BAR_X,
    HIST_BAR_TOP,
    PLOT_HEIGHT,
    PLOT_LEFT,
    PLOT_TOP,
    PLOT_WIDTH,
    RADAR_CX,
    RADAR_CY,
    RADAR_RADIUS,
    bar_chart,
    histogram,
    line_chart,
    radar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
NAMES = ["今回", "前回", "受験者平均"]
# Coordinates are written with one decimal, so anything within 0.05 is the same point.
approx = pytest.approx


def near(value):
    return approx(value, abs=0.051)


def parse(svg) -> ET.Element:
    return ET.fromstring(str(svg))  # noqa: S314 - our own output, parsed to check it


def with_class(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    return [el for el in root.iter(SVG + tag) if css in el.get("class", "").split()]


def points(el: ET.Element) -> list[tuple[float, float]]:
    return [tuple(float(n) for n in pair.split(",")) for pair in el.get("points").split()]


def three_series(n: int) -> list[tuple[str, list[float | None]]]:
    return [(NAMES[0], [0.8] * n), (NAMES[1], [0.6] * n), (NAMES[2], [0.5] * n)]


AXES = ["人工知能の定義", "機械学習", "ディープラーニング", "法律と倫理"]
BUILDERS = {
    "radar": lambda title: radar_chart(AXES, three_series(4), title=title),
    "bar": lambda title: bar_chart(AXES, three_series(4), title=title),
    "line": lambda title: line_chart(["11/28", "12/05", "12/12"], three_series(3), title=title, reference=0.7),
    "histogram": lambda title: histogram([1, 4, 2], bin_edges=[0, 0.4, 0.7, 1.0], marker=0.8, title=title),
}


@pytest.mark.parametrize("kind", BUILDERS)
def test_chart_is_an_accessible_svg_that_scales_to_a_phone(kind):
    out = BUILDERS[kind]("分野別の正答率")
    root = parse(out)

    assert isinstance(out, SafeString)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    x0, y0, width, height = (float(n) for n in root.get("viewBox").split())
    assert (x0, y0) == (0, 0)
    assert 320 <= width <= 400
    assert height > 0
    assert root[0].tag == SVG + "title"
    assert root[0].text == "分野別の正答率"
    assert root[1].tag == SVG + "desc"
    assert root[1].text.strip()
    sizes = [float(el.get("font-size")) for el in root.iter() if el.get("font-size")]
    assert sizes
    assert min(sizes) >= 12


def test_radar_vertices_sit_on_their_spokes():
    # Four axes: the first points straight up, the second right, the third down, the fourth left.
    root = parse(radar_chart(AXES, [("今回", [1.0, 0.5, 0.0, 0.25])], title="t"))

    (polygon,) = with_class(root, "polygon", "chart-series-current")
    expected = [
        (RADAR_CX, RADAR_CY - RADAR_RADIUS),
        (RADAR_CX + RADAR_RADIUS / 2, RADAR_CY),
        (RADAR_CX, RADAR_CY),
        (RADAR_CX - RADAR_RADIUS / 4, RADAR_CY),
    ]
    for (x, y), (ex, ey) in zip(points(polygon), expected, strict=True):
        assert (x, y) == (near(ex), near(ey))
    centres = [(float(c.get("cx")), float(c.get("cy"))) for c in with_class(root, "circle", "chart-marker")]
    assert centres[0] == (near(RADAR_CX), near(RADAR_CY - RADAR_RADIUS))
    assert centres[1] == (near(RADAR_CX + RADAR_RADIUS / 2), near(RADAR_CY))


def test_radar_grid_rings_sit_at_quarter_steps_with_one_spoke_per_axis():
    root = parse(radar_chart(AXES, [("今回", [0.5] * 4)], title="t"))

    rings = with_class(root, "polygon", "chart-grid")
    tops = sorted(points(ring)[0][1] for ring in rings)
    assert tops == [near(RADAR_CY - RADAR_RADIUS * level) for level in (1.0, 0.75, 0.5, 0.25)]
    spokes = with_class(root, "line", "chart-grid")
    ends = [(float(s.get("x2")), float(s.get("y2"))) for s in spokes]
    assert ends == [
        (near(RADAR_CX), near(RADAR_CY - RADAR_RADIUS)),
        (near(RADAR_CX + RADAR_RADIUS), near(RADAR_CY)),
        (near(RADAR_CX), near(RADAR_CY + RADAR_RADIUS)),
        (near(RADAR_CX - RADAR_RADIUS), near(RADAR_CY)),
    ]


def test_radar_draws_a_missing_value_at_the_centre_without_a_marker():
    root = parse(radar_chart(AXES[:3], [("今回", [0.8, None, 0.6]), ("前回", [None, None, 0.5])], title="t"))

    (polygon,) = with_class(root, "polygon", "chart-series-current")
    assert points(polygon)[1] == (near(RADAR_CX), near(RADAR_CY))
    assert len(with_class(root, "circle", "chart-marker")) == 2
    assert len(with_class(root, "rect", "chart-marker")) == 1  # 前回 only has its third value


@pytest.mark.parametrize("kind", ["radar", "bar", "line"])
def test_legend_names_every_series_and_tells_them_apart_without_colour(kind):
    root = parse(BUILDERS[kind]("t"))

    items = with_class(root, "g", "chart-legend-item")
    assert [item.find(SVG + "text").text for item in items] == NAMES
    dashes = [item.find(SVG + "line").get("stroke-dasharray") for item in items]
    shapes = [item[1].tag for item in items]  # the marker drawn over the sample line
    assert len(set(dashes)) == 3
    assert len(set(shapes)) == 3


def test_series_lines_carry_their_class_colour_and_dash():
    root = parse(line_chart(["1", "2"], three_series(2), title="t"))

    current, previous, cohort = (with_class(root, "polyline", css)[0] for css, *_style in charts.SERIES_STYLES)
    assert current.get("stroke") == "#0b5cad"
    assert current.get("stroke-dasharray") is None
    assert previous.get("stroke") == "#57606a"
    assert previous.get("stroke-dasharray")
    assert cohort.get("stroke") == "#9a6700"
    assert cohort.get("stroke-dasharray") not in (None, previous.get("stroke-dasharray"))


HOSTILE = "<script>alert(1)</script> R&D"
SHORT = "<b>&</b>"  # short enough to be drawn uncut


@pytest.mark.parametrize(
    "build",
    [
        lambda: radar_chart([HOSTILE, SHORT, "c"], [(HOSTILE, [0.5, 0.5, 0.5])], title=HOSTILE),
        lambda: bar_chart([HOSTILE, SHORT], [(HOSTILE, [0.5, None])], title=HOSTILE),  # None: the name is drawn
        lambda: line_chart(
            [HOSTILE, SHORT], [(HOSTILE, [0.5, 0.6])], title=HOSTILE, reference=0.7, reference_label=SHORT
        ),
        lambda: histogram([1], bin_edges=[0, 1], marker=0.5, marker_label=SHORT, title=HOSTILE),
    ],
    ids=["radar", "bar", "line", "histogram"],
)
def test_every_caller_string_is_escaped(build):
    out = str(build())

    assert "<script" not in out
    assert "<b>" not in out
    assert "&lt;script&gt;" in out
    assert " R&D" not in out
    root = parse(out)  # still well-formed XML, and the text reads back as written
    assert root[0].text == HOSTILE
    assert any(SHORT in "".join(el.itertext()) for el in root.iter(SVG + "text"))


def test_long_radar_label_is_cut_and_keeps_the_full_text_in_a_title():
    long_label = "ディープラーニングの概要と手法"
    root = parse(radar_chart([long_label, "機械学習", "法律"], [("今回", [0.5, 0.5, 0.5])], title="t"))

    long_text, short_text, _ = with_class(root, "text", "chart-label")
    assert long_text.text == long_label[: charts.LABEL_MAX_CHARS - 1] + "…"
    assert long_text.find(SVG + "title").text == long_label
    assert short_text.text == "機械学習"
    assert short_text.find(SVG + "title") is None


def test_radar_with_fewer_than_three_axes_falls_back_to_bars():
    root = parse(radar_chart(["機械学習", "法律"], [("今回", [0.5, 1.0]), ("前回", [0.25, 0.5])], title="t"))

    assert "chart-bar" in root.get("class").split()
    assert not with_class(root, "polygon", "chart-series")
    assert len(with_class(root, "rect", "chart-bar")) == 4


def test_bar_width_is_proportional_to_the_value():
    root = parse(bar_chart(["機械学習", "法律"], [("今回", [1.0, 0.5]), ("前回", [0.25, None])], title="t"))

    bars = with_class(root, "rect", "chart-bar")
    assert [float(b.get("x")) for b in bars] == [BAR_X] * 3
    # Grouped by label: 機械学習 (今回 1.0, 前回 0.25), then 法律 (今回 0.5; 前回 missing).
    expected = [BAR_MAX_WIDTH, BAR_MAX_WIDTH / 4, BAR_MAX_WIDTH / 2]
    assert [float(b.get("width")) for b in bars] == [near(w) for w in expected]
    assert len(with_class(root, "rect", "chart-marker")) == 1  # the missing 前回 value gets neither bar nor marker
    assert with_class(root, "text", "chart-value")[3].text.startswith("前回 ")  # ...but says whose value is missing


def test_bar_value_text_follows_its_bar_and_a_value_over_one_is_clamped():
    root = parse(bar_chart(["機械学習", "法律"], [("今回", [0.72, 1.3])], title="t"))

    first, second = with_class(root, "text", "chart-value")
    assert first.text == "72%"
    assert float(first.get("x")) > BAR_X + BAR_MAX_WIDTH * 0.72
    assert float(with_class(root, "rect", "chart-bar")[1].get("width")) == near(BAR_MAX_WIDTH)
    assert second.text == "130%"  # the bar is clamped, the number is not hidden


def test_line_point_on_the_pass_line_sits_on_the_reference_line():
    root = parse(
        line_chart(
            ["11/28", "12/05", "12/12"],
            [("今回", [0.5, 0.7, 0.9])],
            title="t",
            reference=0.7,
            reference_label="合格ライン(目安)",
        )
    )

    (ref,) = with_class(root, "line", "chart-reference")
    assert ref.get("y1") == ref.get("y2")
    assert float(ref.get("y1")) == near(PLOT_TOP + PLOT_HEIGHT * 0.3)
    assert ref.get("stroke-dasharray")
    marker = with_class(root, "circle", "chart-marker")[1]
    assert float(marker.get("cy")) == near(float(ref.get("y1")))
    assert float(marker.get("cx")) == near(PLOT_LEFT + PLOT_WIDTH / 2)
    assert with_class(root, "text", "chart-reference-label")[0].text == "合格ライン(目安)"


def test_line_chart_leaves_a_gap_at_a_missing_attempt():
    root = parse(line_chart(list("abcde"), [("今回", [0.4, 0.5, None, 0.6, 0.8])], title="t"))

    runs = with_class(root, "polyline", "chart-series-current")
    step = PLOT_WIDTH / 4
    assert [[x for x, _y in points(run)] for run in runs] == [
        [near(PLOT_LEFT), near(PLOT_LEFT + step)],
        [near(PLOT_LEFT + 3 * step), near(PLOT_LEFT + 4 * step)],
    ]
    assert len(with_class(root, "circle", "chart-marker")) == 4


def test_line_chart_with_one_attempt_draws_only_the_marker():
    root = parse(line_chart(["11/28"], [("今回", [0.6])], title="t"))

    assert not with_class(root, "polyline", "chart-series")
    (marker,) = with_class(root, "circle", "chart-marker")
    assert (float(marker.get("cx")), float(marker.get("cy"))) == (
        near(PLOT_LEFT + PLOT_WIDTH / 2),
        near(PLOT_TOP + PLOT_HEIGHT * 0.4),
    )


def test_line_chart_y_ticks_at_quarters():
    root = parse(line_chart(["11/28", "12/05"], [("今回", [0.5, 0.6])], title="t"))

    assert [t.text for t in with_class(root, "text", "chart-tick")] == ["0%", "25%", "50%", "75%", "100%"]
    grid_ys = [float(g.get("y1")) for g in with_class(root, "line", "chart-grid")]
    assert grid_ys == [near(PLOT_TOP + PLOT_HEIGHT * (1 - f)) for f in (0, 0.25, 0.5, 0.75, 1)]


def test_line_chart_y_max_sets_the_top_of_the_plot():
    root = parse(line_chart(["a", "b"], [("今回", [0.5, 0.25])], title="t", y_max=0.5))

    top, middle = (float(m.get("cy")) for m in with_class(root, "circle", "chart-marker"))
    assert top == near(PLOT_TOP)
    assert middle == near(PLOT_TOP + PLOT_HEIGHT / 2)


def test_histogram_tallest_bar_is_the_largest_bin():
    bins = [2, 8, 4, 0]
    root = parse(histogram(bins, bin_edges=[0, 0.25, 0.5, 0.75, 1.0], title="t"))

    bars = with_class(root, "rect", "chart-bar")
    heights = [float(b.get("height")) for b in bars]
    bottom = PLOT_TOP + PLOT_HEIGHT
    assert heights.index(max(heights)) == 1
    assert float(bars[1].get("y")) == near(HIST_BAR_TOP)
    assert heights == [near((bottom - HIST_BAR_TOP) * n / 8) for n in bins]
    assert [float(b.get("x")) for b in bars] == [near(PLOT_LEFT + PLOT_WIDTH * i / 4 + 1) for i in range(4)]
    assert [t.text for t in with_class(root, "text", "chart-value")] == ["2", "8", "4"]  # no "0" over an empty bin


def test_histogram_marks_the_candidate_score():
    root = parse(histogram([3, 5], bin_edges=[0, 0.5, 1.0], marker=0.6, marker_label="あなた", title="t"))

    (line,) = with_class(root, "line", "chart-you")
    assert float(line.get("x1")) == float(line.get("x2")) == near(PLOT_LEFT + PLOT_WIDTH * 0.6)
    assert with_class(root, "text", "chart-you-label")[0].text == "あなた 60%"


def test_histogram_without_a_marker_has_no_marker_line_and_survives_an_empty_cohort():
    root = parse(histogram([0, 0], bin_edges=[0, 0.5, 1.0], title="t"))

    assert not with_class(root, "line", "chart-you")
    assert [float(b.get("height")) for b in with_class(root, "rect", "chart-bar")] == [0, 0]


@pytest.mark.parametrize(
    "build",
    [
        lambda: radar_chart(["a", "b", "c"], [("今回", [0.5, 0.5])], title="t"),
        lambda: bar_chart(["a"], [("今回", [0.5, 0.5])], title="t"),
        lambda: line_chart(["a", "b"], [("今回", [0.5])], title="t"),
        lambda: histogram([1, 2], bin_edges=[0, 1], title="t"),
    ],
    ids=["radar", "bar", "line", "histogram"],
)
def test_mismatched_lengths_are_rejected(build):
    with pytest.raises(ValueError, match=r"values for|one more"):
        build()


def test_radar_spokes_read_as_codes_with_their_full_names_as_tooltips_and_description():
    """Three spokes cut to 「ディープラーニ…」 read the same: codes never do, and the names stay reachable."""
    names = ["ディープラーニングの概要", "ディープラーニングの要素技術", "ディープラーニングの応用例"]
    root = parse(radar_chart(["G4", "G5", "G6"], [("今回", [0.5, 0.6, 0.7])], title="t", names=names))
    labels = with_class(root, "text", "chart-label")
    assert [label.text for label in labels] == ["G4", "G5", "G6"]
    assert [label.find(SVG + "title").text for label in labels] == [f"G{4 + k} {n}" for k, n in enumerate(names)]
    assert "G5 ディープラーニングの要素技術 60%" in root.find(SVG + "desc").text
