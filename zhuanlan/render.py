"""Jinja rendering: the theme loader chain, filters, and one plain-data context per page.

Templates get only what their page needs (the story, its neighbours, a page of a list); no
template loops over the whole site on every page.
"""
from __future__ import annotations

import math
import re
import traceback
from collections import ChainMap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import jinja2
import jinja2.meta
from markupsafe import Markup

from . import cachepaths, colors, deck, favicon, urls
from .content import Entry, Story
from .dates import format_day, format_minute, format_written
from .images import Gallery, Pictures, Variant
from .markdown import resolve_placeholders
from .problems import Problems
from .poster import Posters
from .qr import QrCodes
from .site import Site
from .sources import DEFAULT_THEME


@dataclass
class PageJob:
    url: str  # site-relative URL; the file written is urls.output_file(url)
    template: str
    context: Callable[[], dict]  # builds the page's data; called once, by data()
    entry: Entry | None = None  # the record whose body this page shows, if any
    listed: bool = True  # in sitemap.xml (a brand's 展评 deck is not: its brand page is)
    _data: dict | None = None

    def data(self) -> dict:
        if self._data is None:
            self._data = self.context()
        return self._data

    def forget_data(self) -> None:
        """Let go of the page's data (made for its fingerprint, inherited by the render workers)."""
        self._data = None


class TemplateProblem(Exception):
    def __init__(self, path: str, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message

    def __reduce__(self):
        # A render worker hands it to the parent pickled; unpickled from its message alone, it
        # failed in the pool's result thread, which died, and the build waited for ever.
        return TemplateProblem, (self.path, self.line, self.message)


class _Globals(ChainMap):
    """A template's globals (Jinja's ChainMap over the environment's), with `keys()` a plain set:
    every `{% from … import … %}` on every page takes a set difference with it, which through
    ChainMap's own view cost 15 µs (two imports a page, a tenth of rendering a list page)."""

    def keys(self):  # type: ignore[override]
        return set(self)


class _Environment(jinja2.Environment):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The templates each source pulls in, noted while it is compiled: the plan stage needs
        # them (rebuild.TemplateReferences) and would otherwise parse every template again.
        self.references: dict[str, list[str | None]] = {}

    def make_globals(self, d):
        return _Globals({} if d is None else d, self.globals)

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if isinstance(source, str):
            text, source = source, self.parse(source, name, filename)
            self.references[text] = list(jinja2.meta.find_referenced_templates(source))
        return super().compile(source, name, filename, raw, defer_init)


def make_environment(dirs: list[Path], bytecode_dir: Path | None = None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(d / "templates")) for d in dirs]
    # "default/base.html" always names the built-in file, so a site template can extend it.
    loaders.append(jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(DEFAULT_THEME / "templates"))}))
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # Compiled templates are kept between builds (keyed by each source's checksum). An
        # environment serves one build, whose templates do not change under it: no stat of every
        # template a page uses on every page.
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(bytecode_dir)) if bytecode_dir else None,
        auto_reload=False,
    )
    env.filters.update(minute=_minute, written=_written, day=_day, filesize=filesize)
    return env


def _minute(value) -> str:
    return format_minute(value) if value else ""


def _written(value) -> str:
    """Day and time, or the day alone when no time was written (dates.DateOnly)."""
    return format_written(value) if value else ""


def _day(value) -> str:
    return format_day(value) if value else ""


def filesize(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def body_html(entry: Entry, pictures: Pictures | None = None) -> Markup:
    """The entry's Markdown HTML with its local links and images pointed at their final URLs;
    with `pictures`, its images become <picture> markup."""
    html = pictures.body(entry, entry.html) if pictures is not None else entry.html
    return Markup(resolve_placeholders(html, entry.ref_urls))


class Renderer:
    def __init__(self, site: Site, dirs: list[Path], gallery: Gallery | None = None, qr: QrCodes | None = None,
                 posters: Posters | None = None):
        self.site = site
        self.pictures = Pictures(gallery)
        self.qr = qr or QrCodes(None)
        self.posters = posters  # brand posters (poster.py): the brand page links to its own
        bytecode_dir = cachepaths.templates(site.config.root)
        bytecode_dir.mkdir(parents=True, exist_ok=True)
        self.env = make_environment(dirs, bytecode_dir)
        config = site.config
        self.linker = site.linker
        self.env.globals.update(
            site=config,
            footer=config.footer,
            url=self.linker.path,
            absolute_url=self.linker.absolute,
            nav=self._nav(),
            fixed=urls.FIXED,
            body_html=lambda entry: body_html(entry, self.pictures),
            picture=self.pictures.picture,
            qr_code=self.qr.svg,  # qr_code(url, label): inline SVG, drawn once per URL and cached
            data_uri=deck.data_uri,  # a picture inside the page (the 展评 deck carries its own)
            qr_drawing=self.qr.plain,  # the 展评 deck's code of its brand page, placed by the deck itself
            favicon=favicon.link(config, gallery),
            story_card=self.story_card,
            site_nav=self.site_nav,
        )
        # (id(story), show_summary, first image taken before) → (story, its card, taken after)
        self._cards: dict[tuple[int, bool, bool], tuple[Story, Markup, bool]] = {}
        self._navs: dict[tuple[int, tuple[bool, ...]], tuple[Callable, Markup]] = {}  # (macro, current items) → menu

    def global_state(self) -> str:
        """What every page may show besides its own data: the menu, and the site's own pictures
        (logo, icon, banner, default share image), which templates reach through globals. Part of
        every page's fingerprint, so that a new logo file re-renders the pages that show it."""
        config, pictures = self.site.config, self.pictures
        infos = [pictures.info(rel) for rel in (config.logo, config.banner) if rel]
        share = pictures.share()
        shown = [(i.rel, i.width, i.height, [(v.url, v.width, v.height) for v in i.variants()]) for i in infos if i]
        return repr((self.env.globals["nav"], self.env.globals["favicon"], shown, share and share.url))

    def _nav(self) -> list[dict]:
        config = self.site.config
        if config.menu:
            return [{"title": item.title, "url": item.url if urls.is_external(item.url) else item.url.lstrip("/")}
                    for item in config.menu]
        items = [{"title": "首页", "url": ""}]
        # Brands, the heart of the site, come first: one item whatever their number, so that the
        # menu stays short on a phone. "section" marks the item current on every brand page.
        brands, roots = self.site.brands, self.site.root_brands
        if len(brands) == 1:
            items.append({"title": roots[0].name, "url": roots[0].url, "section": "brands/"})
        elif len(roots) == 1:  # one brand and its sub-brands: its page shows the whole matrix
            items.append({"title": "品牌矩阵", "url": roots[0].url, "section": "brands/"})
        elif roots:
            items.append({"title": "品牌矩阵", "url": "#h-brands", "section": "brands/"})  # the home page's
        items += [{"title": c.title, "url": c.url} for c in self.site.columns.values()]
        items += [{"title": p.title, "url": p.url} for p in self.site.pages if p.menu]
        return items

    def story_card(self, story: Story, show_summary: bool = True) -> Markup:
        """A story's list card (the `card` macro of partials/story_list.html), drawn once per build:
        it shows only the story and site-wide things, so every list showing it gets the same
        markup. Its cover is eager only as the page's first image, so that state is part of the key."""
        key = (id(story), bool(show_summary), self.pictures.first_taken)
        found = self._cards.get(key)
        if found is None:
            card = self.env.get_template("partials/story_list.html").module.card
            markup = card(story, show_summary)
            found = self._cards[key] = (story, markup, self.pictures.first_taken)  # holding the story keeps its id its own
        self.pictures.first_taken = found[2]
        return found[1]

    def site_nav(self, page_url: str, items: Callable[[tuple[bool, ...]], Markup]) -> Markup:
        """The menu's items for a page at `page_url`, drawn by the macro `items` (nav_items of
        partials/nav.html) once for each set of current items: an item is current on its own page
        and below it, or anywhere in its section."""
        current = tuple(item["url"] == page_url or bool(item["url"] and page_url.startswith(item["url"]))
                        or bool(item.get("section") and page_url.startswith(item["section"]))
                        for item in self.env.globals["nav"])
        key = (id(items), current)
        found = self._navs.get(key)
        if found is None:
            found = self._navs[key] = (items, items(current))  # holding the macro keeps its id its own
        return found[1]

    # -- page list --------------------------------------------------------------------------

    def jobs(self) -> list[PageJob]:
        site = self.site
        jobs = [PageJob("", "index.html", self._home)]
        jobs += [self.story_job(story) for story in site.stories]
        for brand in site.brands.values():
            jobs += self._paged(brand.url, "brand.html", site.brand_stories[brand.id],
                                lambda page, b=brand: self._brand(b, page), brand)
            jobs.append(PageJob(urls.deck(brand.id), "deck.html", lambda b=brand: self._deck(b), brand, listed=False))
        for column in site.columns.values():
            jobs += self._paged(column.url, "column.html", site.column_stories[column.id],
                                lambda page, c=column: self._column(c, page), column)
        for tag in site.tags.values():
            jobs += self._paged(tag.url, "tag.html", tag.stories, lambda page, t=tag: self._tag(t, page))
        for page in site.pages:
            jobs.append(PageJob(page.url, "page.html", lambda p=page: self._page(p), page))
        for year in site.years:
            jobs.append(PageJob(year.url, "year.html", lambda y=year: self._year(y)))
        jobs += [
            PageJob(urls.FIXED["tags"], "tags.html", self._tags),
            PageJob(urls.FIXED["archive"], "archive.html", self._archive),
            PageJob(urls.FIXED["search"], "search.html", self._search),
            PageJob(urls.FIXED["sitemap"], "sitemap.html", self._sitemap),
            PageJob(urls.FIXED["not_found"], "404.html", self._not_found),
        ]
        return jobs

    def story_job(self, story: Story) -> PageJob:
        return PageJob(story.url, "story.html", lambda: self._story(story), story)

    def _paged(self, base: str, template: str, stories: list[Story], make: Callable[[dict], dict],
               entry: Entry | None = None) -> list[PageJob]:
        per_page = self.site.config.per_page
        count = max(1, math.ceil(len(stories) / per_page))
        jobs = []
        for number in range(1, count + 1):
            page = {
                "number": number,
                "count": count,
                "total": len(stories),
                "stories": stories[(number - 1) * per_page : number * per_page],
                "url": _page_url(base, number),
                "prev_url": _page_url(base, number - 1) if number > 1 else None,
                "next_url": _page_url(base, number + 1) if number < count else None,
                "numbers": [(n, _page_url(base, n)) for n in range(1, count + 1)] if count <= 12 else
                           [(n, _page_url(base, n)) for n in _window(number, count)],
            }
            jobs.append(PageJob(page["url"], template, lambda p=page: make(p), entry))
        return jobs

    # -- contexts ---------------------------------------------------------------------------

    def _meta(self, url: str, title: str, description: str, share: Variant | None = None, **extra: Any) -> dict:
        config = self.site.config
        full_title = title if title == config.title else f"{title} - {config.title}"
        share = share or self.pictures.share()
        return {
            "title": full_title,
            "heading": title,
            "description": description or config.description,
            "canonical": self.linker.absolute(url),
            # the share image: og:image (absolute) and the first <img> WeChat looks for (share)
            "image": self.linker.absolute_from_path(share.url) if share else "",
            "share": share,
            "url": url,
            **extra,
        }

    def _home(self) -> dict:
        site = self.site
        pinned = site.pinned[:5]
        latest = [s for s in site.stories if not s.pinned][: site.config.home_latest]
        # Each story once on the home page: a column's box lists its newest stories not shown above.
        shown = {s.slug for s in pinned + latest}
        column_list = []
        for column in site.columns.values():
            stories = site.column_stories[column.id]
            recent = [s for s in stories if s.slug not in shown][:3]
            shown.update(s.slug for s in recent)
            column_list.append((column, recent, len(stories)))
        return {
            "meta": self._meta("", site.config.title, site.config.description),
            "root_brands": site.root_brands,
            "brand_children": site.brand_children,
            "brand_counts": {k: len(v) for k, v in site.brand_stories.items()},
            "column_list": column_list,
            "pinned": pinned,
            "latest": latest,
        }

    def _story(self, story: Story) -> dict:
        site = self.site
        older, newer = site.prev_next.get(story.slug, (None, None))
        share = self.pictures.share(story, story.cover if story.cover is not None else story.first_image)
        meta = self._meta(story.url, story.title, story.summary, share=share,
                          article={"title": story.title, "pub_date": format_minute(story.date),
                                   "source": story.source or site.config.footer.host or site.config.title},
                          keywords=story.tags)
        cover = self.pictures.fitting(story, story.cover if story.cover is not None else story.first_image, 1080)
        return {
            "meta": meta,
            "story": story,
            "poster_cover": cover.url if cover else "",  # for 生成海报, drawn 1080 pixels wide
            "brand": site.brands.get(story.brand) if story.brand else None,
            "story_columns": [site.columns[c] for c in story.columns],
            "story_tags": [_tag_data(tag) for tag in site.story_tags.get(story.slug, [])],
            "older": older,
            "newer": newer,
            "related": site.related.get(story.slug, []),
            "breadcrumb_column": site.columns[story.columns[0]] if story.columns else None,
        }

    def _brand(self, brand, page: dict) -> dict:
        site = self.site
        parent = site.brands.get(brand.parent) if brand.parent else None
        show = brand.showcase
        return {
            "meta": self._meta(page["url"], _paged_title(brand.name, page), brand.slogan or brand.summary),
            "brand": brand,
            "parent": parent,
            "children": self._children(brand),
            "page": page,
            "showcase": show,
            # the brand colour as it is for decoration, and darkened where needed for text (≥ 4.5:1)
            "brand_colors": {"decor": brand.color, "text": colors.text_color(brand.color)} if brand.color else None,
            "timeline": [(m, m.link or brand.ref_url(m.story)) for m in show.milestones],
            "deck_url": urls.deck(brand.id),
            "poster_url": self.posters.url(brand.id) if self.posters else "",
        }

    def _children(self, brand) -> list[tuple]:
        """The brand's sub-brands, each with its number of stories (its own sub-brands' included)."""
        site = self.site
        return [(child, len(site.brand_stories[child.id])) for child in site.brand_children[brand.id]]

    def _deck(self, brand) -> dict:
        """The brand's 展评 deck (deck.py): everything it shows is inside the one file."""
        address = self.linker.absolute(brand.url)
        color = brand.color or ""
        return {
            "meta": self._meta(urls.deck(brand.id), f"{brand.name}（展示模式）", brand.slogan or brand.summary),
            "brand": brand,
            "brand_colors": {"decor": color, "text": colors.text_color(color)} if color else None,
            "slides": deck.slides(brand, self.site.brand_stories[brand.id], self.pictures, self._children(brand)),
            "address": address,
            "save_name": re.sub(r'[\\/:*?"<>|\s]+', "-", brand.name) + "-展评.html",  # a name Windows accepts
        }

    def _column(self, column, page: dict) -> dict:
        return {
            "meta": self._meta(page["url"], _paged_title(column.title, page), column.description,
                               share=self.pictures.share(column, column.cover),
                               column={"name": column.title, "description": column.description,
                                       "keywords": "，".join(column.keywords or [column.title]),
                                       "type": column.type}),
            "column": column,
            "page": page,
            "feed_url": urls.column_feed(column.id),
        }

    def _tag(self, tag, page: dict) -> dict:
        return {"meta": self._meta(page["url"], _paged_title(f"标签：{tag.name}", page), ""), "tag": _tag_data(tag),
                "page": page}

    def _page(self, page) -> dict:
        return {"meta": self._meta(page.url, page.title, page.description), "entry": page}

    def _year(self, year) -> dict:
        return {"meta": self._meta(year.url, f"{year.year} 年文章归档", ""), "year": _year_data(year),
                "stories": year.stories, "years": [_year_data(y) for y in self.site.years]}

    def _tags(self) -> dict:
        return {"meta": self._meta(urls.FIXED["tags"], "全部标签", ""),
                "tags": [_tag_data(tag) for tag in self.site.tags.values()]}

    def _archive(self) -> dict:
        years = self.site.years
        return {"meta": self._meta(urls.FIXED["archive"], "文章归档", ""), "years": [_year_data(y) for y in years],
                "newest": {"year": years[0].year, "stories": years[0].stories} if years else None,
                "total": len(self.site.stories)}

    def _search(self) -> dict:
        return {"meta": self._meta(urls.FIXED["search"], "站内搜索", "")}

    def _sitemap(self) -> dict:
        site = self.site
        return {"meta": self._meta(urls.FIXED["sitemap"], "网站地图", ""), "root_brands": site.root_brands,
                "brand_children": site.brand_children, "column_list": list(site.columns.values()),
                "pages": site.pages, "years": [_year_data(y) for y in site.years],
                "tags": [_tag_data(tag) for tag in list(site.tags.values())[:60]]}

    def _not_found(self) -> dict:
        return {"meta": self._meta(urls.FIXED["not_found"], "页面未找到", ""),
                "latest": self.site.stories[:5]}

    # -- rendering --------------------------------------------------------------------------

    def check_templates(self, problems: Problems) -> None:
        """Compile every template up front, so a syntax error stops the build before any write."""
        for name in self.env.list_templates(extensions=["html", "xml"]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.error(exc.filename or name, exc.lineno or 0, f"模板语法错误：{exc.message}")

    def render(self, job: PageJob) -> str:
        self.pictures.start_page()
        try:
            return self.env.get_template(job.template).render(job.data())
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(exc.filename or job.template, exc.lineno or 0, f"模板语法错误：{exc.message}") from None
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(job.template, 0, f"找不到模板 \"{exc.name}\"：请检查主题文件夹") from None
        except Exception as exc:  # an error inside a theme's template: point at its line
            path, line = job.template, 0
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename.endswith((".html", ".xml")):
                    path, line = frame.filename, frame.lineno or 0
            raise TemplateProblem(path, line, f"渲染 /{job.url} 时模板出错：{type(exc).__name__}: {exc}") from None


def _tag_data(tag) -> dict:
    """What a template may know of a tag: not its story list, which is whole-site data."""
    return {"name": tag.name, "url": tag.url, "count": len(tag.stories)}


def _year_data(year) -> dict:
    return {"year": year.year, "url": year.url, "count": len(year.stories)}


def _page_url(base: str, number: int) -> str:
    return base if number <= 1 else f"{base}page/{number}/"


def _paged_title(title: str, page: dict) -> str:
    return title if page["number"] == 1 else f"{title}（第 {page['number']} 页）"


def _window(number: int, count: int) -> list[int]:
    """Page numbers shown around the current one: first, last and two either side."""
    shown = {1, count, *range(max(1, number - 2), min(count, number + 2) + 1)}
    return sorted(shown)
