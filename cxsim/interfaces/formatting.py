"""How values are shown to people: shares in percent and their changes in percentage
points, NPS in points, money with thousands separators (or k/M/bn), days, counts.

Shared by the ``cxsim`` console tables (:mod:`cxsim.interfaces.cli`) and the HTML report
(:mod:`cxsim.interfaces.report`), so a number reads the same in both.

>>> format_value("share", 0.7777)
'77.8%'
>>> format_difference("share", 0.004)
'+0.4 pp'
>>> format_interval("money", -1234.0, 56789.0, compact=True)
'[-1,234, 56.8k]'
>>> format_difference("share", -0.0001)   # no minus on a change that rounds to zero
'+0.0 pp'
"""

from __future__ import annotations

import math

import numpy as np

#: Display of each unit: (scale, format of a value, format of a difference, suffix of a
#: difference).
UNIT_FORMATS = {
    "share": (100.0, "{:.1f}%", "{:+.1f}", " pp"),
    "points": (1.0, "{:+.1f}", "{:+.1f}", " pts"),
    "money": (1.0, "{:,.0f}", "{:+,.0f}", ""),
    "money_per_day": (1.0, "{:,.0f}", "{:+,.0f}", ""),
    "count": (1.0, "{:,.0f}", "{:+,.0f}", ""),
    "days": (1.0, "{:.1f}", "{:+.1f}", " d"),
    "contacts": (1.0, "{:.2f}", "{:+.2f}", ""),
    "score": (1.0, "{:.3f}", "{:+.3f}", ""),
    "ratio": (100.0, "{:+.0f}%", "{:+.0f}", " pp"),
}


def format_value(unit: str, value, compact: bool = False) -> str:
    """``value`` in its unit's display (shares in %, money with thousands separators, or
    with k/M/bn when ``compact``)."""
    if not is_finite(value):
        return "-"
    if compact and unit in MONEY_UNITS:
        return _compact_money(value, signed=False)
    scale, fmt, _, _ = UNIT_FORMATS.get(unit, UNIT_FORMATS["score"])
    return _format(fmt, value * scale)


def format_difference(unit: str, value, compact: bool = False) -> str:
    """A difference in its unit's display: shares in percentage points (pp), NPS in
    points (pts), never a relative percent."""
    if not is_finite(value):
        return "-"
    if compact and unit in MONEY_UNITS:
        return _compact_money(value, signed=True)
    scale, _, fmt, suffix = UNIT_FORMATS.get(unit, UNIT_FORMATS["score"])
    return _format(fmt, value * scale) + suffix


def format_interval(unit: str, low, high, signed: bool = False, compact: bool = False) -> str:
    """``[low, high]`` in the unit's display scale (no unit symbols)."""
    if not (is_finite(low) and is_finite(high)):
        return "[-]"
    if compact and unit in MONEY_UNITS:
        return f"[{_compact_money(low, signed)}, {_compact_money(high, signed)}]"
    scale, value_fmt, diff_fmt, _ = UNIT_FORMATS.get(unit, UNIT_FORMATS["score"])
    fmt = diff_fmt if signed or unit in ("points", "ratio") else value_fmt.replace("%", "")
    return f"[{_format(fmt, low * scale)}, {_format(fmt, high * scale)}]"


def _format(fmt: str, value: float) -> str:
    """``fmt.format(value)``, never showing a minus on a number that rounds to zero
    ("-0.0 pp" would read as a loss): "0.0", or "+0.0" for a signed format."""
    text = fmt.format(value)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = ("+" if "{:+" in fmt else "") + text[1:]
    return text


MONEY_UNITS = ("money", "money_per_day")


def _compact_money(value: float, signed: bool) -> str:
    sign = "+" if signed else ""
    for threshold, size, suffix in ((1e9, 1e9, "bn"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= threshold:
            digits = 1 if suffix == "k" else 2
            return _format(f"{{:{sign},.{digits}f}}", value / size) + suffix
    return _format(f"{{:{sign},.0f}}", value)


def is_finite(x) -> bool:
    """Whether ``x`` is a finite real number (not None, NaN or infinite)."""
    return isinstance(x, (int, float, np.integer, np.floating)) and math.isfinite(x)
