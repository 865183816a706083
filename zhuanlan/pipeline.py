"""Orders the build: read → parse (all cores) → link → validate → render (all cores) → write.

Nothing is written before every file has been parsed and checked and every template compiled;
rendered pages are staged and moved into output/ only when all of them succeeded.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import feeds, textrules, urls
from .config import Config, load_config
from .content import Parsed, kind_of, parse_file
from .output import Manifest, Stager, Staged, WriteStats
from .problems import BuildFailed, Problems
from .render import PageJob, Renderer, TemplateProblem, theme_dirs
from .site import Site, build_site

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
CHUNK = 64
IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~", ".bak", ".DS_Store")


@dataclass
class BuildOptions:
    site_dir: Path
    output_dir: Path | None = None
    drafts: bool = False
    workers: int = 0  # 0: all cores

    @property
    def out(self) -> Path:
        return self.output_dir or self.site_dir / "output"


@dataclass
class BuildResult:
    problems: Problems
    stats: WriteStats = field(default_factory=WriteStats)
    pages: int = 0
    stories: int = 0
    seconds: float = 0.0
    site: Site | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for benchmarks


class _Clock:
    """Seconds spent in each stage, in order."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = self.stages.get(stage, 0.0) + now - self.last
        self.last = now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.started


def worker_count(requested: int) -> int:
    return requested if requested > 0 else (os.cpu_count() or 1)


def scan_content(content_dir: Path, problems: Problems) -> tuple[list[tuple[Path, str]], dict[str, Path]]:
    """(.md files to parse, other files that pages may use), both keyed by content-relative path."""
    documents: list[tuple[Path, str]] = []
    assets: dict[str, Path] = {}
    if not content_dir.is_dir():
        problems.error(content_dir, 0, "找不到 content 文件夹：文章放在 content/stories/，品牌放在 content/brands/")
        return documents, assets
    for folder, dirnames, filenames in os.walk(content_dir):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if name.startswith(".") or name.endswith(IGNORED_SUFFIXES):
                continue
            path = Path(folder) / name
            rel = path.relative_to(content_dir).as_posix()
            if name.lower().endswith(".md"):
                if kind_of(rel) is None:
                    problems.warning(path, 0, "这个 .md 文件不在 stories/、brands/、columns/ 或 pages/ 中，已忽略")
                    continue
                documents.append((path, rel))
            else:
                assets[rel] = path
    return documents, assets


def _parse_one(args: tuple[Path, str]) -> Parsed:
    return parse_file(*args)


def parse_all(documents: list[tuple[Path, str]], workers: int) -> list[Parsed]:
    if workers > 1 and len(documents) >= PARALLEL_MIN_FILES:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_parse_one, documents, chunksize=CHUNK)
    return [_parse_one(doc) for doc in documents]


# State handed to forked render workers; set in the parent just before the pool starts.
_RENDER_STATE: tuple[Renderer, list[PageJob], Stager] | None = None


def _render_range(bounds: tuple[int, int]) -> list[Staged] | TemplateProblem:
    renderer, jobs, stager = _RENDER_STATE  # type: ignore[misc]
    staged = []
    try:
        for job in jobs[bounds[0]: bounds[1]]:
            staged.append(stager.stage_bytes(urls.output_file(job.url), renderer.render(job).encode("utf-8")))
    except TemplateProblem as problem:
        return problem
    return staged


def render_all(renderer: Renderer, jobs: list[PageJob], stager: Stager, workers: int) -> list[Staged]:
    global _RENDER_STATE
    bounds = [(start, min(start + CHUNK, len(jobs))) for start in range(0, len(jobs), CHUNK)]
    _RENDER_STATE = (renderer, jobs, stager)
    try:
        if workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                results = pool.map(_render_range, bounds, chunksize=1)
        else:
            results = [_render_range(b) for b in bounds]
    finally:
        _RENDER_STATE = None
    staged: list[Staged] = []
    for result in results:
        if isinstance(result, TemplateProblem):
            problems = Problems()
            problems.error(result.path, result.line, result.message)
            raise BuildFailed(problems)
        staged.extend(result)
    return staged


def static_files(dirs: list[Path]) -> dict[str, Path]:
    """output-relative path → source; a site theme's file replaces the default one of that name."""
    files: dict[str, Path] = {}
    for theme in reversed(dirs):  # default first, the site's own theme last so it wins
        static = theme / "static"
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files["static/" + path.relative_to(static).as_posix()] = path
    return files


def manifest_path(config: Config, out_dir: Path) -> Path:
    key = hashlib.sha1(str(out_dir.resolve()).encode()).hexdigest()[:12]
    return config.root / ".cache" / f"output-{key}.json"


def build(options: BuildOptions) -> BuildResult:
    """Build the site. Raises BuildFailed (with every problem) and leaves output/ untouched."""
    clock = _Clock()
    problems = Problems()
    config = load_config(options.site_dir, problems)
    if config is None:
        raise BuildFailed(problems)
    workers = worker_count(options.workers)
    documents, asset_files = scan_content(config.content_dir, problems)
    clock.lap("scan")
    parsed = parse_all(documents, workers)
    clock.lap("parse")
    items = []
    for result in parsed:
        problems.extend(result.problems)
        if result.item is not None:
            items.append(result.item)
    # Issue 6: the text rules that must hold before anything is published (one pure call per file).
    problems.extend(textrules.text_errors(items, config.check.words, drafts=options.drafts))
    site = build_site(config, items, asset_files, problems, drafts=options.drafts)
    dirs = theme_dirs(config.root, config.theme)
    if config.theme != "default" and not (config.root / "themes" / config.theme).is_dir():
        problems.error(config.path, 0, f"找不到主题 \"{config.theme}\"：应在 themes/{config.theme}/ 中；"
                                       f"不需要自定义主题时请写 theme: default")
    renderer = Renderer(site, dirs)
    renderer.check_templates(problems)
    if problems.has_errors():
        raise BuildFailed(problems)
    clock.lap("link")

    jobs = renderer.jobs()
    out_dir = options.out
    manifest = Manifest(manifest_path(config, out_dir))
    stager = Stager(out_dir, manifest)
    staged: list[Staged] = []
    try:
        staged = render_all(renderer, jobs, stager, workers)
        clock.lap("render")
        extra = dict(feeds.feeds(site))
        extra[urls.FIXED["sitemap_xml"]] = feeds.sitemap_xml(site, [job.url for job in jobs])
        extra[urls.FIXED["robots"]] = feeds.robots_txt(site)
        for rel, text in extra.items():
            staged.append(stager.stage_bytes(rel, text.encode("utf-8")))
        for rel, source in static_files(dirs).items():
            staged.append(stager.stage_copy(rel, source))
        for asset in site.assets.values():
            staged.append(stager.stage_copy(asset.rel, asset.path))
        clock.lap("extras")
        stats = stager.commit(staged)
        clock.lap("write")
    except BaseException:
        stager.discard(staged)
        raise
    return BuildResult(problems, stats, pages=len(jobs), stories=len(site.stories),
                       seconds=clock.total, site=site, timings=clock.stages)
