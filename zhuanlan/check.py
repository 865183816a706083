"""`python build.py check`: content quality before publishing.

Everything the build validates, then what the national spot checks of government and party
websites look at: blank and long-unupdated columns, duplicate titles, dates in the future,
images without alt text, links that lead nowhere (outside ones too with --external), and the
text rules of `textrules` (personal data, mojibake, pinyin, mixed scripts, punctuation, the
site's word list). Nothing is written into output/; like a build, it brings the caches in
.cache/ up to date (parsed files, image derivatives, compiled templates).
"""
from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from . import linkcheck, showcase, textrules
from .config import Config
from .content import Entry, Story
from .dates import format_minute
from .frontmatter import SourceError, decode
from .pipeline import BuildOptions, Builder
from .workers import CHUNK, PARALLEL_MIN_FILES, Inherited, count as worker_count, fork_pool
from .problems import ERROR, NOTICE, WARNING, BuildFailed, Problem, Problems, display_path
from .schedule import local_now
from .site import Site

LEVEL_KEYS = {ERROR: "error", WARNING: "warning", NOTICE: "notice"}
_LEVEL_ORDER = {ERROR: 0, WARNING: 1, NOTICE: 2}

# Rule ids of the site-level checks (the text rules have theirs in textrules; images without alt
# text are the parser's, content.IMAGE_ALT, reported once through the build's validation).
EMPTY_COLUMN = "empty-column"
EMPTY_BRAND = "empty-brand"
BRAND_WUYOU = "brand-wuyou"  # a brand lacks one of the 五有
STALE_COLUMN = "stale-column"
DUPLICATE_TITLE = "duplicate-title"
FUTURE_DATE = "future-date"
EXTERNAL_IMAGE = "external-image"
NO_SUMMARY = "no-summary"
NO_COVER = "no-cover"
EXTERNAL_LINK = "external-link"
UNCONFIRMED_DATE = "unconfirmed-date"

FAR_AHEAD = timedelta(days=366)  # a story scheduled further ahead than this has the wrong year, most likely

# `import` writes this comment after a date it took from a file's time (no date in the article);
# the officer confirms the date by deleting the comment. Until then `check` warns.
DATE_TO_CONFIRM = "日期待核对"
_DATE_TO_CONFIRM = re.compile(r"^[ \t]*(?:date|日期|发布日期|发布时间|时间)[ \t]*:[^\n#]*(#[^\n]*" + DATE_TO_CONFIRM + ")",
                              re.M)

_MD_EXTERNAL = re.compile(r"(!?)\[[^\]\n]*\]\(\s*<?((?:https?:)?//[^)\s>]+)>?")
_HTML_EXTERNAL = re.compile(r"""<(a|img)\b[^<>]*?\b(?:href|src)\s*=\s*["']((?:https?:)?//[^"']+)["']""", re.I)
_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>")
_REF_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*<?(https?://\S+?)>?(?:[ \t]|$)", re.M)


@dataclass
class CheckOptions:
    site_dir: Path
    external: bool = False
    drafts: bool = False
    workers: int = 0
    now: datetime | None = None  # local (Asia/Shanghai) time to judge dates by; tests fix it


@dataclass
class CheckResult:
    problems: Problems
    files: int = 0  # content files and site.yaml looked at
    links: int = 0  # outside links checked
    site: Site | None = None
    external: dict[str, linkcheck.LinkResult] = field(default_factory=dict)


def run_check(options: CheckOptions) -> CheckResult:
    problems = Problems()
    now = options.now or local_now()
    builder = Builder(BuildOptions(site_dir=options.site_dir, drafts=options.drafts, workers=options.workers, now=now))
    try:
        checked = builder.validate(problems)  # everything the build checks, with its caches
    except BuildFailed:
        return CheckResult(problems)  # no site.yaml, or one that cannot be read
    finally:
        builder.close()
    config, site = checked.scanned.config, checked.site
    result = CheckResult(problems, files=1, site=site)
    held = [] if options.drafts else site.scheduled  # 定时发布: published later, unattended; checked now
    entries = list(site.entries()) + held
    result.files += len(entries)
    words = config.check.words
    for found in _scan_all([entry.path for entry in entries], words, worker_count(options.workers)):
        problems.extend(found)
    yaml_source = _read(str(config.path))
    if yaml_source is not None:
        own_list = _block_lines(yaml_source, ("check", "检查"))  # the word list names the words it forbids
        for finding in textrules.scan(yaml_source, words, yaml=True):
            if finding.line not in own_list:
                problems.items.append(textrules.as_problem(str(config.path), finding))
    _columns(site, config, now, problems)
    _brands(site, problems)
    _stories(site.stories + held, now, problems)
    if options.external:
        links = external_links(entries, {entry.path: _read(entry.path) for entry in entries})
        result.links = len(links)
        result.external = linkcheck.check_urls(list(links), config.check.link_timeout, config.check.link_workers)
        for url, link in result.external.items():
            if link.ok:
                continue
            for path, line, col in links[url]:
                problems.add(link.level, path, line, f"外部链接 {url} 打不开：{link.reason}", col, EXTERNAL_LINK)
    # The build's own text rules came with validation and ran again here with all the others.
    problems.items = list(dict.fromkeys(problems.items))
    return result


def file_problems(path: str, words: textrules.WordList) -> list[Problem]:
    """Every text rule and the rule on images from other hosts for one content file (a function of its
    bytes and the word list)."""
    source = _read(path)
    if source is None:
        return []
    found = [textrules.as_problem(path, finding) for finding in textrules.scan(source, words)]
    return found + external_image_problems(path, source) + unconfirmed_date_problems(path, source)


_SCAN_WORDS = Inherited(textrules.NO_WORDS)  # the site's word list, for the scan workers


def _scan_one(path: str) -> list[Problem]:
    return file_problems(path, _SCAN_WORDS.value)


def _scan_all(paths: list[str], words: textrules.WordList, workers: int) -> list[list[Problem]]:
    """file_problems for every path, on all cores when there are enough files to pay for the workers."""
    with _SCAN_WORDS.holding(words):
        if workers > 1 and len(paths) >= PARALLEL_MIN_FILES:
            with fork_pool(workers) as pool:
                return pool.map(_scan_one, paths, chunksize=CHUNK)
        return [_scan_one(path) for path in paths]


def _block_lines(yaml_text: str, keys: tuple[str, ...]) -> set[int]:
    """1-based lines of the top-level YAML blocks named `keys` (the key line and its indented lines)."""
    lines, inside = set(), False
    for number, line in enumerate(yaml_text.split("\n"), 1):
        if line and not line[0].isspace() and not line.startswith("#"):
            inside = line.split(":", 1)[0].strip().strip("\"'") in keys
        if inside:
            lines.add(number)
    return lines


def _read(path: str) -> str | None:
    try:
        return decode(Path(path).read_bytes())
    except (OSError, SourceError):
        return None  # already reported by the parser


# ---------------------------------------------------------------- site-level rules

def _columns(site: Site, config: Config, now: datetime, problems: Problems) -> None:
    stale_days = config.check.stale_days
    for column in site.columns.values():
        stories = site.column_stories.get(column.id, [])
        if not stories:
            problems.add(ERROR, column.path, 1, f"专栏“{column.title}”还没有文章：空白栏目在政府网站抽查中会被判为"
                                                f"不合格，请先发布文章，或暂时删除（移出）这个专栏文件", rule=EMPTY_COLUMN)
            continue
        latest = max(story.date for story in stories)
        days = (now - latest).days
        if stale_days and days > stale_days:
            problems.add(WARNING, column.path, 1,
                         f"专栏“{column.title}”已 {days} 天没有更新（最近一篇是 {latest:%Y-%m-%d}），超过了 "
                         f"check.stale_days 设定的 {stale_days} 天：长期不更新的栏目在抽查中会被判为不合格",
                         rule=STALE_COLUMN)


_WUYOU_HINTS = {"标识": "标志: 图片路径", "内涵": "内涵:", "载体": "工作法: 或 阵地:", "影响": "成效: 或 荣誉:"}


def _brands(site: Site, problems: Problems) -> None:
    for brand in site.brands.values():
        stories = len(site.brand_stories.get(brand.id, []))
        if not stories:
            problems.add(WARNING, brand.path, 1, f"品牌“{brand.name}”及其子品牌还没有文章：品牌页面只有介绍，"
                                                 f"请发布文章时写 brand: {brand.id}", rule=EMPTY_BRAND)
        missing = showcase.missing_elements(brand.logo is not None, brand.showcase, stories)
        if missing:
            keys = "、".join(_WUYOU_HINTS[name] for name in missing)
            problems.add(NOTICE, brand.path, brand.fm_line,
                         f"品牌“{brand.name}”按“五有”（有名称、有标识、有内涵、有载体、有影响）还缺：{'、'.join(missing)}。"
                         f"可在 front matter 中加 {keys}（写法见 docs/写作指南.md 的“品牌展示（五有）”）",
                         rule=BRAND_WUYOU)


def _stories(stories: list[Story], now: datetime, problems: Problems) -> None:
    by_title: dict[str, list[Story]] = defaultdict(list)
    for story in sorted(stories, key=lambda s: s.rel):
        by_title[re.sub(r"\s+", "", story.title)].append(story)
    for same in by_title.values():
        for story in same[1:]:
            problems.add(WARNING, story.path, story.line_of("title"),
                         f"标题“{story.title}”与 content/{same[0].rel} 相同：重复发布的文章会被抽查视为重复内容，"
                         f"请删除其中一篇或改标题", rule=DUPLICATE_TITLE)
    for story in stories:
        if story.date > now + FAR_AHEAD:
            problems.add(WARNING, story.path, story.line_of("date"),
                         f"日期 {format_minute(story.date)} 在一年以后：这篇文章要到那时才会发布（定时发布），"
                         f"请确认没有写错年份", rule=FUTURE_DATE)
        elif story.date > now:
            problems.add(NOTICE, story.path, story.line_of("date"),
                         f"定时发布：{format_minute(story.date)} 起才会出现在网站上，到时要重新生成并发布"
                         f"（定时运行的方法见 docs/发布.md）", rule=FUTURE_DATE)
        if "summary" not in story.lines:
            problems.add(NOTICE, story.path, story.fm_line,
                         f"没有摘要：列表和分享卡片将用正文开头“{_short(story.summary)}”，"
                         f"如需另写请加 summary:", rule=NO_SUMMARY)
        if story.cover is None and story.first_image is None:
            problems.add(NOTICE, story.path, story.fm_line,
                         "没有封面图，正文中也没有图片：列表中这篇文章没有配图，可加 cover: 图片路径", rule=NO_COVER)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


def external_image_problems(path: str, source: str) -> list[Problem]:
    """Images from other hosts (images without alt text are the parser's: content.IMAGE_ALT)."""
    problems = Problems()
    at = textrules.Positions(source)
    for match in list(_MD_EXTERNAL.finditer(source)) + list(_HTML_EXTERNAL.finditer(source)):
        if match.group(1).lower() not in ("!", "img"):
            continue
        line, col = at(match.start())
        problems.add(WARNING, path, line,
                     f"图片 {match.group(2)} 来自其他网站：网页不应从外站加载内容（常被拦截、会失效），"
                     f"请把图片下载后放进 content/images/ 再引用", col, EXTERNAL_IMAGE)
    return problems.items


def unconfirmed_date_problems(path: str, source: str) -> list[Problem]:
    """A date `import` guessed from a file's time, until the officer deletes the comment it wrote."""
    if not source.startswith("---"):
        return []
    end = source.find("\n---", 3)
    front = source[:end if end > 0 else len(source)]
    problems = Problems()
    at = textrules.Positions(front)
    for match in _DATE_TO_CONFIRM.finditer(front):
        line, col = at(match.start(1))
        problems.add(WARNING, path, line, "日期还没有核对：原文中没有写日期，导入时用了文件的时间。请核对（或改正）这个日期，"
                                          f"然后删掉这一行 # 后面的“{DATE_TO_CONFIRM}”注释", col, UNCONFIRMED_DATE)
    return problems.items


def external_links(entries: list[Entry], sources: dict[str, str | None]) -> dict[str, list[tuple[str, int, int]]]:
    """Outside http(s) URLs the pages link to or show → where each is written (path, line, col)."""
    found: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for entry in entries:
        source = sources.get(entry.path)
        if not source:
            continue
        at = textrules.Positions(source)
        spans = [(m.start(2), m.group(2)) for m in _MD_EXTERNAL.finditer(source)]
        spans += [(m.start(2), m.group(2)) for m in _HTML_EXTERNAL.finditer(source)]
        spans += [(m.start(1), m.group(1)) for m in _AUTOLINK.finditer(source)]
        spans += [(m.start(1), m.group(1)) for m in _REF_DEFINITION.finditer(source)]
        for offset, url in sorted(spans):
            url = "https:" + url if url.startswith("//") else url
            line, col = at(offset)
            found[url].append((entry.path, line, col))
    return dict(found)


# ---------------------------------------------------------------- output

def _grouped(problems: Problems) -> list[tuple[str, list[Problem]]]:
    groups: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems.items:
        groups[problem.path].append(problem)
    ordered = []
    for path in sorted(groups, key=lambda p: (p != "", display_path(p) if p else "")):
        items = sorted(groups[path], key=lambda p: (p.line, p.col, _LEVEL_ORDER.get(p.level, 9), p.message))
        ordered.append((path, items))
    return ordered


def _counts(items: list[Problem]) -> dict[str, int]:
    return {LEVEL_KEYS[level]: sum(1 for p in items if p.level == level) for level in LEVEL_KEYS}


def _count_text(counts: dict[str, int], skip_zero: bool = False) -> str:
    parts = [(counts["error"], "错误"), (counts["warning"], "警告"), (counts["notice"], "提示")]
    return "、".join(f"{n} 个{label}" for n, label in parts if n or not skip_zero)


# Notices need no action (a summary is made from the text, a list shows no picture): they are not
# "problems" of a file, and the text output sums them up in one line unless --all asks for them.
_NOTICE_NAMES = {NO_SUMMARY: "自动摘要", NO_COVER: "没有配图", FUTURE_DATE: "定时发布"}


def _needs_person(problem: Problem) -> bool:
    return problem.level != NOTICE


def format_text(result: CheckResult, show_all: bool = False) -> str:
    out = []
    shown = [p for p in result.problems.items if show_all or _needs_person(p)]
    for path, items in _grouped(Problems(shown)):
        counts = _counts(items)
        label = display_path(path) if path else "（全站）"
        out.append(f"{label}（{_count_text(counts, skip_zero=True)}）")
        out.extend(problem.format() for problem in items)
        out.append("")
    totals = _counts(result.problems.items)
    with_problems = len({p.path for p in result.problems.items if _needs_person(p)})
    links = f"、{result.links} 个外部链接" if result.links else ""
    if not result.files:
        out.append("无法检查：请先按上面的提示改正。")
        return "\n".join(out)
    if totals["error"] or totals["warning"]:
        summary = (f"检查完成：共 {result.files} 个文件{links}，{with_problems} 个文件有问题；"
                   f"{totals['error']} 个错误、{totals['warning']} 个警告。")
        if totals["error"]:
            summary += "有错误，请按提示修改后再发布。"
    else:
        summary = f"检查完成：共 {result.files} 个文件{links}，没有需要处理的问题。"
    notices = [p for p in result.problems.items if not _needs_person(p)]
    if notices:
        kinds: dict[str, int] = defaultdict(int)
        for notice in notices:
            kinds[_NOTICE_NAMES.get(notice.rule or "", "其他建议")] += 1
        ordered = sorted(kinds.items(), key=lambda kind: kind[0] == "其他建议")
        detail = "、".join(f"{name} {n} 条" for name, n in ordered)
        summary += (f"另有 {len(notices)} 条提示不需要处理（{detail}）" +
                    ("，见上。" if show_all else "，加 --all 查看。"))
    out.append(summary)
    return "\n".join(out)


def format_json(result: CheckResult) -> str:
    files = []
    for path, items in _grouped(result.problems):
        files.append({
            "path": display_path(path) if path else "",
            "counts": _counts(items),
            "problems": [{"line": p.line, "col": p.col, "level": LEVEL_KEYS.get(p.level, "error"), "label": p.level,
                          "rule": p.rule or "build", "message": p.message} for p in items],
        })
    totals = _counts(result.problems.items)
    data = {"ok": totals["error"] == 0, "counts": totals, "files_checked": result.files,
            "files_with_problems": len({p.path for p in result.problems.items if _needs_person(p)}),
            "external_links_checked": result.links, "files": files}
    return json.dumps(data, ensure_ascii=False, indent=2)


def main(options: CheckOptions, output_format: str = "text", stream=None, show_all: bool = False) -> int:
    """`show_all`: list the notices that need no action too (text output; JSON always has them)."""
    stream = stream or sys.stdout
    result = run_check(options)
    print(format_json(result) if output_format == "json" else format_text(result, show_all), file=stream)
    return 1 if result.problems.has_errors() else 0
