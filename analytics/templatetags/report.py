from django import template

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


@register.filter
def heat_band(rate) -> str:
    """A heatmap cell's shade: five bands of correct rate (the number is always printed too)."""
    if rate is None:
        return "heat-none"
    return f"heat-{min(4, max(0, int((rate - 0.4) * 10)))}"  # <50%, 50s, 60s, 70s, 80%+
