"""Pillow work for one source image: check it, decode it once, and write every derivative it needs
into the image cache. Runs in worker processes; knows nothing about the site.

A derivative is named by a hash of the source's content and everything that shapes its bytes
(kind, size, format, quality, this module's version), so a cached file is reused exactly when
it would come out the same. The source's own facts (size after EXIF orientation, transparency)
are kept beside the derivatives as a small JSON record, so a warm build decides everything from
file names and records and decodes nothing.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..cachepaths import write_bytes
from ..stamps import digest, text_digest

if TYPE_CHECKING:
    from PIL import Image

VERSION = "1"  # bump when derivatives would come out different for the same source and options
MAX_SIDE = 20_000  # pixels on either side
MAX_PIXELS = 100_000_000  # a 48-megapixel phone photo is about half of this
BOMB_BYTES_PER_PIXEL = 0.002  # far less data than pixels: a "decompression bomb"
WEBP_MAX_SIDE = 16_383  # the WebP format's own limit
SHARE_MIN = 300  # WeChat picks a share thumbnail only from images at least this big
SHARE_ASPECT = 2  # share images are cropped to at most 2:1 either way; cards show them square-ish
CARD_WIDTHS = (240, 480)  # list thumbnails are 112–160 CSS px wide; enough for 3x screens
NEAR = 0.9  # a configured width this close to the source's own width is left out

RASTER_SUFFIXES = frozenset(".jpg .jpeg .jpe .jfif .png .webp .heic .heif .hif .avif .tif .tiff .bmp".split())
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
MIME = {"webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "svg": "image/svg+xml"}
EXTENSION = {"webp": "webp", "jpeg": "jpg", "png": "png", "gif": "gif", "svg": "svg"}
# EXIF orientation → Pillow's Image.Transpose member. Pillow is imported where pixels are handled:
# a build with no picture to make (a one-story rebuild, mostly) need not import it (15 ms).
_TRANSPOSE = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}
_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class Options:
    widths: tuple[int, ...] = (480, 960, 1440)
    quality: int = 80
    card_aspect: tuple[int, int] = (4, 3)


@dataclass(frozen=True)
class Spec:
    """One derivative: what to make from the source, at which size, in which format."""

    kind: str  # "fit" (resized), "crop" (list card), "share" (og:image), "full" (clean full size), "copy"
    width: int
    height: int
    fmt: str  # "webp", "jpeg", "png", or for "copy" the source's own format

    def key(self, source_hash: str, options: Options) -> str:
        """Cache file stem: the source's hash, then a hash of everything else that shapes the bytes."""
        if self.kind == "copy":
            return source_hash[:16]
        text = f"{self.kind}|{self.width}x{self.height}|{self.fmt}|{options.quality}|{VERSION}"
        return f"{source_hash[:16]}-{text_digest(text, size=8)}"

    def cache_name(self, source_hash: str, options: Options) -> str:
        return f"{self.key(source_hash, options)}.{EXTENSION[self.fmt]}"


@dataclass
class Record:
    """Facts about a source image, after EXIF orientation."""

    width: int
    height: int
    alpha: bool = False  # has pixels that are not fully opaque
    kind: str = "raster"  # "raster" or "gif" (passed through untouched)

    def to_json(self) -> dict:
        return {"width": self.width, "height": self.height, "alpha": self.alpha, "kind": self.kind}


class ImageProblem(Exception):
    """A source image that cannot be used; `code` picks the Chinese message, `facts` fill it in."""

    def __init__(self, code: str, **facts):
        super().__init__(code)
        self.code, self.facts = code, facts


@dataclass
class Job:
    rel: str
    path: str
    roles: frozenset[str]
    options: Options
    cache_dir: str


@dataclass
class Outcome:
    rel: str
    source_hash: str = ""
    record: Record | None = None
    problem: ImageProblem | None = None
    warnings: list[str] = field(default_factory=list)
    encoded: int = 0
    decoded: bool = False  # False when the cache already had everything (only the hash was new)


# -- planning: which derivatives a source needs (used by the stage and the workers alike) -------

def ladder(width: int, widths: tuple[int, ...]) -> list[int]:
    """Widths to offer for a source this wide: the configured ones below it, then its own width
    if that is no wider than the largest configured one. Never wider than the source."""
    chosen = [w for w in sorted(set(widths)) if w < width * NEAR]
    top = max(widths)
    chosen.append(width if width <= top else top)
    return sorted(set(chosen))


def _scaled(width: int, height: int, new_width: int) -> tuple[int, int]:
    return new_width, max(1, round(height * new_width / width))


def crop_size(width: int, height: int, aspect: tuple[int, int]) -> tuple[int, int]:
    """The largest box of the given aspect ratio that fits inside width × height."""
    a, b = aspect
    if width * b > height * a:  # wider than the aspect: keep the height
        return max(1, round(height * a / b)), height
    return width, max(1, round(width * b / a))


def share_spec(record: Record, options: Options) -> Spec:
    """A JPEG at least SHARE_MIN on both sides (the one exception to "never upscale": a share
    thumbnail that small would be ignored), reusing the largest resized JPEG when it qualifies."""
    box_w = min(record.width, record.height * SHARE_ASPECT)
    box_h = min(record.height, record.width * SHARE_ASPECT)
    width, height = _scaled(box_w, box_h, min(box_w, max(options.widths)))
    whole = (box_w, box_h) == (record.width, record.height)
    if whole and record.kind == "raster" and not record.alpha and min(width, height) >= SHARE_MIN:
        return Spec("fit", width, height, "jpeg")
    if min(width, height) < SHARE_MIN:  # scale the crop box itself, so rounding cannot skew the shape
        factor = SHARE_MIN / min(box_w, box_h)
        width, height = max(SHARE_MIN, round(box_w * factor)), max(SHARE_MIN, round(box_h * factor))
    return Spec("share", width, height, "jpeg")


def plan(record: Record, roles: frozenset[str], options: Options) -> dict[str, list[Spec]]:
    """Derivatives by purpose: "fit" and "crop" lists (ascending, WebP and fallback mixed),
    and single "share", "full" and "copy" entries."""
    out: dict[str, list[Spec]] = {}
    if record.kind == "gif":
        copy = Spec("copy", record.width, record.height, "gif")
        if roles & {"fit", "card", "full"}:
            out["copy"] = [copy]
        if "share" in roles:
            out["share"] = [share_spec(record, options)]
        return out
    fallback = "png" if record.alpha else "jpeg"

    def pair(kind: str, width: int, height: int) -> list[Spec]:
        specs = [Spec(kind, width, height, fallback)]
        if max(width, height) <= WEBP_MAX_SIDE:
            specs.insert(0, Spec(kind, width, height, "webp"))
        return specs

    if "fit" in roles:
        out["fit"] = [s for w in ladder(record.width, options.widths)
                      for s in pair("fit", *_scaled(record.width, record.height, w))]
    if "card" in roles:
        crop_w, crop_h = crop_size(record.width, record.height, options.card_aspect)
        out["crop"] = [s for w in ladder(crop_w, CARD_WIDTHS) for s in pair("crop", *_scaled(crop_w, crop_h, w))]
    if "share" in roles:
        out["share"] = [share_spec(record, options)]
    if "full" in roles:
        out["full"] = [Spec("full", record.width, record.height, fallback)]
    return out


def all_specs(planned: dict[str, list[Spec]]) -> set[Spec]:
    return {spec for specs in planned.values() for spec in specs}


# -- the cache ---------------------------------------------------------------------------------

def record_path(cache_dir: str, source_hash: str) -> str:
    return os.path.join(cache_dir, f"{source_hash[:16]}.json")


def load_record(cache_dir: str, source_hash: str) -> Record | None:
    try:
        with open(record_path(cache_dir, source_hash), encoding="utf-8") as handle:
            record = Record(**json.load(handle))
    except (OSError, ValueError, TypeError):
        return None
    shaped = (isinstance(record.width, int) and isinstance(record.height, int) and record.width > 0
              and record.height > 0 and isinstance(record.alpha, bool) and record.kind in ("raster", "gif"))
    return record if shaped else None  # anything else is made again


def missing(cache_dir: str, source_hash: str, specs: set[Spec], options: Options) -> list[Spec]:
    return [s for s in specs if s.kind != "copy"
            and not os.path.isfile(os.path.join(cache_dir, s.cache_name(source_hash, options)))]


# -- decoding ----------------------------------------------------------------------------------

_heif_state: bool | None = None


def heif_available() -> bool:
    """Register the HEIC/HEIF reader (pillow-heif) once; False when it is not installed."""
    global _heif_state
    if _heif_state is None:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:
            _heif_state = False
        else:
            register_heif_opener()
            _heif_state = True
    return _heif_state


def load_plugins() -> None:
    from PIL import Image

    Image.init()
    heif_available()


def looks_like_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS


@contextlib.contextmanager
def _own_size_limits():
    """Pillow's decompression-bomb guard off while opening: we check the size ourselves, before
    any pixel is decoded, so that the message can name the size."""
    from PIL import Image

    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def check_size(width: int, height: int, nbytes: int) -> None:
    pixels = width * height
    if max(width, height) <= MAX_SIDE and pixels <= MAX_PIXELS:
        return
    if nbytes < pixels * BOMB_BYTES_PER_PIXEL:
        raise ImageProblem("bomb", width=width, height=height, nbytes=nbytes)
    raise ImageProblem("too_large", width=width, height=height)


def open_image(data: bytes) -> Image.Image:
    from PIL import Image, UnidentifiedImageError

    if looks_like_heif(data) and not heif_available():
        raise ImageProblem("heic_unsupported")
    heif_available()  # a HEIC file saved under another name is still read by its content
    try:
        with _own_size_limits():
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageProblem("unknown_format") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise ImageProblem("corrupt", detail=str(exc)) from None
    check_size(image.width, image.height, len(data))
    return image


def orientation_of(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION_TAG, 1)
    except Exception:  # a damaged EXIF block must not stop an otherwise good photo
        return 1
    return value if value in _TRANSPOSE else 1


def _decode(image: Image.Image, upright_size: tuple[int, int], needed_width: int, orientation: int) -> Image.Image:
    """Load the pixels, letting libjpeg decode at 1/2, 1/4 or 1/8 when that is still big enough."""
    from PIL import Image

    if image.format == "JPEG" and needed_width < upright_size[0]:
        scale = needed_width / upright_size[0]
        stored = (image.width, image.height)
        image.draft(None, (math.ceil(stored[0] * scale), math.ceil(stored[1] * scale)))
    try:
        image.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        text = str(exc)
        raise ImageProblem("truncated" if "truncated" in text else "corrupt", detail=text) from None
    if orientation in _TRANSPOSE:
        image = image.transpose(Image.Transpose[_TRANSPOSE[orientation]])
    return image


def to_srgb(image: Image.Image, icc: bytes | None, warnings: list[str]) -> Image.Image:
    """Convert to 8-bit RGB or RGBA in sRGB, using the embedded ICC profile when there is one."""
    from PIL import ImageCms

    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda v: v / 256).convert("L")  # 16-bit grey: scale, not clip
    elif image.mode == "F":
        image = image.convert("L")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            output = "RGBA" if image.mode == "RGBA" else "RGB"
            image = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            warnings.append("icc")
    if image.mode in ("RGB", "RGBA"):
        return image
    if image.mode in ("P", "PA", "LA", "La", "RGBa", "1") or "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")


def drop_opaque_alpha(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        return image.convert("RGB")
    return image


# -- encoding ----------------------------------------------------------------------------------

def _flatten(image: Image.Image) -> Image.Image:
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode != "RGBA":
        return image.convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.getchannel("A"))
    return background


def render(base: Image.Image, spec: Spec) -> Image.Image:
    from PIL import Image, ImageOps

    size = (spec.width, spec.height)
    if spec.kind == "crop":
        return ImageOps.fit(base, size, Image.Resampling.LANCZOS)
    if spec.kind == "share":
        return _flatten(ImageOps.fit(base, size, Image.Resampling.LANCZOS))
    return base if base.size == size else base.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def encode(image: Image.Image, fmt: str, quality: int) -> bytes:
    image.info = {}  # no EXIF, XMP, ICC or text chunk may travel into the output
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, "WEBP", quality=quality, method=4)
    elif fmt == "jpeg":
        # Baseline, not progressive: twice as fast to write, same size; browsers mostly take the WebP.
        _flatten(image).save(out, "JPEG", quality=min(95, quality + 2), optimize=True)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


# -- the worker --------------------------------------------------------------------------------

def make(job: Job) -> Outcome:
    """Check one source and write whatever derivatives of it the cache lacks."""
    outcome = Outcome(job.rel)
    try:
        with open(job.path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        outcome.problem = ImageProblem("unreadable", detail=exc.strerror or str(exc))
        return outcome
    outcome.source_hash = source_hash = digest(data)
    record = load_record(job.cache_dir, source_hash)
    if record is not None and not missing(job.cache_dir, source_hash,
                                          all_specs(plan(record, job.roles, job.options)), job.options):
        outcome.record = record
        return outcome
    outcome.decoded = True
    try:
        outcome.record, outcome.encoded = _derive(data, source_hash, job, outcome.warnings)
    except ImageProblem as problem:
        outcome.problem = problem
    except MemoryError:
        outcome.problem = ImageProblem("too_large_memory")
    except Exception as exc:  # Pillow raises many types for damaged files; report, never crash the build
        outcome.problem = ImageProblem("corrupt", detail=f"{type(exc).__name__}: {exc}")
    return outcome


def _derive(data: bytes, source_hash: str, job: Job, warnings: list[str]) -> tuple[Record, int]:
    image = open_image(data)
    options = job.options
    if image.format == "GIF":
        record = Record(image.width, image.height, kind="gif")
        planned = plan(record, job.roles, options)
        todo = missing(job.cache_dir, source_hash, all_specs(planned), options)
        try:
            image.seek(0)
            image.load()  # a damaged GIF is reported, not published
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise ImageProblem("corrupt", detail=str(exc)) from None
        first = image.convert("RGBA")
        encoded = _write(first, todo, source_hash, job)
        _save_record(job.cache_dir, source_hash, record)
        return record, encoded
    if getattr(image, "is_animated", False):
        warnings.append("animated")
    orientation = orientation_of(image)
    upright = (image.height, image.width) if orientation in (5, 6, 7, 8) else (image.width, image.height)
    icc = image.info.get("icc_profile")
    # Plan for the largest output an opaque image of this size needs, to decode no more than that.
    guess = plan(Record(*upright), job.roles, options)
    needed = max(spec.width for spec in all_specs(guess)) if guess else upright[0]
    base = _decode(image, upright, needed, orientation)
    base = drop_opaque_alpha(to_srgb(base, icc, warnings))
    record = Record(upright[0], upright[1], alpha=base.mode == "RGBA")
    todo = missing(job.cache_dir, source_hash, all_specs(plan(record, job.roles, options)), options)
    encoded = _write(base, todo, source_hash, job)
    _save_record(job.cache_dir, source_hash, record)
    return record, encoded


def _write(base: Image.Image, todo: list[Spec], source_hash: str, job: Job) -> int:
    """Largest first; each size is drawn once for both its formats, and from the smallest image
    already made that is still big enough (a 480 from the 960, not from the full photo)."""
    drawn: dict[tuple[str, int, int], Image.Image] = {}
    frames = [base]  # whole-frame images, to resize and crop from
    for spec in sorted(todo, key=lambda s: (-s.width, s.kind, s.fmt)):
        shape = (spec.kind, spec.width, spec.height)
        image = drawn.get(shape)
        if image is None:
            image = drawn[shape] = render(_source_for(frames, spec), spec)
            if spec.kind == "fit":
                frames.append(image)
        data = encode(image, spec.fmt, job.options.quality)
        write_bytes(Path(job.cache_dir, spec.cache_name(source_hash, job.options)), data)
    return len(todo)


def _source_for(frames: list[Image.Image], spec: Spec) -> Image.Image:
    if spec.kind == "share":
        return frames[0]  # may be drawn larger than any resized frame
    big_enough = [f for f in frames if all(side >= want for side, want in
                                           zip(crop_size(f.width, f.height, (spec.width, spec.height)),
                                               (spec.width, spec.height)))]
    return min(big_enough, key=lambda f: f.width) if big_enough else frames[0]


def _save_record(cache_dir: str, source_hash: str, record: Record) -> None:
    write_bytes(Path(record_path(cache_dir, source_hash)), json.dumps(record.to_json()).encode())


def is_raster_name(name: str) -> bool:
    return Path(name).suffix.lower() in RASTER_SUFFIXES


# -- favicon.ico (see zhuanlan/favicon.py) -------------------------------------------------------

ICON_SIZES = ((16, 16), (32, 32), (48, 48))


def icon_ico(source: str | Image.Image | None, tile: str, mark: str, shape: list[tuple[float, float]]) -> bytes:
    """favicon.ico at 16, 32 and 48 px: the (small, already made) image at `source`, or an image
    already drawn, fitted into a transparent square; without one, a rounded `tile` square with the
    polygon `shape` (in a 64 × 64 box) in `mark`, drawn 4× larger and scaled down for smooth edges."""
    from PIL import Image, ImageOps

    if source:
        with (Image.open(source) if isinstance(source, str) else source) as image:
            image = ImageOps.exif_transpose(image).convert("RGBA")
            image.thumbnail((192, 192), Image.Resampling.LANCZOS)
            square = Image.new("RGBA", (max(image.size),) * 2, (0, 0, 0, 0))
            square.paste(image, ((square.width - image.width) // 2, (square.height - image.height) // 2))
    else:
        from PIL import ImageDraw

        scale = 4
        square = Image.new("RGBA", (64 * scale, 64 * scale), (0, 0, 0, 0))
        draw = ImageDraw.Draw(square)
        draw.rounded_rectangle((0, 0, square.width - 1, square.height - 1), radius=12 * scale, fill=tile)
        draw.polygon([(x * scale, y * scale) for x, y in shape], fill=mark)
    buffer = io.BytesIO()
    square.resize((48, 48), Image.Resampling.LANCZOS).save(buffer, format="ICO", sizes=ICON_SIZES)
    return buffer.getvalue()
