"""The build's stages that use every core: parsing content files and rendering pages.

Workers are forked (workers.fork_pool) and inherit what they need; results come back in order,
in batches, so the parent can store and let go as they come.
"""
from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import cachepaths, urls
from .output import Stager, Staged
from .problems import BuildFailed, Problems
from .workers import CHUNK, PARALLEL_MIN_FILES, Inherited, fork_pool, give_back

if TYPE_CHECKING:
    from .cache import ParseCache
    from .config import Config
    from .pipeline import Plan
    from .render import Renderer, TemplateProblem
    from .sanitize import HtmlPolicy
    from .sources import Sources
    from .textrules import WordList

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def cold_parse(config: Config, sources: Sources, workers: int, clean: bool) -> bool:
    """Whether the parse will be of many files on many cores (no parse cache yet, or --clean): its
    slugs' process (text.slug_maker) is then started before this process imports the parser."""
    return workers > 1 and len(sources.documents) >= PARALLEL_MIN_FILES and (
        clean or not cachepaths.parse_cache(config.root).exists())


def parse_rows(todo: list[tuple[Path, str, str, WordList, HtmlPolicy]], workers: int, progress: Progress | None = None,
               slugger=None):
    """Parsed rows in batches, as they come, so that the caller can store them and let go.
    `slugger`: a text.slug_maker already started (see cold_parse), for a parse on many cores."""
    from .cache import parse_to_rows, parse_with_slugs, prepare_workers, texts_to_slug
    from .text import remember_slugs, slug_maker, slugs_of

    chunks = [todo[start:start + CHUNK] for start in range(0, len(todo), CHUNK)]
    if workers > 1 and len(todo) >= PARALLEL_MIN_FILES:
        with ExitStack() as stack:
            slugger = slugger or stack.enter_context(slug_maker())
            prepare_workers()
            pool = stack.enter_context(fork_pool(workers))
            texts = set().union(*pool.imap_unordered(texts_to_slug, chunks))  # while the slugger loads
            slugs = slugger.apply(slugs_of, (sorted(texts),))
            slugger.terminate()  # the dictionaries are not needed any more
            remember_slugs(slugs)
            batch: list = []
            done = 0
            for rows in pool.imap(parse_with_slugs, [(chunk, slugs) for chunk in chunks]):
                batch += rows
                done += len(rows)
                if len(batch) >= 4 * CHUNK:
                    yield batch
                    batch = []
                    if progress:
                        progress("parse", done, len(todo))
        if batch:
            yield batch
        give_back()
    elif todo:
        yield [row for chunk in chunks for row in parse_to_rows(chunk)]


_RENDER_STATE = Inherited()  # (renderer, jobs, stager, parse cache, forked, page fingerprints) for the render workers


def _render_range(bounds: tuple[int, int]) -> tuple[list[Staged], dict[str, str], list] | TemplateProblem:
    """Render some pages; also hand back the QR codes drawn for them, for the parent to cache,
    and their fingerprints when the plan left them to this stage."""
    from .render import TemplateProblem

    renderer, jobs, stager, cache, forked, fingerprints = _RENDER_STATE.value
    chunk = jobs[bounds[0]: bounds[1]]
    entries = [job.entry for job in chunk if job.entry is not None]
    if cache is not None:  # bodies are read here, chunk by chunk, not all held by the parent
        cache.fill(entries, "body")
    staged, prints = [], []
    try:
        for job in chunk:
            if fingerprints is not None:  # taken before rendering, as the plan stage would have
                prints.append(fingerprints.page(job))
            staged.append(stager.stage_bytes(urls.output_file(job.url), renderer.render(job).encode("utf-8")))
    except TemplateProblem as problem:
        return problem
    if cache is not None and forked:  # a worker: no later page needs these bodies
        cache.let_go(entries, "body")
    return staged, renderer.qr.take_new(), prints


def render_all(renderer: Renderer, plan: Plan, stager: Stager, workers: int,
               progress: Progress | None = None, cache: ParseCache | None = None) -> list[Staged]:
    from .render import TemplateProblem

    jobs = plan.todo
    bounds = [(start, min(start + CHUNK, len(jobs))) for start in range(0, len(jobs), CHUNK)]
    results: list = []
    forked = workers > 1 and len(jobs) >= PARALLEL_MIN_FILES
    with _RENDER_STATE.holding((renderer, jobs, stager, cache, forked, plan.deferred)):
        if forked:
            with fork_pool(workers) as pool:
                for result in pool.imap(_render_range, bounds, chunksize=1):
                    results.append(result)
                    if progress:
                        progress("render", min(len(results) * CHUNK, len(jobs)), len(jobs))
        else:
            results = [_render_range(b) for b in bounds]
    staged: list[Staged] = []
    codes: dict[str, str] = {}
    prints: list = []
    for result in results:
        if isinstance(result, TemplateProblem):
            problems = Problems()
            problems.error(result.path, result.line, result.message)
            raise BuildFailed(problems)
        staged.extend(result[0])
        codes.update(result[1])
        prints.extend(result[2])
    renderer.qr.new.update(codes)
    if plan.deferred is not None:
        plan.fingerprints.update(plan.deferred.finish(jobs, prints))
        plan.fingerprinted += len(prints)
    return staged
