"""Colour contrast as WCAG 2.1 measures it: relative luminance and contrast ratio of #rrggbb
colours, and the nearest darker shade of a colour that reaches a ratio against white."""

from __future__ import annotations

# WCAG 2.1 success criterion 1.4.3: text smaller than 18 pt (14 pt bold) needs 4.5:1.
MIN_TEXT_CONTRAST = 4.5


def _channels(colour: str) -> tuple[int, int, int]:
    value = colour.strip().lstrip("#")
    if len(value) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    red, green, blue = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return red, green, blue


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """The WCAG relative luminance of a #rrggbb colour: 0 for black, 1 for white."""
    red, green, blue = (_linear(channel) for channel in _channels(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def darkened_to(colour: str, against: str = "#ffffff", ratio: float = MIN_TEXT_CONTRAST) -> str:
    """The lightest shade of `colour` (its channels scaled down alike, so its hue is kept)
    that has at least `ratio` contrast with the light colour `against`; `colour` itself
    when it already has."""
    channels = _channels(colour)
    for step in range(101):
        factor = 1 - step / 100
        shade = "#" + "".join(f"{round(channel * factor):02x}" for channel in channels)
        if contrast_ratio(shade, against) >= ratio:
            return shade
    return "#000000"
