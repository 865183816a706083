"""The site graph: brands tree, columns, tags, years, prev/next, related stories, and every
cross-file check (unknown ids, duplicate slugs, links and images that point nowhere)."""
from __future__ import annotations

import hashlib
import posixpath
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from . import cachepaths, schedule, urls
from .config import Config
from .content import Brand, Column, Entry, Page, Story
from .dates import format_minute
from .frontmatter import suggest
from .markdown import Ref
from .problems import Problems
from .stamps import engine_key, text_digest

REF_LABELS = {"image": "图片", "link": "链接", "cover": "封面", "logo": "标志", "attachment": "附件",
              "milestone": "大事记的文章"}
RELATED_WINDOW = 12  # neighbours looked at per shared tag/brand; keeps related O(n), not O(n²)


@dataclass
class Asset:
    """A media file under content/ (image, PDF, …) that some page uses."""

    rel: str
    path: Path
    size: int
    url: str = ""


@dataclass
class Tag:
    name: str
    slug: str
    stories: list[Story] = field(default_factory=list)

    @property
    def url(self) -> str:
        return urls.tag(self.slug)


@dataclass
class Year:
    year: int
    stories: list[Story] = field(default_factory=list)

    @property
    def url(self) -> str:
        return urls.year(self.year)


@dataclass
class Site:
    config: Config
    stories: list[Story]  # published, newest first
    brands: dict[str, Brand]
    columns: dict[str, Column]
    pages: list[Page]
    tags: dict[str, Tag]  # by name, most used first
    years: list[Year]  # newest first
    assets: dict[str, Asset]  # used assets by content-relative path
    pinned: list[Story]
    root_brands: list[Brand]
    # Per-item relations, kept outside the records so that parsed records stay cacheable.
    brand_children: dict[str, list[Brand]] = field(default_factory=dict)
    brand_stories: dict[str, list[Story]] = field(default_factory=dict)  # own + sub-brands'
    column_stories: dict[str, list[Story]] = field(default_factory=dict)  # pinned first, newest
    prev_next: dict[str, tuple[Story | None, Story | None]] = field(default_factory=dict)  # by slug
    related: dict[str, list[Story]] = field(default_factory=dict)  # by slug
    story_tags: dict[str, list[Tag]] = field(default_factory=dict)  # by slug
    # 定时发布 (schedule.py): stories dated after `now`, earliest first; listed in `stories` (and
    # marked) only with drafts shown. `window`: while the clock stays in it, the split holds.
    scheduled: list[Story] = field(default_factory=list)
    window: schedule.Window = schedule.ALWAYS
    now: datetime = field(default_factory=schedule.local_now)
    linker: urls.Linker = field(init=False, repr=False)  # this site's links and absolute URLs, made once

    def __post_init__(self) -> None:
        self.linker = urls.Linker(self.config.base_url, self.config.base_path)

    def entries(self):
        yield from self.stories
        yield from self.brands.values()
        yield from self.columns.values()
        yield from self.pages


def _order_key(item) -> tuple:
    return (item.order, item.rel)


def _listing_key(story: Story) -> tuple:
    return (-story.pinned, -story.date.timestamp(), story.rel)


def _display_name(record) -> str:
    return getattr(record, "name", "") or getattr(record, "title", "")


def _other_names(records: dict) -> dict[str, str]:
    """What else names a brand or column besides its id: its name (a column's title) and its file's
    own name (a file 红色青溪.md has the id hong-se-qing-xi) → the id."""
    found: dict[str, str] = {}
    for record_id, record in records.items():
        for name in (_display_name(record), posixpath.splitext(posixpath.basename(record.rel))[0]):
            if name and name != record_id:
                found.setdefault(name, record_id)
    return found


def _unknown(label: str, value: str, records: dict) -> str:
    """“未知品牌 "x"”, with the closest id or name and every choice as id（name）."""
    names = sorted(records)
    hint = suggest(value, names) or suggest(value, [_display_name(records[n]) for n in names])
    shown = "、".join(f"{n}（{_display_name(records[n])}）" if _display_name(records[n]) else n for n in names[:12])
    shown += "……" if len(names) > 12 else ""
    choices = f"（可选：{shown}）" if names else ""
    return f"未知{label} \"{value}\"{hint}{choices}"


def build_site(config: Config, items: list[Entry], asset_files: dict[str, Path], problems: Problems,
               drafts: bool = False, now: datetime | None = None,
               refused: Callable[[str], str | None] | None = None, related_file: Path | None = None) -> Site:
    """Link parsed records into a site as it is at `now` (default: the clock); every cross-file
    problem is added to `problems`. `refused` says why a content path is not published (a link
    out of the site folder). `related_file`: where the related stories are kept between builds.

    Without drafts, stories dated after `now` are held back (定时发布); they are checked all the
    same, as the site will be when each is published, so that the build at that moment (often run
    unattended) does not fail on them.
    """
    now = now or schedule.local_now()
    stories = [i for i in items if isinstance(i, Story)]
    scheduled, window = schedule.split(stories, now)
    draft_rels = set()
    held: list[Story] = []
    if not drafts:
        draft_rels = {s.rel for s in stories if s.draft}
        held = scheduled
        stories = [s for s in stories if not s.draft and not s.scheduled]
    brands = _index_by_id([i for i in items if isinstance(i, Brand)], "品牌", problems)
    columns = _index_by_id([i for i in items if isinstance(i, Column)], "专栏", problems)
    pages = sorted((i for i in items if isinstance(i, Page)), key=_order_key)

    _link_brands(brands, problems)
    _check_story_slugs(stories + held, problems)
    _check_page_slugs(pages, problems)
    _resolve_story_ids(stories + held, brands, columns, problems)

    for story in stories + held:
        story.url = urls.story(story.slug)
    for brand in brands.values():
        brand.url = urls.brand(brand.id)
    for column in columns.values():
        column.url = urls.column(column.id)
    for page in pages:
        page.url = urls.page(page.slug)

    stories.sort(key=lambda s: (s.date, s.rel), reverse=True)
    tags = _collect_tags(stories)
    site = Site(
        config=config, stories=stories, brands=brands, columns=columns, pages=pages, tags=tags,
        years=_collect_years(stories), assets={}, pinned=sorted((s for s in stories if s.pinned), key=_listing_key),
        root_brands=[b for b in brands.values() if not b.parent], scheduled=scheduled, window=window, now=now,
    )
    for brand in brands.values():
        site.brand_children[brand.id] = [b for b in brands.values() if b.parent == brand.id]
    _group_stories(site, related_file)
    _resolve_refs(site, asset_files, draft_rels, held, problems, refused or (lambda rel: None))
    return site


def relink_story(site: Site, story: Story, old: Story) -> bool:
    """Give a re-parsed story what the site stage gave its last version, for serve's first look at
    a save. False when that is not enough (its slug or what it links to changed, or its brand or
    columns no longer resolve): then only the full build can show it."""
    same_refs = [(r.kind, r.target, r.fragment, r.raw) for r in story.refs] == \
        [(r.kind, r.target, r.fragment, r.raw) for r in old.refs]
    if story.slug != old.slug or not same_refs or len(story.attachments) != len(old.attachments):
        return False
    story.scheduled = not story.draft and story.date > site.now
    if story.scheduled != old.scheduled:
        return False  # it joins or leaves the lists
    problems = Problems()
    _resolve_story_ids([story], site.brands, site.columns, problems)
    if problems.has_errors():
        return False
    story.url = old.url
    story.ref_urls = list(old.ref_urls)
    for new, last in zip(story.attachments, old.attachments):
        new.url, new.size = last.url, last.size
    return True


def _index_by_id(records, label: str, problems: Problems) -> dict:
    result: dict = {}
    for record in sorted(records, key=_order_key):
        if record.id in result:
            other = result[record.id]
            problems.error(record.path, 1, f"{label} id \"{record.id}\" 与 {other.rel} 重复：请给其中一个文件改名")
            continue
        result[record.id] = record
    return result


def _link_brands(brands: dict[str, Brand], problems: Problems) -> None:
    by_name = _other_names(brands)
    for brand in brands.values():
        if not brand.parent:
            continue
        parent = brand.parent if brand.parent in brands else by_name.get(brand.parent)
        if parent is None:
            problems.error(brand.path, brand.line_of("parent"), _unknown("的上级品牌", brand.parent, brands))
            brand.parent = None
        elif parent == brand.id:
            problems.error(brand.path, brand.line_of("parent"), "品牌不能以自己为上级品牌")
            brand.parent = None
        else:
            brand.parent = parent
    for brand in brands.values():
        seen, current = {brand.id}, brand.parent
        while current:
            if current in seen:
                problems.error(brand.path, brand.line_of("parent"),
                               f"上级品牌形成了循环（{' → '.join(sorted(seen))}）：请检查 parent 设置")
                brand.parent = None
                break
            seen.add(current)
            current = brands[current].parent if current in brands else None


def _check_story_slugs(stories: list[Story], problems: Problems) -> None:
    first: dict[str, Story] = {}
    for story in sorted(stories, key=lambda s: s.rel):
        if story.slug in first:
            other = first[story.slug]
            problems.error(story.path, story.line_of("slug"),
                           f"网址 /stories/{story.slug}/ 与 content/{other.rel} 重复：请改文件名，或在 front matter 中写不同的 slug:")
        else:
            first[story.slug] = story


def _check_page_slugs(pages: list[Page], problems: Problems) -> None:
    first: dict[str, Page] = {}
    for page in pages:
        if page.slug in first:
            problems.error(page.path, page.line_of("slug"),
                           f"页面网址 /{page.slug}/ 与 content/{first[page.slug].rel} 重复：请改文件名或 slug:")
        else:
            first[page.slug] = page


def _resolve_story_ids(stories, brands, columns, problems: Problems) -> None:
    brand_names, column_names = _other_names(brands), _other_names(columns)
    for story in stories:
        if story.brand:
            found = story.brand if story.brand in brands else brand_names.get(story.brand)
            if found is None:
                problems.error(story.path, story.line_of("brand"), _unknown("品牌", story.brand, brands))
            story.brand = found
        resolved = []
        for column_id in story.columns:
            found = column_id if column_id in columns else column_names.get(column_id)
            if found is None:
                problems.error(story.path, story.line_of("columns"), _unknown("专栏", column_id, columns))
            elif found not in resolved:
                resolved.append(found)
        story.columns = resolved


def _collect_tags(stories: list[Story]) -> dict[str, Tag]:
    tags: dict[str, Tag] = {}
    base_slugs: dict[str, str] = {}
    for story in stories:
        for name, slug in zip(story.tags, story.tag_slugs):
            tags.setdefault(name, Tag(name, "")).stories.append(story)
            base_slugs[name] = slug
    taken: set[str] = set()
    for name in sorted(tags):  # sorted so that a slug clash resolves the same way every build
        base = base_slugs[name] or "tag-" + hashlib.sha1(name.encode()).hexdigest()[:8]
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        taken.add(slug)
        tags[name].slug = slug
    return dict(sorted(tags.items(), key=lambda kv: (-len(kv[1].stories), kv[1].slug)))


def _collect_years(stories: list[Story]) -> list[Year]:
    years: dict[int, Year] = {}
    for story in stories:
        years.setdefault(story.date.year, Year(story.date.year)).stories.append(story)
    return sorted(years.values(), key=lambda y: -y.year)


def _group_stories(site: Site, related_file: Path | None = None) -> None:
    own: dict[str, list[Story]] = defaultdict(list)
    by_column: dict[str, list[Story]] = defaultdict(list)
    for story in site.stories:
        if story.brand:
            own[story.brand].append(story)
        for column_id in story.columns:
            by_column[column_id].append(story)
        site.story_tags[story.slug] = [site.tags[name] for name in story.tags]

    def with_descendants(brand_id: str) -> list[Story]:
        collected = list(own.get(brand_id, []))
        for child in site.brand_children[brand_id]:
            collected.extend(with_descendants(child.id))
        return collected

    for brand_id in site.brands:
        site.brand_stories[brand_id] = sorted(with_descendants(brand_id), key=_listing_key)
    for column_id in site.columns:
        site.column_stories[column_id] = sorted(by_column.get(column_id, []), key=_listing_key)

    # Previous/next follow publication order within the story's first column.
    sequences: dict[str | None, list[Story]] = defaultdict(list)
    for story in reversed(site.stories):  # oldest first
        sequences[story.columns[0] if story.columns else None].append(story)
    for sequence in sequences.values():
        for index, story in enumerate(sequence):
            older = sequence[index - 1] if index > 0 else None
            newer = sequence[index + 1] if index + 1 < len(sequence) else None
            site.prev_next[story.slug] = (older, newer)
    _relate(site, related_file)


def _relate(site: Site, kept: Path | None = None) -> None:
    """Related stories: most shared tags (a shared brand counts as one), ties newest first.

    Candidates are only the stories near each one in every shared tag's and brand's date-sorted
    list, so the cost stays linear in the number of stories even for a tag on thousands.
    Stories are handled by their position in the newest-first list, which is also the tie-break.

    The lists (as positions) are kept in `kept` by a digest of all they are made from: the
    stories in order with their slugs, brands and tags, and the limit. An edit that changes none
    of these (most do not) finds them there: working them out took a tenth of a one-story rebuild.
    """
    stories = site.stories
    limit = site.config.related_limit
    key = text_digest(engine_key(), repr([limit, RELATED_WINDOW, *((s.rel, s.slug, s.brand, s.tags) for s in stories)]))
    known = cachepaths.read_json(kept)
    if isinstance(known, dict) and known.get("key") == key and _positions_fit(known.get("related"), len(stories)):
        for story, others in zip(stories, known["related"]):
            site.related[story.slug] = [stories[other] for other in others]
        return
    position = {id(story): index for index, story in enumerate(stories)}
    groups: list[list[int]] = [[position[id(s)] for s in tag.stories] for tag in site.tags.values()]
    by_brand: dict[str, list[int]] = defaultdict(list)
    for index, story in enumerate(stories):
        if story.brand:
            by_brand[story.brand].append(index)
    groups.extend(by_brand.values())
    neighbours: list[list[int]] = [[] for _ in stories]
    for group in groups:
        for at, index in enumerate(group):
            neighbours[index] += group[max(0, at - RELATED_WINDOW): at + RELATED_WINDOW + 1]
    related = []
    for index, story in enumerate(stories):
        # Counting runs in C; counting a sorted list makes ties come out newest first, because
        # most_common keeps insertion order among equal counts.
        counts = Counter(sorted(neighbours[index]))
        counts.pop(index, None)
        related.append([other for other, _ in counts.most_common(limit)])
        site.related[story.slug] = [stories[other] for other in related[-1]]
    if kept is not None:
        try:
            cachepaths.write_json(kept, {"key": key, "related": related})
        except OSError:  # only a lost speed-up
            pass


def _positions_fit(related, count: int) -> bool:
    """Whether kept related lists are positions in a list of `count` stories, one list a story."""
    return isinstance(related, list) and len(related) == count and all(
        isinstance(others, list) and all(type(other) is int and 0 <= other < count for other in others)
        for others in related)


@dataclass
class _Targets:
    """What a link or image may point to."""

    by_rel: dict[str, str]  # content file → URL, of what this build publishes
    known_urls: set[str]
    asset_files: dict[str, Path]
    drafts: set[str]
    scheduled: dict[str, Story]  # held back until their date
    basenames: dict[str, list[str]]
    linker: urls.Linker
    refused: Callable[[str], str | None]  # why a content path is not published, if it is not


def _resolve_refs(site: Site, asset_files: dict[str, Path], draft_rels: set[str], held: list[Story],
                  problems: Problems, refused: Callable[[str], str | None]) -> None:
    by_rel: dict[str, str] = {entry.rel: entry.url for entry in site.entries()}
    known_urls = set(by_rel.values()) | set(urls.FIXED.values())
    known_urls |= {tag.url for tag in site.tags.values()} | {year.url for year in site.years}
    basenames: dict[str, list[str]] = defaultdict(list)
    for rel in list(asset_files) + list(by_rel) + [story.rel for story in held]:
        basenames[posixpath.basename(rel)].append(rel)
    targets = _Targets(by_rel, known_urls, asset_files, draft_rels, {s.rel: s for s in held}, basenames, site.linker,
                       refused)

    for entry in site.entries():
        _resolve_entry(entry, targets, site.assets, None, problems)
    for story in held:  # checked as at its own time; what it uses is not copied before then
        _resolve_entry(story, targets, {}, story.date, problems)
    config, linker = site.config, site.linker
    for value, line, label, example in ((config.logo, config.line_of("logo"), "网站标志", "logo: images/logo.svg"),
                                        (config.banner, config.line_of("banner"), "首页横幅", "横幅: images/banner.jpg"),
                                        (config.images.share, config.line_of("images.share"), "默认分享图",
                                         "share: images/share.jpg")):
        rel = value.lstrip("/")
        if not rel:
            continue
        if rel in asset_files:
            path = asset_files[rel]
            site.assets[rel] = Asset(rel, path, path.stat().st_size, linker.path(urls.asset(rel)))
        elif refused(rel):
            problems.error(config.path, line, f"{label} \"{value}\" {refused(rel)}")
        else:
            problems.error(config.path, line, f"{label} \"{value}\" 不存在：路径从 content/ 算起，例如 {example}")


def _resolve_entry(entry: Entry, targets: _Targets, assets: dict[str, Asset], published: datetime | None,
                   problems: Problems) -> None:
    """An entry's refs resolved to URLs, the assets it uses added to `assets`. `published`: when a
    scheduled story will be published (None: now)."""
    entry.ref_urls = [_resolve_one(ref, entry, targets, assets, published, problems) for ref in entry.refs]
    if isinstance(entry, Story):
        for attachment in entry.attachments:
            attachment.url = entry.ref_url(attachment.ref)
            asset = assets.get(entry.refs[attachment.ref].target or "")
            attachment.size = asset.size if asset else 0


def _resolve_one(ref: Ref, entry: Entry, targets: _Targets, assets: dict[str, Asset], published: datetime | None,
                 problems: Problems) -> str:
    label = REF_LABELS.get(ref.kind, "链接")
    if ref.target is None:
        problems.error(entry.path, ref.line, f"{label} \"{ref.raw}\" 指向了 content 文件夹之外：请把文件放进 content/ 中")
        return "#"
    if ref.is_url:
        if ref.target not in targets.known_urls:
            problems.error(entry.path, ref.line, f"{label} \"{ref.raw}\" 指向的站内网址不存在：请检查拼写，"
                                                 f"或改为链接到对应的 .md 文件")
            return "#"
        return targets.linker.path(ref.target) + ref.fragment
    if ref.target.endswith(".md") or ref.target not in targets.asset_files:
        return _resolve_page(ref, label, entry, targets, published, problems)
    asset = assets.get(ref.target)
    if asset is None:
        path = targets.asset_files[ref.target]
        asset = Asset(ref.target, path, path.stat().st_size, targets.linker.path(urls.asset(ref.target)))
        assets[ref.target] = asset
    return asset.url + ref.fragment


def _resolve_page(ref: Ref, label: str, entry: Entry, targets: _Targets, published: datetime | None,
                  problems: Problems) -> str:
    """A link to another content file: its URL, or "#" and why it cannot be linked to."""
    if ref.target in targets.by_rel:
        return targets.linker.path(targets.by_rel[ref.target]) + ref.fragment
    later = targets.scheduled.get(ref.target)
    if later is not None and published is not None and later.date <= published:
        return targets.linker.path(later.url) + ref.fragment  # published by then
    if later is not None:
        when = f"比这篇（{format_minute(published)}）晚" if published else "在那之前链接打不开"
        message = (f"指向一篇定时发布的文章，{format_minute(later.date)} 才发布，{when}：请等那篇文章发布后再加链接，"
                   f"或去掉链接")
    elif ref.target in targets.drafts:
        message = "指向一篇草稿，草稿不会发布：请先发布那篇文章或去掉链接"
    elif not ref.target.endswith(".md") and targets.refused(ref.target):
        message = targets.refused(ref.target)
    else:
        message = "指向的文件不存在" + _nearby(ref.target, entry.rel, targets.basenames)
    problems.error(entry.path, ref.line, f"{label} \"{ref.raw}\" {message}")
    return "#"


def _nearby(target: str, doc_rel: str, basenames: dict[str, list[str]]) -> str:
    """A hint naming a file of the same name elsewhere in content/, as the path to write."""
    same = basenames.get(posixpath.basename(target))
    if same:
        relative = posixpath.relpath(same[0], posixpath.dirname(doc_rel) or ".")
        return f"：content/{same[0]} 有同名文件，是不是应写成 \"{relative}\"？（路径相对于当前文件，或以 / 开头表示从 content/ 算起）"
    return "：请检查文件名和路径（路径相对于当前文件，或以 / 开头表示从 content/ 算起）"
