"""Colour contrast (WCAG 2.x): a colour chosen by an officer, made dark enough to be read as text.

A brand's colour is kept as it is for decoration (borders, bars); text in that colour, or white
text on it, uses `text_color()`, which darkens the colour only as much as a 4.5:1 contrast needs.
Every check of a user-chosen colour against the theme goes through this module.
"""
from __future__ import annotations

import re

MINIMUM = 4.5  # WCAG 2.x AA for body text (GB/T 37668 the same)
# The default theme's light backgrounds that coloured text sits on (site.css: --panel, --paper, --tint).
LIGHT_BACKGROUNDS = ("#ffffff", "#fffdf9", "#f7f2ea")
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def parse(color: str) -> tuple[int, int, int]:
    """(r, g, b) of "#abc" or "#aabbcc". Raises ValueError for anything else."""
    if not _HEX.match(color or ""):
        raise ValueError(f"not a hex colour: {color!r}")
    digits = color[1:]
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two hex colours, 1 to 21."""
    x, y = luminance(parse(a)), luminance(parse(b))
    return (max(x, y) + 0.05) / (min(x, y) + 0.05)


def text_color(color: str, backgrounds: tuple[str, ...] = LIGHT_BACKGROUNDS, minimum: float = MINIMUM) -> str:
    """`color` as lowercase #rrggbb if text in it reads on every background (and white text reads
    on it, since white is one of them); otherwise the same hue darkened just enough."""
    rgb = parse(color)
    if all(contrast(to_hex(rgb), bg) >= minimum for bg in backgrounds):
        return to_hex(rgb)
    low, high = 0.0, 1.0  # scale factor of the channels: 0 is black, which always passes
    for _ in range(20):
        middle = (low + high) / 2
        candidate = to_hex(tuple(c * middle for c in rgb))
        if all(contrast(candidate, bg) >= minimum for bg in backgrounds):
            low = middle
        else:
            high = middle
    return to_hex(tuple(c * low for c in rgb))
