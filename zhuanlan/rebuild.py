"""What a change invalidates (after Zola's `rebuild`): every page gets a fingerprint made from
exactly the data its template receives and the templates it is rendered with. A page whose
fingerprint is unchanged since the last build (and whose file is still there) is neither
rendered nor written.

Correctness rests on two rules: a record's fingerprint covers all its non-heavy fields (the
heavy ones, body HTML and text, are a function of the source digest, which is covered), and a
page's data is pickled whole, with only records replaced by their fingerprints, so nothing a
template receives is left out. (Page data is plain: a tag reaches a template as name, URL and
count, never with its list of thousands of stories.)
"""
from __future__ import annotations

import io
import marshal
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import jinja2.meta

from . import cachepaths
from .content import HEAVY_FIELDS, Brand, Column, Entry, Page, Story
from .stamps import digest, engine_key, text_digest

if TYPE_CHECKING:
    from .site import Site


def entry_fingerprint(entry: Entry) -> str:
    """All of a record's light state, including what the site stage assigned (url, ref_urls…)."""
    state = vars(entry).copy()
    for name in HEAVY_FIELDS:
        state.pop(name, None)
    return digest(pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


class Fingerprinter:
    """Page data is pickled (in C) with each record replaced by its fingerprint.

    The replacement goes through the pickler's dispatch table, consulted only for record types;
    anything else is pickled whole, so a new kind of page data can make fingerprinting slower but
    never wrong. Dicts keep insertion order, which the renderer makes the same from build to build.
    """

    def __init__(self, global_digest: str, template_digests: dict[str, str]):
        self.global_digest = global_digest
        self.template_digests = template_digests
        self.entries: dict[int, str] = {}  # id(record) → its fingerprint
        self.met: list[str] = []  # the records (rel) the last page's data holds
        met, record = self.met, self.record

        def entry(value: Entry):
            met.append(value.rel)
            return str, (record(value),)

        self._dispatch = {kind: entry for kind in (Story, Brand, Column, Page)}

    def record(self, entry: Entry) -> str:
        found = self.entries.get(id(entry))
        if found is None:
            found = self.entries[id(entry)] = entry_fingerprint(entry)
        return found

    def page(self, template: str, context: dict) -> str:
        """The page's fingerprint; `met` then names the records its data holds."""
        self.met.clear()
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = self._dispatch
        pickler.dump((self.global_digest, self.template_digests[template], context))
        return digest(buffer.getvalue())


# Site fields no page is made from: the clock the build ran at, and the schedule's window
# (stories it publishes or holds back are in `stories` and `scheduled`), and the linker (a function of
# config); config itself is in the plan's key as Config.pages_digest, which leaves out where the site
# is published (a new 发布 target changes no page).
_NOT_PAGE_DATA = ("now", "window", "linker", "config")


def site_digest(site: Site) -> str:
    """Everything the site stage made that page data is made from (lists, order, relations, tags,
    counts, config), but with each record standing for itself by its file, not its contents: while
    this digest holds, a page's data can change only through the records it holds (see PagePlan).
    Pickled whole but for the fields named above, so that a new field is covered without a word here."""
    state = {name: value for name, value in vars(site).items() if name not in _NOT_PAGE_DATA}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {kind: _by_file for kind in (Story, Brand, Column, Page)}
    pickler.dump(state)
    return digest(buffer.getvalue())


def _by_file(entry: Entry):
    return str, (entry.rel,)


class PagePlan:
    """The last plan stage's page fingerprints, and for each page the records its data held,
    kept beside the output folder's manifest (cachepaths.page_plan) so that a one-story edit does
    not fingerprint every page again.

    A page's data is made from the records it holds and from what `site_digest`, the theme's
    templates and the site-wide state (config, menu, pictures, posters) cover: the plan's `key`.
    While the key is the same, a page none of whose records changed (by `entry_fingerprint`)
    has the same data, so the same fingerprint as last time, without its data being made.
    Any other change (a story added, moved in a list, a tag, a template, a picture) changes the
    key, and every page is fingerprinted again, as before this file existed.
    """

    VERSION = 1

    def __init__(self, path: Path | None):
        self.path = path
        self.key = ""
        self.records: dict[str, str] = {}  # rel → record fingerprint
        self.rels: list[str] = []  # the records pages hold, numbered
        self.pages: dict[str, tuple[str, tuple[int, ...]]] = {}  # URL → (fingerprint, records held by number)
        data = None
        if path is not None:
            try:
                data = marshal.loads(path.read_bytes())
            except (OSError, ValueError, EOFError, TypeError):
                data = None
        if isinstance(data, tuple) and len(data) == 5 and data[0] == (self.VERSION, engine_key()) \
                and [type(part) for part in data[1:]] == [str, dict, list, dict]:
            _, self.key, self.records, self.rels, self.pages = data
        self._numbers = {rel: number for number, rel in enumerate(self.rels)}

    def changed(self, key: str, records: dict[str, str]) -> set[int] | None:
        """The records (by number) changed since the plan kept here, or None when none of its
        pages can be trusted (another key): then numbering starts afresh."""
        if key != self.key or not self.pages:
            self.restart()
            return None
        old, numbers = self.records, self._numbers
        gone = old.keys() - records.keys()
        return {numbers[rel] for rel in [*(rel for rel, fp in records.items() if old.get(rel) != fp), *gone]
                if rel in numbers}

    def restart(self) -> None:
        """Trust none of the kept pages; records are numbered afresh."""
        self.rels, self.pages, self._numbers = [], {}, {}

    def held(self, met: list[str] | tuple[str, ...], records: dict[str, str]) -> tuple[int, ...] | None:
        """The records a page's data holds (`met`), by number; None when one of them is not among
        `records` (no change would be looked for in it, so the page's fingerprint cannot be kept)."""
        return self.number(met) if all(rel in records for rel in met) else None

    def number(self, rels: list[str] | tuple[str, ...]) -> tuple[int, ...]:
        numbers = self._numbers
        for rel in rels:
            if rel not in numbers:
                numbers[rel] = len(self.rels)
                self.rels.append(rel)
        return tuple(dict.fromkeys(numbers[rel] for rel in rels))

    def save(self, key: str, records: dict[str, str], pages: dict[str, tuple[str, tuple[int, ...]]]) -> None:
        """Keep this build's plan (fingerprints are facts about inputs: kept even if the build fails later)."""
        self.key, self.records, self.pages = key, records, pages
        if self.path is None:
            return
        try:
            cachepaths.write_bytes(self.path, marshal.dumps(((self.VERSION, engine_key()), key, records, self.rels, pages)))
        except OSError:  # only a lost speed-up
            pass


class PageFingerprints:
    """Page fingerprints made by the render stage, when the plan stage leaves them to it (a first or
    clean build keeps no page, so no fingerprint decides anything before rendering): each page's is
    taken just before it is rendered (`page`, in the render workers, on all cores), and the parent
    keeps the PagePlan with them (`finish`) as the plan stage would have."""

    def __init__(self, fingerprinter: Fingerprinter, memory: PagePlan, key: str, records: dict[str, str]):
        self.fingerprinter, self.memory, self.key, self.records = fingerprinter, memory, key, records

    def page(self, job) -> tuple[str, tuple[str, ...]]:
        """The page's fingerprint and the records its data holds."""
        return self.fingerprinter.page(job.template, job.data()), tuple(self.fingerprinter.met)

    def finish(self, jobs: list, prints: list[tuple[str, tuple[str, ...]]]) -> dict[str, str]:
        """URL → fingerprint of the rendered `jobs`, whose `page` results are `prints`; the PagePlan saved."""
        memory, records, pages, fingerprints = self.memory, self.records, {}, {}
        for job, (fingerprint, met) in zip(jobs, prints):
            fingerprints[job.url] = fingerprint
            held = memory.held(met, records)
            if held is not None:
                pages[job.url] = (fingerprint, held)
        memory.save(self.key, records, pages)
        return fingerprints


class TemplateReferences:
    """Which templates each template source pulls in ({% extends/include/import %}), kept in
    `.cache/templates/references.json` by the source's digest: finding out means parsing the
    template, which took longer than the rest of a one-story rebuild's fingerprinting."""

    def __init__(self, path: Path | None):
        self.path = path
        self.known: dict[str, list[str | None]] = {}
        self.used: dict[str, list[str | None]] = {}
        data = cachepaths.read_json(path)
        if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
            self.known = data

    def of(self, env: jinja2.Environment, source: str) -> set[str | None]:
        """The names `source` references (None among them: a computed name, could be any template)."""
        key = text_digest(engine_key(), jinja2.__version__, source)
        found = self.known.get(key)
        if found is None or not all(name is None or isinstance(name, str) for name in found):
            found = getattr(env, "references", {}).get(source)  # noted when it was compiled this build
            if found is None:
                try:
                    found = list(jinja2.meta.find_referenced_templates(env.parse(source)))
                except jinja2.TemplateSyntaxError:
                    found = []
            found = sorted(found, key=lambda name: (name is None, name or ""))
        self.used[key] = found
        return set(found)

    def save(self) -> None:
        """Keep what this build used (and only that), when it differs from what was read."""
        if self.path is not None and self.used != self.known:
            cachepaths.write_json(self.path, self.used, sort_keys=True)


def template_digests(env: jinja2.Environment, names: set[str],
                     references: TemplateReferences | None = None) -> dict[str, str]:
    """For each page template, a digest of its source and of every template it pulls in."""
    references = references or TemplateReferences(None)
    sources: dict[str, str] = {}
    deps: dict[str, set[str] | None] = {}

    def load(name: str) -> None:
        if name in sources:
            return
        try:
            source, _, _ = env.loader.get_source(env, name)
        except jinja2.TemplateNotFound:
            sources[name], deps[name] = "", set()
            return
        sources[name] = source
        found = references.of(env, source)
        deps[name] = None if None in found else found  # None: a computed name, could be any template
        for dependency in found:
            if dependency is not None:
                load(dependency)

    every = None
    result = {}
    for name in names:
        load(name)
        closure, stack = set(), [name]
        while stack:
            current = stack.pop()
            if current in closure:
                continue
            closure.add(current)
            current_deps = deps.get(current, set())
            if current_deps is None:
                if every is None:
                    every = env.list_templates()
                    for other in every:
                        load(other)
                stack.extend(every)
            else:
                stack.extend(current_deps)
        result[name] = text_digest(*(f"{n}\x1e{sources.get(n, '')}" for n in sorted(closure)))
    return result
