"""The site's icon in browser tabs and bookmarks: the site logo, else a default (a gold star on a
tile of the main colour), linked from every page with <link rel="icon">.

Browsers ask for /favicon.ico at the host's root only when a page links no icon, so the link is
enough for a site under a sub-path (whose output/ is not the host's root anyway). A site at the
host's root also gets favicon.ico, for search engines and older browsers that look there.
"""
from __future__ import annotations

from .images import Gallery, process

DEFAULT_COLOR = "#b3121b"  # site.css --main
MARK = "#ffd24d"
# A five-pointed star in a 64 × 64 box, for the SVG and the ICO alike.
STAR = [(32.0, 9.5), (37.6, 26.8), (55.8, 26.8), (41.1, 37.5), (46.7, 54.7), (32.0, 44.0), (17.3, 54.7),
        (22.9, 37.5), (8.2, 26.8), (26.4, 26.8)]
DEFAULT_SVG = "favicon.svg"  # written at the output root when the site has no logo
ICO = "favicon.ico"
ICO_DRAWN = 192  # px an SVG logo is drawn at before the ICO's 48/32/16 are made from it


def default_svg(color: str) -> str:
    points = " ".join(f"{x:g},{y:g}" for x, y in STAR)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
            f'<rect width="64" height="64" rx="12" fill="{color}"/><polygon points="{points}" fill="{MARK}"/></svg>\n')


def link(config, gallery: Gallery | None) -> dict[str, str]:
    """href (site-relative, or root-relative for a logo) and type for <link rel="icon">."""
    info = gallery.images.get(config.logo.lstrip("/")) if gallery is not None and config.logo else None
    if info is not None:
        if info.copy is not None:
            return {"href": info.copy.url, "type": info.copy.mime}
        small = _smallest(info)
        if small is not None:
            return {"href": small.url, "type": small.mime}
    return {"href": config.base_path + DEFAULT_SVG, "type": "image/svg+xml"}


def files(config, gallery: Gallery | None) -> dict[str, bytes]:
    """What to write at the output root: the default icon when there is no logo to link, and
    favicon.ico when the site is the host's root."""
    color = config.main_color or DEFAULT_COLOR
    out: dict[str, bytes] = {}
    linked = link(config, gallery)["href"]
    if linked == config.base_path + DEFAULT_SVG:
        out[DEFAULT_SVG] = default_svg(color).encode("utf-8")
    if config.base_path == "/":
        info = gallery.images.get(config.logo.lstrip("/")) if gallery is not None and config.logo else None
        out[ICO] = process.icon_ico(_ico_source(info), color, MARK, STAR)
    return out


def _ico_source(info):
    """The logo as ICO can hold it: a small PNG/JPEG derivative, or an SVG logo drawn as pixels
    (search engines such as Baidu show /favicon.ico beside results). None: the default star."""
    if info is None:
        return None
    if info.copy is None:
        small = _smallest(info)
        return str(small.source) if small else None
    if info.copy.mime != "image/svg+xml":
        return None  # a GIF logo: ICO readers take its first frame badly, the star is safer
    from .poster import RESVG, rasterise_svg  # resvg only for a site whose logo is an SVG

    if not RESVG:
        return None
    try:
        return rasterise_svg(info.copy.source.read_bytes(), ICO_DRAWN)
    except (OSError, ValueError, SyntaxError):  # an SVG resvg cannot draw: the star, as before
        return None


def _smallest(info):
    """The logo's smallest PNG or JPEG derivative (browsers and ICO alike take no WebP for sure)."""
    fallbacks = [v for v in info.fit if v.mime != "image/webp"]
    return fallbacks[0] if fallbacks else (info.share or info.full)
