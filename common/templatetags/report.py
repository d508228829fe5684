from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value, digits: int = 0) -> str:
    """0.723 → "72%"; None (no data yet) → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


@register.filter
def signed_pct(value) -> str:
    """A difference in rate: +5 pt / −12 pt."""
    if value is None:
        return "—"
    points = round(value * 100)
    return f"{'+' if points > 0 else '−' if points < 0 else '±'}{abs(points)} pt"


@register.filter
def minutes(seconds) -> str:
    seconds = round(seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


# The heatmap's sequential scale in whole percent, the number printed in the cell (so a cell's shade and the
# legend agree with what it says): weakest darkest, in 5-point steps where most departments sit (50–70%, below
# Moshi's 70% pass line), so 53% and 59% differ at a glance. Colours and text colours in moshi.css (.heat-N).
HEAT_BANDS = ((0, 39), (40, 49), (50, 54), (55, 59), (60, 64), (65, 69), (70, 79), (80, 100))


@register.filter
def heat_band(rate) -> str:
    """A heatmap cell's shade, `heat-0` (weakest) to `heat-7`; the number is always printed too."""
    if rate is None:
        return "heat-none"
    points = round(rate * 100)
    return f"heat-{next((i for i, (_low, high) in enumerate(HEAT_BANDS) if points <= high), len(HEAT_BANDS) - 1)}"


@register.simple_tag
def heat_legend() -> list[tuple[str, str]]:
    """(css class, label) per step of the scale, weakest first, for the legend beside the heatmap."""
    last = len(HEAT_BANDS) - 1
    return [
        (
            f"heat-{i}",
            _("%(n)d%%以下") % {"n": high}
            if i == 0
            else _("%(n)d%%以上") % {"n": low}
            if i == last
            else _("%(low)d〜%(high)d%%") % {"low": low, "high": high},
        )
        for i, (low, high) in enumerate(HEAT_BANDS)
    ]
