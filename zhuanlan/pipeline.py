"""Orders the build: read → parse (cached; all cores when cold) → link → validate → decide what
changed → render (all cores when many pages) → write.

Nothing is written before every file has been parsed and checked and every template compiled;
rendered pages are staged and moved into output/ only when all of them succeeded. A `Builder`
keeps its parse cache and output manifest between builds, which `serve` relies on.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import ENGINE_VERSION, favicon, feeds, images, minify, qr, searchindex, urls
from .cache import RACY_MARGIN_NS, ParseCache, Row, file_stamp, parse_to_rows, source_digest, stamp_mtime
from .config import Config, load_config
from .content import Entry, Story, kind_of, parse_file
from .output import Manifest, Stager, Staged, WriteStats, output_lock
from .problems import ERROR, BuildFailed, Problem, Problems
from .rebuild import Fingerprinter, template_digests
from .render import PageJob, Renderer, TemplateProblem, theme_dirs
from .site import Site, build_site, relink_story
from .textrules import WordList
from .workers import count as worker_count, fork_pool

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
CHUNK = 64
IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~", ".bak", ".DS_Store")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class BuildOptions:
    site_dir: Path
    output_dir: Path | None = None
    drafts: bool = False
    workers: int = 0  # 0: all cores
    clean: bool = False  # ignore every cache: parse, render and write everything again
    progress: Progress | None = None

    @property
    def out(self) -> Path:
        return self.output_dir or self.site_dir / "output"


@dataclass
class BuildResult:
    problems: Problems
    stats: WriteStats = field(default_factory=WriteStats)
    pages: int = 0  # pages the site has
    rendered: int = 0  # pages rendered in this build
    parsed: int = 0  # content files parsed in this build
    stories: int = 0
    seconds: float = 0.0
    site: Site | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, for benchmarks
    nothing_changed: bool = False
    images: images.ImageStats | None = None


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


@dataclass
class Sources:
    """What the content folder holds: .md documents and other files, with size:mtime stamps."""

    documents: list[tuple[Path, str, str]] = field(default_factory=list)  # (path, rel, stamp)
    assets: dict[str, Path] = field(default_factory=dict)
    asset_stamps: list[str] = field(default_factory=list)


def scan_content(content_dir: Path, problems: Problems) -> Sources:
    found = Sources()
    if not content_dir.is_dir():
        problems.error(content_dir, 0, "找不到 content 文件夹：文章放在 content/stories/，品牌放在 content/brands/")
        return found
    _scan(str(content_dir), "", found, problems)
    return found


def _scan(folder: str, prefix: str, found: Sources, problems: Problems) -> None:
    """Walk with os.scandir (its entries carry stat results cheaply); plain strings until needed."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if name.startswith(".") or name.endswith(IGNORED_SUFFIXES):
            continue
        rel = prefix + name
        try:
            if entry.is_dir():
                if not name.startswith("_"):
                    _scan(entry.path, rel + "/", found, problems)
                continue
            info = entry.stat()
        except OSError:
            continue  # removed while we looked
        stamp = f"{info.st_size}:{info.st_mtime_ns}"
        if name.lower().endswith(".md"):
            if kind_of(rel) is None:
                problems.warning(entry.path, 0, "这个 .md 文件不在 stories/、brands/、columns/ 或 pages/ 中，已忽略")
                continue
            found.documents.append((Path(entry.path), rel, stamp))
        else:
            found.assets[rel] = Path(entry.path)
            found.asset_stamps.append(f"{rel}\x1e{stamp}")


def theme_files(dirs: list[Path]) -> list[Path]:
    files = []
    for theme in dirs:
        for sub in ("templates", "static"):
            folder = theme / sub
            if folder.is_dir():
                files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    return files


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


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass
class Scanned:
    """site.yaml and what the content and theme folders hold, with a digest of every input."""

    config: Config
    dirs: list[Path]
    sources: Sources
    scanned_ns: int
    config_digest: str
    inputs: str
    newest: int  # modification time of the youngest input file (ns)


@dataclass
class Checked:
    """A site parsed, linked and validated: what rendering (or `check`) works from."""

    scanned: Scanned
    site: Site
    gallery: images.Gallery
    renderer: Renderer
    parsed: int  # content files parsed (not taken from the cache)


# -- parallel stages --------------------------------------------------------------------------

def parse_rows(todo: list[tuple[Path, str, str, WordList]], workers: int, progress: Progress | None = None):
    """Parsed rows in batches, as they come, so that the caller can store them and let go."""
    chunks = [todo[start:start + CHUNK] for start in range(0, len(todo), CHUNK)]
    if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
        batch: list[Row] = []
        done = 0
        with fork_pool(workers) as pool:
            for rows in pool.imap(parse_to_rows, chunks):
                batch += rows
                done += len(rows)
                if len(batch) >= 4 * CHUNK:
                    yield batch
                    batch = []
                    if progress:
                        progress("parse", done, len(todo))
        if batch:
            yield batch
    elif todo:
        yield [row for chunk in chunks for row in parse_to_rows(chunk)]


# State handed to forked render workers; set in the parent just before the pool starts.
_RENDER_STATE: tuple[Renderer, list[PageJob], Stager, ParseCache | None] | None = None


def _render_range(bounds: tuple[int, int]) -> tuple[list[Staged], dict[str, str]] | TemplateProblem:
    """Render some pages; also hand back the QR codes drawn for them, for the parent to cache."""
    renderer, jobs, stager, cache = _RENDER_STATE  # type: ignore[misc]
    chunk = jobs[bounds[0]: bounds[1]]
    if cache is not None:  # bodies are read here, chunk by chunk, not all held by the parent
        cache.fill([job.entry for job in chunk if job.entry is not None], "body")
    staged = []
    try:
        for job in chunk:
            staged.append(stager.stage_bytes(urls.output_file(job.url), renderer.render(job).encode("utf-8")))
    except TemplateProblem as problem:
        return problem
    return staged, renderer.qr.take_new()


def render_all(renderer: Renderer, jobs: list[PageJob], stager: Stager, workers: int,
               progress: Progress | None = None, cache: ParseCache | None = None) -> list[Staged]:
    global _RENDER_STATE
    bounds = [(start, min(start + CHUNK, len(jobs))) for start in range(0, len(jobs), CHUNK)]
    _RENDER_STATE = (renderer, jobs, stager, cache)
    results: list = []
    try:
        if workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
            with fork_pool(workers) as pool:
                for result in pool.imap(_render_range, bounds, chunksize=1):
                    results.append(result)
                    if progress:
                        progress("render", min(len(results) * CHUNK, len(jobs)), len(jobs))
        else:
            results = [_render_range(b) for b in bounds]
    finally:
        _RENDER_STATE = None
    staged: list[Staged] = []
    codes: dict[str, str] = {}
    for result in results:
        if isinstance(result, TemplateProblem):
            problems = Problems()
            problems.error(result.path, result.line, result.message)
            raise BuildFailed(problems)
        staged.extend(result[0])
        codes.update(result[1])
    renderer.qr.new.update(codes)
    return staged


# -- the build --------------------------------------------------------------------------------

class Builder:
    """Builds one site into one output folder; keeps caches between builds (serve reuses it)."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.cache: ParseCache | None = None
        self.manifest: Manifest | None = None
        self.last: Checked | None = None  # the last successful build's site (serve's preview works from it)

    def build(self) -> BuildResult:
        """Build the site. Raises BuildFailed (with every problem) and leaves output/ untouched."""
        out = self.options.out.resolve()
        with output_lock(out):
            return self._build(out)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def preview(self, paths: list[Path]) -> list[str]:
        """Serve's first look at a save: the saved stories' own pages, rendered from the last
        build's site and written at once, before the full build that follows (and decides).

        Returns the URLs written; none when this is not a plain edit of stories the last build
        had (a new or broken file, a changed slug or link…): those wait for the build. Pages
        that list the story (column, home, related) catch up with the build a moment later.
        """
        last, manifest = self.last, self.manifest
        if last is None or manifest is None:
            return []
        site, renderer = last.site, last.renderer
        known = {story.rel: story for story in site.stories}
        jobs = []
        for path in paths:
            try:
                rel = path.resolve().relative_to(site.config.content_dir.resolve()).as_posix()
                data = path.read_bytes()
            except (ValueError, OSError):
                return []
            old = known.get(rel)
            parsed = parse_file(path, rel, data) if old is not None else None
            story = parsed.item if parsed is not None else None
            if not isinstance(story, Story) or any(p.level == ERROR for p in parsed.problems) \
                    or not relink_story(site, story, old):
                return []
            jobs.append(renderer.story_job(story))
        out = self.options.out.resolve()
        written = []
        with output_lock(out):
            stager = Stager(out, manifest)
            for job in jobs:
                try:
                    html = renderer.render(job)
                except TemplateProblem:
                    break  # the build will say where
                staged = stager.stage_bytes(urls.output_file(job.url), html.encode("utf-8"))
                if staged.temp is not None:
                    os.replace(staged.temp, os.path.join(out, staged.rel))
                manifest.entries[staged.rel] = staged.stamp  # what the file holds now, for the build to compare
                manifest.pages.pop(job.url, None)  # so that the build renders the page again
                written.append(job.url)
        return written

    def validate(self, problems: Problems, clock: _Clock | None = None, found: Scanned | None = None) -> Checked:
        """Everything a build checks before it writes: read, parse (cached), link, images, templates.

        Problems are collected, not raised, so that `check` can go on to its own rules.
        Raises BuildFailed only when there is no site to speak of (site.yaml missing or unreadable).
        """
        clock = clock or _Clock()
        found = found or self._scan(problems)
        config, options = found.config, self.options
        records, parsed = self._parse(config, found.sources, worker_count(options.workers), problems,
                                      found.scanned_ns)
        clock.lap("parse")
        site = build_site(config, records, found.sources.assets, problems, drafts=options.drafts)
        clock.lap("link")
        gallery = images.prepare(site, worker_count(options.workers), problems)  # derivatives; cached
        clock.lap("images")
        if config.theme != "default" and not (config.root / "themes" / config.theme).is_dir():
            problems.error(config.path, 0, f"找不到主题 \"{config.theme}\"：应在 themes/{config.theme}/ 中；"
                                           f"不需要自定义主题时请写 theme: default")
        renderer = Renderer(site, found.dirs, gallery, qr.QrCodes(config.root / ".cache" / "qr.sqlite",
                                                                   reuse=not options.clean))
        renderer.check_templates(problems)
        clock.lap("link")
        return Checked(found, site, gallery, renderer, parsed)

    def _scan(self, problems: Problems) -> Scanned:
        config = load_config(self.options.site_dir, problems)
        if config is None:
            raise BuildFailed(problems)
        dirs = theme_dirs(config.root, config.theme)
        scanned_ns = time.time_ns()  # before any stamp is read: later changes count as new
        sources = scan_content(config.content_dir, problems)
        config_digest = source_digest(config.path.read_bytes())
        stamps = [f"{rel}\x1e{stamp}" for _, rel, stamp in sources.documents] + sources.asset_stamps
        stamps += [f"{p}\x1e{file_stamp(p)}" for p in theme_files(dirs)]
        inputs = _digest(ENGINE_VERSION, config_digest, str(self.options.drafts), str(dirs), *stamps)
        newest = max((stamp_mtime(s) for s in stamps), default=0)
        return Scanned(config, dirs, sources, scanned_ns, config_digest, inputs, newest)

    def _build(self, out_dir: Path) -> BuildResult:
        options = self.options
        clock = _Clock()
        problems = Problems()
        found = self._scan(problems)
        config = found.config
        if self.manifest is None or self.manifest.path != manifest_path(config, out_dir):
            self.manifest = Manifest(manifest_path(config, out_dir))
        manifest = self.manifest
        clock.lap("scan")
        settled = found.newest < manifest.scanned - RACY_MARGIN_NS  # no file too young to trust its stamp
        if not options.clean and settled and manifest.inputs == found.inputs and manifest.complete(out_dir):
            problems.extend([Problem(*p) for p in manifest.warnings])
            return BuildResult(problems, WriteStats(unchanged=len(manifest.entries)), pages=len(manifest.pages),
                               stories=manifest.stories, seconds=clock.total, timings=clock.stages,
                               nothing_changed=True)

        checked = self.validate(problems, clock, found)
        if problems.has_errors():
            raise BuildFailed(problems)
        site, gallery, renderer, dirs = checked.site, checked.gallery, checked.renderer, found.dirs
        workers = worker_count(options.workers)

        jobs = renderer.jobs()
        fingerprinter = Fingerprinter(
            _digest(ENGINE_VERSION, found.config_digest, str(options.drafts), renderer.global_state(), qr.OPTIONS),
            template_digests(renderer.env, {job.template for job in jobs}))
        old_pages = {} if options.clean else manifest.pages
        old_files = {} if options.clean else manifest.entries
        pages: dict[str, str] = {}
        todo: list[PageJob] = []
        kept: list[Staged] = []
        for job in jobs:
            fingerprint = pages[job.url] = fingerprinter.page(job.template, job.data())
            rel = urls.output_file(job.url)
            if old_pages.get(job.url) == fingerprint and rel in old_files and os.path.isfile(out_dir / rel):
                kept.append(Staged(rel, old_files[rel], None))
            else:
                todo.append(job)
        clock.lap("plan")

        if self.cache is not None:
            self.cache.fill(feeds.entries_needed(site), "body")
        stager = Stager(out_dir, manifest, force=options.clean)
        staged: list[Staged] = []
        try:
            staged = render_all(renderer, todo, stager, workers, options.progress, self.cache)
            renderer.qr.save(renderer.qr.take_new(), {renderer.linker.absolute(job.url) for job in jobs})
            clock.lap("render")
            staged += kept
            stages = {"search": searchindex.index_digest(site)}
            previous = None if options.clean or manifest.stages.get("search") != stages["search"] else \
                manifest.kept(searchindex.INDEX_FILES, out_dir)
            if previous is None:  # built whole, or the last build's index updated where stories changed
                fill = (lambda stories: self.cache.fill(stories, "index")) if self.cache is not None else None
                old_grams = self.cache.old_grams if self.cache is not None else None
                staged += searchindex.stage_index(site, stager, out_dir, options.clean, fill, old_grams)
            else:
                staged += previous  # nothing the index is made of has changed
            clock.lap("search")
            extra = dict(feeds.feeds(site))
            extra[urls.FIXED["sitemap_xml"]] = feeds.sitemap_xml(site, [job.url for job in jobs])
            extra[urls.FIXED["robots"]] = feeds.robots_txt(site)
            for rel, text in extra.items():
                staged.append(stager.stage_bytes(rel, text.encode("utf-8")))
            for rel, data in favicon.files(config, gallery).items():
                staged.append(stager.stage_bytes(rel, data))
            for rel, source in static_files(dirs).items():
                staged.append(minify.stage_static(stager, rel, source))
            derived = images.cache_dir(config)  # derivatives there are named by their content hash
            for rel, source in gallery.output_files(site.assets).items():
                staged.append(stager.stage_copy(rel, source, immutable=derived in source.parents))
            clock.lap("extras")
            warnings = [(p.path, p.line, p.level, p.message, p.col, p.rule) for p in problems.items]
            stats = stager.commit(staged, pages=pages, inputs=found.inputs, warnings=warnings,
                                  stories=len(site.stories), scanned=found.scanned_ns, stages=stages)
            self.manifest = stager.manifest
            self.last = checked
            if self.cache is not None:
                self.cache.replaced.clear()  # the index now holds the new versions
            clock.lap("write")
        except BaseException:
            stager.discard(staged)
            raise
        return BuildResult(problems, stats, pages=len(jobs), rendered=len(todo), parsed=checked.parsed,
                           stories=len(site.stories), seconds=clock.total, site=site, timings=clock.stages,
                           images=gallery.stats)

    def _parse(self, config: Config, sources: Sources, workers: int, problems: Problems,
               scanned_ns: int) -> tuple[list[Entry], int]:
        """Records for every document: from the cache where the file is unchanged, parsed otherwise."""
        if self.cache is None or self.cache.path != config.root / ".cache" / "parse.sqlite":
            self.close()
            self.cache = ParseCache(config.root / ".cache" / "parse.sqlite")
        cache = self.cache
        if self.options.clean:
            cache.store([], list(cache.rows))
        words = config.check.words  # the site's word list, for the text rules a build enforces
        todo: list[tuple[Path, str, str, WordList]] = []
        for path, rel, stamp in sources.documents:
            if cache.fresh(rel, stamp) is None:
                row = cache.rows.get(rel)
                if row is not None and _same_bytes(path, row.digest):
                    cache.restamp(rel, stamp)  # touched, not changed
                else:
                    todo.append((path, rel, stamp, words))
                    continue
            if cache.rows[rel].words != words.key:
                cache.recheck(rel, path, words)
        for batch in parse_rows(todo, workers, self.options.progress):
            cache.store(batch, [])  # stored as they come: a cold build never holds every body at once
        present = {rel for _, rel, _ in sources.documents}
        cache.store([], [rel for rel in cache.rows if rel not in present])
        cache.mark_scanned(scanned_ns)
        records: list[Entry] = []
        for _, rel, _ in sources.documents:
            parsed, text_problems = cache.record(rel)
            problems.extend(parsed.problems)
            if parsed.item is not None:
                records.append(parsed.item)
                if not (getattr(parsed.item, "draft", False) and not self.options.drafts):
                    problems.extend(text_problems)  # drafts are checked when they are built
        return records, len(todo)


def _same_bytes(path: Path, digest: str) -> bool:
    try:
        return source_digest(path.read_bytes()) == digest
    except OSError:
        return False


def build(options: BuildOptions) -> BuildResult:
    """Build once (the command line's `build`)."""
    builder = Builder(options)
    try:
        return builder.build()
    finally:
        builder.close()
