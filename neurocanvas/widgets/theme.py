"""Colours for the node editor, derived from the application's QPalette.

Nothing here hard-codes a light or a dark look: every colour is computed from the palette so the
canvas follows the system theme (and a theme switch only needs a new ``Theme``).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from PySide6.QtGui import QColor, QGuiApplication, QPalette

# A hue per catalogue category; the lightness is chosen per theme so both looks stay readable.
_CATEGORY_HUES: dict[str, float] = {
    "Data": 0.58,
    "Dense": 0.74,
    "Convolution": 0.50,
    "Activation": 0.08,
    "Normalisation": 0.33,
    "Structure": 0.62,
    "Output": 0.95,
}


def _hue_for(category: str) -> float:
    """Known categories get a fixed hue; unknown ones a stable hue from their name."""
    if category in _CATEGORY_HUES:
        return _CATEGORY_HUES[category]
    return (zlib.crc32(category.encode()) % 360) / 360.0


@dataclass
class Theme:
    """The colours the canvas paints with; build it with :meth:`from_palette`."""

    dark: bool
    background: QColor
    grid: QColor
    node_body: QColor
    node_border: QColor
    text: QColor
    header_text: QColor
    muted_text: QColor
    selection: QColor
    wire: QColor
    port: QColor
    port_ok: QColor
    port_bad: QColor
    error: QColor
    error_body: QColor
    error_text: QColor
    warning: QColor  # a node that trains but badly (Softmax before cross_entropy): amber
    warning_body: QColor
    _category_cache: dict[str, QColor] = field(default_factory=dict)

    @classmethod
    def from_palette(cls, palette: QPalette | None = None) -> Theme:
        """Derive every colour from ``palette`` (the application palette by default)."""
        if palette is None:
            palette = QGuiApplication.palette()
        window = palette.color(QPalette.ColorRole.Window)
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark = window.lightnessF() < 0.5
        background = base.darker(108) if not dark else base.lighter(115)
        grid = _mix(background, text, 0.08)
        node_body = base if not dark else base.lighter(160)
        error = QColor.fromHslF(0.0, 0.75, 0.55 if dark else 0.45)
        return cls(
            dark=dark,
            background=background,
            grid=grid,
            node_body=node_body,
            node_border=_mix(node_body, text, 0.35),
            text=text,
            header_text=text,
            # Secondary text (output shapes) is set apart by tone, yet keeps a contrast of
            # at least 4.5:1 on the node body in both looks (WCAG AA for body text).
            muted_text=_mix(node_body, text, 0.75),
            selection=palette.color(QPalette.ColorRole.Highlight),
            wire=_mix(background, text, 0.55),
            port=_mix(node_body, text, 0.45),
            port_ok=QColor.fromHslF(0.33, 0.7, 0.5 if dark else 0.4),
            port_bad=error,
            error=error,
            error_body=_mix(node_body, error, 0.18),
            # The problem line sits on the pink body: a deeper (or, in dark mode, paler) red.
            error_text=QColor.fromHslF(0.0, 0.8, 0.8 if dark else 0.36),
            warning=QColor.fromHslF(0.1, 0.85, 0.5 if dark else 0.42),
            warning_body=_mix(node_body, QColor.fromHslF(0.1, 0.85, 0.5), 0.16),
        )

    def category_color(self, category: str) -> QColor:
        """The header colour of nodes of ``category``: pale in light mode, deep in dark mode."""
        colour = self._category_cache.get(category)
        if colour is None:
            lightness = 0.32 if self.dark else 0.82
            saturation = 0.45 if self.dark else 0.55
            colour = QColor.fromHslF(_hue_for(category), saturation, lightness)
            self._category_cache[category] = colour
        return colour


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours (1 = none, 21 = black on white)."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """Blend ``a`` towards ``b`` by ``t`` (0 = a, 1 = b)."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * t,
        a.greenF() + (b.greenF() - a.greenF()) * t,
        a.blueF() + (b.blueF() - a.blueF()) * t,
    )
