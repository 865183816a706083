"""What the images stage hands the renderer: each image's variants (files in output/), its size,
and the gallery of them all. Plain data, shared by the stage (__init__) and the markup."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..stamps import text_digest


@dataclass
class Variant:
    """One file in output/: a resized image, a list-card crop, a share image, or a passed-through file."""

    rel: str  # output-relative path
    url: str  # root-relative URL under the base path
    width: int
    height: int
    mime: str
    source: Path  # the file copied into output/
    size: int = 0


@dataclass
class ImageInfo:
    rel: str  # content-relative source
    width: int | None  # after EXIF orientation; None for an SVG without a size
    height: int | None
    fit: list[Variant] = field(default_factory=list)  # resized, ascending, WebP and fallback
    crop: list[Variant] = field(default_factory=list)  # list-card crops
    share: Variant | None = None
    full: Variant | None = None  # full size without metadata, for links and attachments
    copy: Variant | None = None  # SVG and GIF are published untouched

    @property
    def src(self) -> Variant | None:
        """What a plain <img src> or a theme's ref_url() gets: a mid-size fallback, or the copy."""
        if self.copy:
            return self.copy
        fallbacks = [v for v in self.fit or self.crop if v.mime != "image/webp"]
        if not fallbacks:
            return self.share or self.full
        fitting = [v for v in fallbacks if v.width <= 960]
        return fitting[-1] if fitting else fallbacks[0]

    def variants(self) -> list[Variant]:
        found = [*self.fit, *self.crop, self.share, self.full, self.copy]
        return [v for v in found if v is not None]


@dataclass
class ImageStats:
    sources: int = 0  # images the site uses
    encoded: int = 0  # derivatives made by this build (0 when nothing changed)
    decoded: int = 0  # source images decoded (0 when nothing changed)
    reused: int = 0  # derivatives taken from the cache
    fingerprint: str = ""  # Gallery.fingerprint()


@dataclass
class Gallery:
    images: dict[str, ImageInfo] = field(default_factory=dict)  # by content-relative source
    handled: set[str] = field(default_factory=set)  # sources published only through derivatives
    default_share: Variant | None = None
    stats: ImageStats = field(default_factory=ImageStats)

    def fingerprint(self) -> str:
        """Changes whenever any page's image markup could: for incremental builds to key on."""
        parts = [repr(self.default_share and self.default_share.url)]
        for rel in sorted(self.images):
            info = self.images[rel]
            parts.append(f"{rel}|{info.width}x{info.height}|" + ",".join(
                f"{v.url}:{v.width}x{v.height}" for v in info.variants()))
        return text_digest("\n".join(parts))

    def output_files(self, assets: dict) -> dict[str, Path]:
        """Everything to copy into output/: derivatives, plus used files that are not images."""
        files = {asset.rel: asset.path for asset in assets.values() if asset.rel not in self.handled}
        for info in self.images.values():
            for variant in info.variants():
                files[variant.rel] = variant.source
        return files


# Their public home is the package (zhuanlan.images exports them), as before this module was split
# off. Page fingerprints (rebuild.py) pickle a Variant by module and name, so the name they had
# keeps every fingerprint made before, and no page is rendered again for the move.
for _kind in (Variant, ImageInfo, ImageStats, Gallery):
    _kind.__module__ = __package__
del _kind
