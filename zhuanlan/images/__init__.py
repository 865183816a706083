"""The images stage: between linking and rendering, every image a page uses gets its derivatives
(made on all cores, cached in .cache/images/ by content hash and options), its dimensions, and
content-hashed output names; bad images become Problems at the file and line that use them.

    gallery = images.prepare(site, workers, problems)
    gallery.images["images/a.jpg"]  -> ImageInfo (variants, width, height, share image)
    gallery.output_files(site.assets)  -> output path -> file to copy

Markdown images, covers and logos become <picture> markup through `Pictures` (markup.py);
Pillow work is in process.py; the data both hand on (Gallery, ImageInfo, Variant) in types.py.
"""
from __future__ import annotations

import os
import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .. import cachepaths, urls
from ..content import Column, Entry, Story
from ..problems import Problems
from ..site import REF_LABELS, Site
from ..stamps import digest, file_stamp, stamp_fields, text_digest
from ..workers import fork_pool
from . import process
from .markup import Pictures
from .process import MIME, Job, Options, Outcome, Record, Spec, is_raster_name, plan
from .types import Gallery, ImageInfo, ImageStats, Variant

PICTURE_REFS = ("image", "cover", "logo")  # refs that show a picture (links and attachments download)
DOCUMENT_SUFFIXES = frozenset(".pdf .doc .docx .xls .xlsx .ppt .pptx .wps .txt .zip .rar .7z .mp3 .mp4 .mov".split())
INDEX_FILE = "sources.json"


@dataclass
class _Place:
    """Where an image is named, for messages."""

    path: str
    line: int
    label: str
    raw: str


@dataclass
class _Usage:
    roles: set[str] = field(default_factory=set)
    places: list[_Place] = field(default_factory=list)


def options_of(site: Site) -> Options:
    settings = site.config.images
    return Options(tuple(sorted(set(settings.widths))), settings.quality, settings.card_aspect)


def prepare(site: Site, workers: int, problems: Problems) -> Gallery:
    config = site.config
    options = options_of(site)
    folder = cachepaths.images(config.root)
    folder.mkdir(parents=True, exist_ok=True)
    linker = site.linker
    usage = _collect(site)
    index = _SourceIndex(folder / INDEX_FILE, config.content_dir)
    gallery = Gallery(stats=ImageStats(sources=len(usage)))

    jobs: list[Job] = []
    ready: dict[str, tuple[str, Record]] = {}
    for rel, use in usage.items():
        asset = site.assets[rel]
        gallery.handled.add(rel)
        if rel.lower().endswith(".svg"):
            _add_svg(gallery, rel, asset.path, use, index, linker, problems)
            continue
        roles = frozenset(use.roles)
        known = index.hash_of(rel, asset.path)
        record = process.load_record(str(folder), known) if known else None
        if record is not None:
            specs = process.all_specs(plan(record, roles, options))
            if not process.missing(str(folder), known, specs, options):
                ready[rel] = (known, record)
                gallery.stats.reused += len([s for s in specs if s.kind != "copy"])
                continue
        jobs.append(Job(rel, str(asset.path), roles, options, str(folder)))

    for outcome in _run(jobs, workers):
        use = usage[outcome.rel]
        if outcome.problem is not None:
            for place in use.places:
                problems.error(place.path, place.line, _message(outcome.problem, place))
            continue
        for code in dict.fromkeys(outcome.warnings):
            place = use.places[0]
            problems.warning(place.path, place.line, _warning(code, place))
        index.remember(outcome.rel, site.assets[outcome.rel].path, outcome.source_hash)
        ready[outcome.rel] = (outcome.source_hash, outcome.record)
        gallery.stats.decoded += outcome.decoded
        gallery.stats.encoded += outcome.encoded
        specs = process.all_specs(plan(outcome.record, frozenset(use.roles), options))
        gallery.stats.reused += len([s for s in specs if s.kind != "copy"]) - outcome.encoded

    for rel, (source_hash, record) in ready.items():
        gallery.images[rel] = _info(rel, site.assets[rel].path, source_hash, record,
                                    frozenset(usage[rel].roles), options, folder, linker)
    index.save()
    _sweep(folder, index.live_hashes())
    _point_refs(site, gallery)
    share_rel = config.images.share.lstrip("/") or config.logo.lstrip("/")
    if share_rel in gallery.images:
        gallery.default_share = gallery.images[share_rel].share
        if gallery.default_share is None and config.images.share:
            problems.warning(config.path, config.line_of("images.share"),
                             f"默认分享图 \"{config.images.share}\" 是 SVG，微信和 og:image 都不支持：请改用 JPEG 或 PNG")
    _notice_missing_share(site, gallery, problems)
    gallery.stats.fingerprint = gallery.fingerprint()
    return gallery


# -- which images are used, and how ---------------------------------------------------------------

def _collect(site: Site) -> dict[str, _Usage]:
    usage: dict[str, _Usage] = {}

    def use(rel: str, role: str, place: _Place) -> None:
        entry = usage.setdefault(rel, _Usage())
        entry.roles.add(role)
        if place not in entry.places:
            entry.places.append(place)

    for entry in site.entries():
        listed = _listed_image(entry)
        for index, ref in enumerate(entry.refs):
            rel = ref.target
            if ref.is_url or not rel or rel not in site.assets:
                continue
            place = _Place(entry.path, ref.line, REF_LABELS.get(ref.kind, "链接"), ref.raw)
            if ref.kind in PICTURE_REFS:
                if ref.kind == "image" or isinstance(entry, Column) or ref.kind == "logo":
                    use(rel, "fit", place)
                if index == listed:
                    use(rel, "card", place)
                    use(rel, "share", place)
                if isinstance(entry, Column) and ref.kind == "cover":
                    use(rel, "share", place)
            elif is_raster_name(rel) or rel.lower().endswith((".gif", ".svg")):
                use(rel, "full", place)  # a photo offered as a link or download: still no GPS in it
    config = site.config
    if config.logo and config.logo.lstrip("/") in site.assets:
        place = _Place(str(config.path), config.line_of("logo"), "网站标志", config.logo)
        use(config.logo.lstrip("/"), "fit", place)
        if not config.images.share:
            use(config.logo.lstrip("/"), "share", place)
    if config.banner and config.banner.lstrip("/") in site.assets:
        use(config.banner.lstrip("/"), "fit", _Place(str(config.path), config.line_of("banner"), "首页横幅", config.banner))
    if config.images.share and config.images.share.lstrip("/") in site.assets:
        use(config.images.share.lstrip("/"), "share",
            _Place(str(config.path), config.line_of("images.share"), "默认分享图", config.images.share))
    return usage


def _listed_image(entry: Entry) -> int | None:
    """The ref a story's list card and share image use: its cover, else its first picture."""
    if isinstance(entry, Story):
        return entry.cover if entry.cover is not None else entry.first_image
    return None


# -- source hashes, remembered by size and modification time ----------------------------------------

class _SourceIndex:
    """content path -> (size, mtime, hash), so a warm build reads no source image at all."""

    def __init__(self, path: Path, content_dir: Path):
        self.path, self.content_dir = path, content_dir
        rows = cachepaths.read_json(path)
        # rows of another shape (damaged, or written by other code) are only lost speed-ups
        self.rows: dict[str, list] = {rel: row for rel, row in rows.items() if _is_row(row)} \
            if isinstance(rows, dict) else {}
        self.saved = {rel: list(row) for rel, row in self.rows.items()}

    @staticmethod
    def _stamp(path: Path) -> list[int] | None:
        try:
            return stamp_fields(file_stamp(path))
        except OSError:
            return None

    def hash_of(self, rel: str, path: Path) -> str | None:
        row = self.rows.get(rel)
        if row and row[:2] == self._stamp(path):
            return row[2]
        return None

    def remember(self, rel: str, path: Path, source_hash: str) -> None:
        stamp = self._stamp(path)
        if stamp:
            self.rows[rel] = [*stamp, source_hash]

    def live_hashes(self) -> set[str]:
        """Hashes of sources that are still there, unchanged (drafts' images stay cached too)."""
        return {row[2][:16] for row in self.rows.values()}

    def save(self) -> None:
        rows = {rel: row for rel, row in self.rows.items() if self._stamp(self.content_dir / rel) == row[:2]}
        if rows == self.saved:
            return  # a warm build writes nothing into the cache
        self.rows = rows
        cachepaths.write_json(self.path, self.rows, sort_keys=True)


def _is_row(row) -> bool:
    return (isinstance(row, list) and len(row) == 3 and all(isinstance(n, int) for n in row[:2])
            and isinstance(row[2], str) and len(row[2]) >= 16)


def _sweep(cache_dir: Path, live: set[str]) -> None:
    """Remove cached derivatives of sources that are gone or changed."""
    for entry in os.scandir(cache_dir):
        stem = entry.name.split("-", 1)[0].split(".", 1)[0]
        if entry.name == INDEX_FILE or stem in live or len(stem) != 16 or entry.name.endswith(".tmp"):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            pass


# -- running the workers ----------------------------------------------------------------------------

def _run(jobs: list[Job], workers: int) -> list[Outcome]:
    jobs = sorted(jobs, key=lambda job: -_size(job.path))  # big ones first: the pool ends together
    if workers > 1 and len(jobs) > 1:
        process.load_plugins()  # once, before the fork, rather than in every worker
        with fork_pool(min(workers, len(jobs))) as pool:
            return list(pool.imap_unordered(process.make, jobs))
    return [process.make(job) for job in jobs]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# -- what the renderer gets -------------------------------------------------------------------------

def _output_rel(rel: str, spec: Spec, key: str) -> str:
    folder, name = posixpath.split(rel)
    stem = posixpath.splitext(name)[0]
    label = {"fit": f"-{spec.width}", "crop": f"-{spec.width}x{spec.height}", "share": "-share"}.get(spec.kind, "")
    tag = text_digest(key, size=5)
    return posixpath.join(folder, f"{stem}{label}.{tag}.{process.EXTENSION[spec.fmt]}")


def _info(rel: str, path: Path, source_hash: str, record: Record, roles: frozenset[str], options: Options,
          cache_dir: Path, linker: urls.Linker) -> ImageInfo:
    info = ImageInfo(rel, record.width, record.height)
    for purpose, specs in plan(record, roles, options).items():
        variants = []
        for spec in specs:
            if spec.kind == "copy":
                source = path
                out_rel = _output_rel(rel, spec, source_hash)
            else:
                source = cache_dir / spec.cache_name(source_hash, options)
                out_rel = _output_rel(rel, spec, spec.key(source_hash, options))
            variants.append(Variant(out_rel, linker.path(urls.asset(out_rel)), spec.width, spec.height,
                                    MIME[spec.fmt], source, _size(str(source))))
        if purpose in ("fit", "crop"):
            setattr(info, purpose, variants)
        else:
            setattr(info, purpose, variants[0])
    return info


def _add_svg(gallery: Gallery, rel: str, path: Path, use: _Usage, index: _SourceIndex, linker: urls.Linker,
             problems: Problems) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        for place in use.places:
            problems.error(place.path, place.line, f"{place.label} \"{place.raw}\" 无法读取：{exc.strerror or exc}")
        return
    try:
        width, height = svg_size(data)
    except ET.ParseError as exc:
        for place in use.places:
            problems.error(place.path, place.line,
                           f"{place.label} \"{place.raw}\" 不是有效的 SVG 文件（{exc}）：请用绘图软件重新导出")
        return
    source_hash = digest(data)
    index.remember(rel, path, source_hash)
    out_rel = _output_rel(rel, Spec("copy", width or 0, height or 0, "svg"), source_hash)
    copy = Variant(out_rel, linker.path(urls.asset(out_rel)), width or 0, height or 0, MIME["svg"], path, len(data))
    gallery.images[rel] = ImageInfo(rel, width, height, copy=copy, full=copy if "full" in use.roles else None)


def svg_size(data: bytes) -> tuple[int | None, int | None]:
    """width × height from the root's attributes (in px), else from its viewBox; None when neither."""
    root = ET.fromstring(data)
    if not root.tag.endswith("svg"):
        raise ET.ParseError("根元素不是 <svg>")

    def length(name: str) -> float | None:
        value = (root.get(name) or "").strip()
        if value.endswith("px"):
            value = value[:-2]
        try:
            number = float(value)
        except ValueError:
            return None
        return number if number > 0 else None

    width, height = length("width"), length("height")
    if width and height:
        return round(width), round(height)
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(box) == 4:
        try:
            box_w, box_h = float(box[2]), float(box[3])
        except ValueError:
            return None, None
        if box_w > 0 and box_h > 0:
            if width:
                return round(width), round(width * box_h / box_w)
            return round(box_w), round(box_h)
    return None, None


def _point_refs(site: Site, gallery: Gallery) -> None:
    """Every ref to an image now names a derivative: a theme that prints ref_url() stays right.

    Each record also gets a digest of everything its pictures' markup is made from, so that an
    incremental build re-renders exactly the pages whose images changed.
    """
    for entry in site.entries():
        signature = []
        for index, ref in enumerate(entry.refs):
            info = gallery.images.get(ref.target or "") if not ref.is_url else None
            if info is None:
                continue
            signature.append((index, info.width, info.height,
                              [(v.url, v.width, v.height, v.mime, v.size) for v in info.variants()]))
            variant = info.src if ref.kind in PICTURE_REFS else (info.full or info.copy)
            if variant is not None:
                entry.ref_urls[index] = variant.url + ref.fragment
        if isinstance(entry, Story):
            for attachment in entry.attachments:
                info = gallery.images.get(entry.refs[attachment.ref].target or "")
                if info is not None and (info.full or info.copy):
                    attachment.url = entry.ref_urls[attachment.ref]
                    attachment.size = (info.full or info.copy).size
        entry.image_digest = text_digest(repr(signature)) if signature else ""


def _notice_missing_share(site: Site, gallery: Gallery, problems: Problems) -> None:
    if gallery.default_share is not None:
        return
    without = [s for s in site.stories if _listed_image(s) is None]
    if without:
        problems.notice(site.config.path, site.config.line_of("images"),
                        f"{len(without)} 篇文章没有图片，分享到微信等处时没有缩略图：可在 site.yaml 中设置默认分享图，"
                        f"例如 images: {{share: images/share.jpg}}（至少 300×300 像素的 JPEG 或 PNG）")


# -- messages ---------------------------------------------------------------------------------------

def _kb(nbytes: int) -> str:
    return f"{nbytes / 1024:.0f} KB" if nbytes < 1024 * 1024 else f"{nbytes / 1024 / 1024:.1f} MB"


def _message(problem: process.ImageProblem, place: _Place) -> str:
    what = f"{place.label} \"{place.raw}\""
    facts = problem.facts
    detail = facts.get("detail", "")
    suffix = Path(place.raw).suffix.lower()
    if problem.code == "unreadable":
        return f"{what} 无法读取：{detail}"
    if problem.code == "heic_unsupported":
        return (f"{what} 是 HEIC 格式（苹果手机默认的照片格式），当前环境无法读取：请运行 pip install pillow-heif，"
                f"或把照片导出为 JPEG（iPhone 可在“设置 → 相机 → 格式”中选“兼容性最佳”）")
    if problem.code == "unknown_format":
        if suffix in DOCUMENT_SUFFIXES:
            return (f"{what} 是 {suffix} 文件，不是图片：插图、封面和标志请用 JPEG、PNG、WebP、GIF、SVG 或 HEIC 图片；"
                    f"文件请作为附件或链接提供")
        return f"{what} 不是能识别的图片格式：请用画图软件另存为 JPEG 或 PNG 后再用"
    if problem.code == "truncated":
        return f"{what} 不完整（文件被截断，可能是复制或上传时中断了）：请重新复制或导出这张图片"
    if problem.code == "bomb":
        return (f"{what} 只有 {_kb(facts['nbytes'])}，却声称有 {facts['width']}×{facts['height']} 像素，"
                f"可能是损坏或恶意构造的文件（“解压炸弹”），为安全起见不处理：请换一张正常导出的图片")
    if problem.code == "too_large":
        return (f"{what} 有 {facts['width']}×{facts['height']} 像素，超过处理上限（每边最多 {process.MAX_SIDE:,} 像素、"
                f"总共最多 {process.MAX_PIXELS // 10**8} 亿像素）：请先缩小（网页用图长边 4000 像素已足够），长图可切成几张")
    if problem.code == "too_large_memory":
        return f"{what} 太大，处理时内存不足：请先缩小图片"
    return f"{what} 已损坏，无法解码（技术信息：{detail}）：请重新导出或换一张图片"


def _warning(code: str, place: _Place) -> str:
    what = f"{place.label} \"{place.raw}\""
    if code == "animated":
        return f"{what} 是动图，网页上只显示第一帧：需要动图请用 GIF"
    return f"{what} 的颜色配置文件（ICC）无法使用，已按 sRGB 处理，颜色可能略有偏差"


__all__ = ["Gallery", "ImageInfo", "ImageStats", "Pictures", "Variant", "prepare"]
