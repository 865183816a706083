"""Orders the build. Its stages, in order, each timed (BuildResult.timings, `build --timings`):

    scan       what the site folder holds, and whether anything changed at all (sources.py)
    parse      content files to records (cached; all cores when cold)
    link       the site graph and every cross-file check (site.py)
    images     image derivatives (cached; all cores)
    templates  the theme's templates compiled and checked
    plan       which pages changed (page fingerprints, rebuild.py)
    render     those pages (all cores when many)
    posters    each brand's poster, where the cache has none (poster.py)
    search     output/search/ (kept, updated or built whole)
    feeds      Atom feeds, sitemap.xml, robots.txt
    static     the theme's static files
    files      image derivatives and attachments copied into output/
    write      the staged files moved into place, the manifest saved

Nothing is written before every file has been parsed and checked and every template compiled;
rendered pages are staged and moved into output/ only when all of them succeeded. A `Builder`
keeps its parse cache and output manifest between builds, which `serve` relies on.
"""
from __future__ import annotations

import gc
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

# Only what the scan and the nothing-changed check need is imported here; each stage imports its
# modules where it runs (Markdown, Jinja, numpy, Pillow… take far longer to import than a build
# with nothing to do takes to run: start-up counts).
from . import cachepaths, fonts, hanzi, schedule, urls
from .output import Manifest, Stager, Staged, WriteStats, finish_interrupted_commit, output_lock, output_refusal
from .parallel import Progress, cold_parse, parse_rows, render_all
from .problems import ERROR, BuildFailed, Problems, portable_row, problem_from_row
from .sources import DEFAULT_THEME, Scanned, Sources, scan_site, static_files
from .stamps import RACY_MARGIN_NS, digest, engine_key, text_digest
from .workers import count as worker_count, give_back, one_heap

if TYPE_CHECKING:
    from . import images
    from .cache import ParseCache
    from .config import Config
    from .content import Entry
    from .rebuild import PageFingerprints
    from .render import PageJob, Renderer
    from .sanitize import HtmlPolicy
    from .site import Site
    from .textrules import WordList


@dataclass
class BuildOptions:
    site_dir: Path
    output_dir: Path | None = None
    drafts: bool = False
    workers: int = 0  # 0: all cores
    clean: bool = False  # ignore every cache: parse, render and write everything again
    progress: Progress | None = None
    now: datetime | None = None  # the time stories are published by (定时发布); None: the clock. Tests set it.

    @property
    def out(self) -> Path:
        return self.output_dir or self.site_dir / "output"


@dataclass
class BuildResult:
    problems: Problems
    stats: WriteStats = field(default_factory=WriteStats)
    pages: int = 0  # pages the site has
    rendered: int = 0  # pages rendered in this build
    fingerprinted: int = 0  # pages whose data was made and fingerprinted (the rest kept the last plan's)
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
class Checked:
    """A site parsed, linked and validated: what rendering (or `check`) works from."""

    scanned: Scanned
    site: Site
    gallery: images.Gallery
    renderer: Renderer
    parsed: int  # content files parsed (not taken from the cache)


@dataclass
class Plan:
    """What this build renders and what it keeps: the plan stage's outcome."""

    jobs: list[PageJob]  # every page of the site
    stages: dict[str, str]  # digest of the inputs of whole-site outputs (the search index)
    todo: list[PageJob] = field(default_factory=list)  # pages to render
    kept: list[Staged] = field(default_factory=list)  # unchanged pages whose files are still there
    fingerprints: dict[str, str] = field(default_factory=dict)  # URL → page fingerprint
    fingerprinted: int = 0  # pages fingerprinted again (rebuild.PagePlan kept the others')
    # When no page can be kept (a first or clean build), pages are fingerprinted where they are
    # rendered, on all cores, rather than all of them here first: this is what does it.
    deferred: PageFingerprints | None = None


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
        refusal = self.output_refusal(out)
        if refusal:
            problems = Problems()
            problems.error("", 0, refusal)
            raise BuildFailed(problems)
        with output_lock(out):
            try:
                return self._build(out)
            finally:
                gc.unfreeze()  # see validate: what this build held may now be collected
                hanzi.keep_tables_in(None)

    def output_refusal(self, out: Path) -> str | None:
        """Why `out` cannot be this site's output folder (it holds or lies in its sources), or None."""
        root = self.options.site_dir
        return output_refusal(out, root, [root / "content", root / "themes", cachepaths.folder(root), DEFAULT_THEME],
                              allowed=[cachepaths.serve_output(root)])

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
        from .content import Story, parse_file
        from .render import TemplateProblem
        from .site import relink_story

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
            parsed = parse_file(path, rel, data, html=site.config.html.policy) if old is not None else None
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

    def _build(self, out_dir: Path) -> BuildResult:
        """The stages in order (see the module docstring), each timed."""
        clock, problems = _Clock(), Problems()
        now = self.options.now or schedule.local_now()
        found = scan_site(self.options.site_dir, self.options.drafts, problems)
        manifest = self._manifest(found.config, out_dir)
        clock.lap("scan")
        if self._nothing_changed(found, manifest, out_dir, now):
            stored = [problem_from_row(row, found.config.root) for row in manifest.warnings]
            problems.items = list(dict.fromkeys(problems.items + stored))  # site.yaml's were read again by the scan
            return BuildResult(problems, WriteStats(unchanged=len(manifest.entries)), pages=len(manifest.pages),
                               stories=manifest.stories, seconds=clock.total, timings=clock.stages,
                               nothing_changed=True)
        one_heap()
        checked = self.validate(problems, clock, found, now)  # parse, link, images, templates
        if problems.has_errors():
            raise BuildFailed(problems)
        site = checked.site
        if site.scheduled:
            problems.notice("", 0, schedule.summary(site.scheduled, shown=self.options.drafts))
        plan = self._plan(checked, manifest, out_dir)
        clock.lap("plan")
        stager = Stager(out_dir, manifest, force=self.options.clean)
        staged: list[Staged] = []
        try:
            staged += self._render(checked, plan, stager)
            staged += plan.kept
            clock.lap("render")
            staged += self._posters(checked, stager, problems)  # before search: drawn while this process is small
            clock.lap("posters")
            staged += self._search(site, plan, stager, out_dir)
            clock.lap("search")
            staged += self._feeds(site, plan, stager)
            clock.lap("feeds")
            staged += self._static(found.dirs, found.config.root, stager)
            clock.lap("static")
            staged += self._files(site, checked.gallery, stager)
            clock.lap("files")
            stats = self._commit(checked, plan, stager, staged, problems)
            clock.lap("write")
        except BaseException:
            stager.discard(staged)
            raise
        return BuildResult(problems, stats, pages=len(plan.jobs), rendered=len(plan.todo), parsed=checked.parsed,
                           fingerprinted=plan.fingerprinted,
                           stories=len(site.stories), seconds=clock.total, site=site, timings=clock.stages,
                           images=checked.gallery.stats)

    # -- the stages, in order -------------------------------------------------------------------

    def _manifest(self, config: Config, out_dir: Path) -> Manifest:
        """What the last build into this output folder wrote (kept between builds by serve); a
        commit a killed build left unfinished is finished first."""
        path = cachepaths.manifest(config.root, out_dir)
        if self.manifest is None or self.manifest.path != path:
            legacy = cachepaths.legacy_manifest(config.root, out_dir)
            if not path.exists() and legacy.exists():
                os.replace(legacy, path)
            self.manifest = Manifest(path)
        finish_interrupted_commit(self.manifest, out_dir)
        return self.manifest

    def _nothing_changed(self, found: Scanned, manifest: Manifest, out_dir: Path, now: datetime) -> bool:
        """No input file changed since the last build, no scheduled story became due, and all it
        wrote is still there."""
        settled = found.newest < manifest.scanned - RACY_MARGIN_NS  # no file too young to trust its stamp
        # A build that found no Chinese font is not trusted to be current: the font may have been installed since.
        font_missing = any(warning[3] == fonts.NO_FONT for warning in manifest.warnings)
        return (not self.options.clean and settled and manifest.inputs == found.inputs
                and schedule.holds(manifest.schedule, now) and manifest.complete(out_dir) and not font_missing)

    def validate(self, problems: Problems, clock: _Clock | None = None, found: Scanned | None = None,
                 now: datetime | None = None) -> Checked:
        """Everything a build checks before it writes: read, parse (cached), link, images, templates.

        Problems are collected, not raised, so that `check` can go on to its own rules.
        Raises BuildFailed only when there is no site to speak of (site.yaml missing or unreadable).
        """
        from . import images, poster, qr
        from .render import Renderer
        from .site import build_site
        from .text import slug_maker

        clock = clock or _Clock()
        found = found or scan_site(self.options.site_dir, self.options.drafts, problems)
        config, options = found.config, self.options
        hanzi.keep_tables_in(cachepaths.hanzi_tables(config.root))
        workers = worker_count(options.workers)
        with slug_maker() if cold_parse(config, found.sources, workers, options.clean) else nullcontext() as slugger:
            records, parsed = self._parse(config, found.sources, workers, problems, found.scanned_ns, slugger)
        gc.freeze()  # the records (and the modules imported so far) live as long as the build: the collector
        clock.lap("parse")  # need not look through them again and again (a fifth of a one-story rebuild)
        gc.enable()  # build.py held it off until now
        site = build_site(config, records, found.sources.assets, problems, drafts=options.drafts,
                          refused=found.sources.refusal, now=now or options.now,
                          related_file=None if options.clean else cachepaths.related(config.root))
        gc.freeze()  # and the site graph
        clock.lap("link")
        gallery = images.prepare(site, worker_count(options.workers), problems)  # derivatives; cached
        clock.lap("images")
        if config.theme != "default" and not (config.root / "themes" / config.theme).is_dir():
            problems.error(config.path, 0, f"找不到主题 \"{config.theme}\"：应在 themes/{config.theme}/ 中；"
                                           f"不需要自定义主题时请写 theme: default")
        posters = poster.plan(site, gallery, problems)  # what each brand's poster shows; drawn by the build
        renderer = Renderer(site, found.dirs, gallery, qr.QrCodes(cachepaths.qr_codes(config.root),
                                                                   reuse=not options.clean), posters)
        renderer.check_templates(problems)
        clock.lap("templates")
        return Checked(found, site, gallery, renderer, parsed)

    def _plan(self, checked: Checked, manifest: Manifest, out_dir: Path) -> Plan:
        """Which pages to render: those whose fingerprint changed, or whose file is gone. A page
        none of whose inputs can have changed keeps the last plan's fingerprint (rebuild.PagePlan).
        When there is no page to keep, every page is rendered and fingerprinted there (Plan.deferred)."""
        from . import qr, searchindex
        from .rebuild import Fingerprinter, PageFingerprints, PagePlan, TemplateReferences, site_digest, template_digests

        renderer, options, site = checked.renderer, self.options, checked.site
        jobs = renderer.jobs()
        root = site.config.root
        references = TemplateReferences(None if options.clean else cachepaths.template_references(root))
        global_digest = text_digest(engine_key(), site.config.pages_digest, str(options.drafts),
                                    renderer.global_state(), qr.OPTIONS)
        templates = template_digests(renderer.env, {job.template for job in jobs}, references)
        references.save()
        fingerprinter = Fingerprinter(global_digest, templates)
        posters = renderer.posters
        key = text_digest(global_digest, repr(sorted(templates.items())), site_digest(site),
                          checked.gallery.fingerprint(),
                          repr(sorted((k, p.url) for k, p in posters.items.items())) if posters else "")
        records = {entry.rel: fingerprinter.record(entry) for entry in [*site.entries(), *site.scheduled]}
        memory = PagePlan(cachepaths.page_plan(manifest.path))
        changed = None if options.clean else memory.changed(key, records)
        kept_pages, pages = memory.pages, {}
        old_pages = {} if options.clean else manifest.pages
        old_files = {} if options.clean else manifest.entries
        plan = Plan(jobs, stages={"search": searchindex.index_digest(site)})
        if not old_pages:  # a first or clean build keeps no page: no fingerprint decides anything here
            memory.restart()
            plan.todo = list(jobs)
            plan.deferred = PageFingerprints(fingerprinter, memory, key, records)
            return plan
        out = str(out_dir)  # joined as text: a Path per page cost more than its check
        for job in jobs:
            known = kept_pages.get(job.url) if changed is not None else None
            if known is None or not changed.isdisjoint(known[1]):
                fingerprint = fingerprinter.page(job.template, job.data())
                known = (fingerprint, memory.held(fingerprinter.met, records))
                plan.fingerprinted += 1
            fingerprint = plan.fingerprints[job.url] = known[0]
            if known[1] is not None:
                pages[job.url] = known
            rel = urls.output_file(job.url)
            if old_pages.get(job.url) == fingerprint and rel in old_files and os.path.isfile(os.path.join(out, rel)):
                plan.kept.append(Staged(rel, old_files[rel], None))
            else:
                plan.todo.append(job)
        if memory.key != key or memory.records != records or memory.pages != pages:
            memory.save(key, records, pages)
        return plan

    def _render(self, checked: Checked, plan: Plan, stager: Stager) -> list[Staged]:
        renderer = checked.renderer
        staged = render_all(renderer, plan, stager, worker_count(self.options.workers), self.options.progress,
                            self.cache)
        renderer.qr.save(renderer.qr.take_new(), {renderer.linker.absolute(job.url) for job in plan.jobs})
        for job in plan.jobs:  # rendered: some 5 MB (2,000 stories) the search stage's peak need not hold
            job.forget_data()
        return staged

    def _search(self, site: Site, plan: Plan, stager: Stager, out_dir: Path) -> list[Staged]:
        """output/search/: the last build's files when nothing the index is made of has changed;
        else that index updated where stories changed, or built whole."""
        from . import searchindex

        manifest, cache, clean = stager.manifest, self.cache, self.options.clean
        if not clean and manifest.stages.get("search") == plan.stages["search"]:
            previous = manifest.kept(searchindex.INDEX_FILES, out_dir)
            if previous is not None:
                return previous
        fill = (lambda stories: cache.fill(stories, "index")) if cache is not None else None
        let_go = (lambda stories: cache.let_go(stories, "index")) if cache is not None else None
        old_grams = cache.old_grams if cache is not None else None
        return searchindex.stage_index(site, stager, out_dir, clean, fill, old_grams, let_go)

    def _feeds(self, site: Site, plan: Plan, stager: Stager) -> list[Staged]:
        """Atom feeds (they carry story bodies: loaded from the parse cache here), sitemap.xml, robots.txt."""
        from . import feeds

        if self.cache is not None:
            self.cache.fill(feeds.entries_needed(site), "body")
        files = dict(feeds.feeds(site))
        files[urls.FIXED["sitemap_xml"]] = feeds.sitemap_xml(site, [job.url for job in plan.jobs if job.listed])
        files[urls.FIXED["robots"]] = feeds.robots_txt(site)
        return [stager.stage_bytes(rel, text.encode("utf-8")) for rel, text in files.items()]

    def _static(self, dirs: list[Path], root: Path, stager: Stager) -> list[Staged]:
        """The theme's static files (the default theme's scripts minified)."""
        from . import minify

        return [minify.stage_static(stager, rel, source) for rel, source in static_files(dirs, root).items()]

    def _files(self, site: Site, gallery: images.Gallery, stager: Stager) -> list[Staged]:
        """Image derivatives and the other content files pages use (attachments), copied; favicon.ico at a host root."""
        from . import favicon

        derived = cachepaths.images(site.config.root)  # derivatives there are named by their content hash
        staged = [stager.stage_copy(rel, source, immutable=derived in source.parents)
                  for rel, source in gallery.output_files(site.assets).items()]
        return staged + [stager.stage_bytes(rel, data) for rel, data in favicon.files(site.config, gallery).items()]

    def _posters(self, checked: Checked, stager: Stager, problems: Problems) -> list[Staged]:
        """Each brand's poster (poster.py): drawn where the cache has none, named by its content hash."""
        posters = checked.renderer.posters
        posters.draw_missing(problems, force=self.options.clean, workers=worker_count(self.options.workers))
        give_back()  # the drawing's canvases, before the search stage's peak
        return [stager.stage_copy(rel, source, immutable=True) for rel, source in posters.output_files().items()]

    def _commit(self, checked: Checked, plan: Plan, stager: Stager, staged: list[Staged],
                problems: Problems) -> WriteStats:
        """Move every staged file into place and save the manifest; this build is now the last one."""
        warnings = [portable_row(p, checked.scanned.config.root) for p in problems.items]
        stats = stager.commit(staged, pages=plan.fingerprints, inputs=checked.scanned.inputs, warnings=warnings,
                              stories=len(checked.site.stories), scanned=checked.scanned.scanned_ns,
                              stages=plan.stages, schedule=checked.site.window)
        self.manifest = stager.manifest
        self.last = checked
        if self.cache is not None:
            self.cache.replaced.clear()  # the index now holds the new versions
        return stats

    def _parse(self, config: Config, sources: Sources, workers: int, problems: Problems,
               scanned_ns: int, slugger=None) -> tuple[list[Entry], int]:
        """Records for every document: from the cache where the file is unchanged, parsed otherwise.
        `slugger`: see parse_rows."""
        from .cache import ParseCache
        from .content import Story
        from .text import remember_slugs

        path = cachepaths.parse_cache(config.root)
        html = config.html.policy  # parsed bodies depend on it: another policy, another cache
        if self.cache is None or self.cache.path != path or self.cache.version != f"{engine_key()}/{html.key}":
            self.close()
            self.cache = ParseCache(path, config.content_dir, html.key)
        cache = self.cache
        if self.options.clean:
            cache.store([], list(cache.rows))
        words = config.check.words  # the site's word list, for the text rules a build enforces
        todo: list[tuple[Path, str, str, WordList, HtmlPolicy]] = []
        loaded: dict[str, tuple] = {}
        for path, rel, stamp in sources.documents:
            if cache.fresh(rel, stamp) is None:
                row = cache.rows.get(rel)
                if row is not None and _same_bytes(path, row.digest):
                    cache.restamp(rel, stamp)  # touched, not changed
                else:
                    todo.append((path, rel, stamp, words, html))
                    continue
            found = cache.record(rel)
            if found is None:  # a row this code cannot read: parse the file again
                todo.append((path, rel, stamp, words, html))
                continue
            loaded[rel] = found
            if cache.rows[rel].words != words.key:
                cache.recheck(rel, path, words)
                loaded[rel] = cache.record(rel)
        if todo:  # an edited story mostly keeps its tags, or takes ones the site has: their slugs are known
            earlier = [cache.record(rel) for _, rel, *_ in todo if rel in cache.rows]
            remember_slugs((tag, slug) for parsed, _ in [*loaded.values(), *filter(None, earlier)]
                           if isinstance(parsed.item, Story) for tag, slug in zip(parsed.item.tags, parsed.item.tag_slugs))
        for batch in parse_rows(todo, workers, self.options.progress, slugger):
            cache.store(batch, [])  # stored as they come: a cold build never holds every body at once
            for row in batch:  # read back while the workers parse on, not after them
                loaded[row.rel] = cache.record(row.rel)
        present = {rel for _, rel, _ in sources.documents}
        cache.store([], [rel for rel in cache.rows if rel not in present])
        cache.mark_scanned(scanned_ns)
        records: list[Entry] = []
        for _, rel, _ in sources.documents:
            parsed, text_problems = loaded.get(rel) or cache.record(rel)
            problems.extend(parsed.problems)
            if parsed.item is not None:
                records.append(parsed.item)
                if not (getattr(parsed.item, "draft", False) and not self.options.drafts):
                    problems.extend(text_problems)  # drafts are checked when they are built
        return records, len(todo)


def _same_bytes(path: Path, known: str) -> bool:
    try:
        return digest(path.read_bytes()) == known
    except OSError:
        return False


def build(options: BuildOptions) -> BuildResult:
    """Build once (the command line's `build`)."""
    builder = Builder(options)
    try:
        return builder.build()
    finally:
        builder.close()
