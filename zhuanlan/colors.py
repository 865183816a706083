"""Colour contrast (WCAG 2.x): a colour chosen by an officer, made dark enough to be read as text.

A brand's colour is kept as it is for decoration (borders, bars); text in that colour, or white
text on it, uses `text_color()`, which darkens the colour only as much as a 4.5:1 contrast needs.
Every check of a user-chosen colour against the theme goes through this module.
"""
from __future__ import annotations

import math
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


# -- the site's main colour (site.yaml 主色) ------------------------------------------------------

NOTE = "#fff3cd"  # the light yellow of the search button


def mix(color: str, other: str, amount: float) -> str:
    """`amount` of `other` over `color`, as a browser composites a translucent layer."""
    a, b = parse(color), parse(other)
    return to_hex(tuple(x * (1 - amount) + y * amount for x, y in zip(a, b)))


def darken(color: str, factor: float) -> str:
    return to_hex(tuple(c * factor for c in parse(color)))


def palette(main: str) -> dict[str, str]:
    """The theme's reds made from one main colour (site.css --main, --main-dark, --main-soft,
    --main-softer), in the proportions of the default #b3121b, #8c0e15, #fbeeee, #f5dada."""
    main = to_hex(parse(main))
    return {"main": main, "dark": darken(main, 0.78), "soft": mix(main, "#ffffff", 0.93),
            "softer": mix(main, "#ffffff", 0.87)}


def _weakest(main: str) -> float:
    """The lowest contrast of any text the default theme draws with or on the main colour."""
    p = palette(main)
    pairs = [(p["main"], bg) for bg in LIGHT_BACKGROUNDS]  # links; white text on it (white is one)
    pairs += [(p["dark"], p["soft"]), (p["dark"], p["softer"]), (p["dark"], NOTE)]  # chips, search button
    # (what the pointer is over darkens, so white text on the header and menu only gains)
    return min(contrast(a, b) for a, b in pairs)


def main_color_problem(main: str) -> str | None:
    """Why `main` cannot be the site's main colour (in Chinese), or None when every text reads."""
    weakest = _weakest(main)
    if weakest >= MINIMUM:
        return None
    low, high = 0.0, 1.0  # as in text_color: the same hue, darkened just enough
    for _ in range(20):
        middle = (low + high) / 2
        if _weakest(darken(main, middle)) >= MINIMUM:
            low = middle
        else:
            high = middle
    shown = math.floor(weakest * 10) / 10  # 4.46 is not "4.5"
    return (f"太浅了：页头上的白字、浅色底上的链接和它的对比度最低只有 {shown}:1，至少要 {MINIMUM}:1，"
            f"老年读者会看不清。请换深一些的颜色，例如同一色调的 \"{darken(main, low)}\"")
