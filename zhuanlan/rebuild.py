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
import json
import os
import pickle
from pathlib import Path

import jinja2
import jinja2.meta

from .content import HEAVY_FIELDS, Brand, Column, Entry, Page, Story
from .stamps import digest, engine_key, text_digest


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
        entries: dict[int, str] = {}

        def entry(value: Entry):
            found = entries.get(id(value))
            if found is None:
                found = entries[id(value)] = entry_fingerprint(value)
            return str, (found,)

        self._dispatch = {kind: entry for kind in (Story, Brand, Column, Page)}

    def page(self, template: str, context: dict) -> str:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = self._dispatch
        pickler.dump((self.global_digest, self.template_digests[template], context))
        return digest(buffer.getvalue())


class TemplateReferences:
    """Which templates each template source pulls in ({% extends/include/import %}), kept in
    `.cache/templates/references.json` by the source's digest: finding out means parsing the
    template, which took longer than the rest of a one-story rebuild's fingerprinting."""

    def __init__(self, path: Path | None):
        self.path = path
        self.known: dict[str, list[str | None]] = {}
        self.used: dict[str, list[str | None]] = {}
        if path is not None:
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                data = None
            if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
                self.known = data

    def of(self, env: jinja2.Environment, source: str) -> set[str | None]:
        """The names `source` references (None among them: a computed name, could be any template)."""
        key = text_digest(engine_key(), jinja2.__version__, source)
        found = self.known.get(key)
        if found is None or not all(name is None or isinstance(name, str) for name in found):
            try:
                found = sorted(jinja2.meta.find_referenced_templates(env.parse(source)),
                               key=lambda name: (name is None, name or ""))
            except jinja2.TemplateSyntaxError:
                found = []
        self.used[key] = found
        return set(found)

    def save(self) -> None:
        """Keep what this build used (and only that), when it differs from what was read."""
        if self.path is None or self.used == self.known:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(self.used, ensure_ascii=False, sort_keys=True), "utf-8")
        os.replace(temp, self.path)


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
