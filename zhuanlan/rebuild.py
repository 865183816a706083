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
import pickle

import jinja2
import jinja2.meta

from .content import HEAVY_FIELDS, Brand, Column, Entry, Page, Story
from .stamps import digest, text_digest


def entry_fingerprint(entry: Entry) -> str:
    """All of a record's light state, including what the site stage assigned (url, ref_urls…)."""
    state = {k: v for k, v in vars(entry).items() if k not in HEAVY_FIELDS}
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


def template_digests(env: jinja2.Environment, names: set[str]) -> dict[str, str]:
    """For each page template, a digest of its source and of every template it pulls in."""
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
        try:
            found = set(jinja2.meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            found = set()
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
