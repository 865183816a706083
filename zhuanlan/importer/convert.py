"""Blocks from a reader → an article: text repaired, page chrome dropped, what the page says about the
article (政务公开 block, labelled lines, byline) moved into front matter, title and date found, typed
numbering made lists, short lines made headings.

What each part recognises lives in its own module: `chrome` (page furniture), `labels` (`标签：值`),
`govinfo` (the 政务公开 block), `byline` (dates, 署名 and 落款 lines, author lines). Whatever a person
must still check (a date guessed from a file's time, no title) is listed in `Article.review`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..content import GOV_KEYS
from ..dates import SHANGHAI, parse_datetime
from ..hanzi import t2s
from ..textrules.mojibake import repair_mojibake
from ..textrules.pinyin import remove_pinyin
from ..textrules.punctuation import fix_punctuation
from . import govinfo
from .byline import find_date, is_date_line, is_unit, role_line, signature
from .chrome import is_chrome
from .labels import Meta, labelled_fields, plausible
from .readers import Block, Raw, UnreadableFile, normalize_space


@dataclass
class Article:
    source_file: Path
    title: str = ""
    date: datetime | None = None
    date_note: str = ""  # where a date the article does not state came from
    date_guessed: bool = False  # the date is a file's time: a person must confirm it
    has_time: bool = False
    source: str = ""
    author: str = ""
    editor: str = ""
    gov: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # open points: the story is written as a draft


def clean_text(text: str, simplified: bool) -> str:
    """Mojibake repaired where it can be, pinyin annotations gone, optionally traditional → simplified."""
    text = repair_mojibake(text)  # import's single call of the mojibake repair
    text = remove_pinyin(text)
    if simplified:
        text = t2s(text)
    return text


GOV_LABELS = {key: names[0] for key, names in GOV_KEYS.items()}  # the Chinese key an officer would write


# ---------------------------------------------------------------- the shared conversion

_CLOSING = re.compile(r"[。！？!?；;，,、：:…—]$")
_NUMBERING = [
    re.compile(r"^[一二三四五六七八九十]+、"),
    re.compile(r"^[（(][一二三四五六七八九十]+[）)]"),
    re.compile(r"^\d{1,2}[.．、](?!\d)"),
    re.compile(r"^[（(]\d{1,2}[）)]"),
]
_BULLET = re.compile(r"^(?:[•●◆◇▪▫■□►▶➢※·]\s*|[-*]\s+)(?=\S)")
_TYPED_NUMBER = re.compile(r"^(\d{1,2})[.．](?!\d)\s*(?=\S)")
HEADING_LIMIT = 30
HEADLINE_LIMIT = 64
NEAR_TOP, NEAR_END = 12, 6  # labelled and byline lines are looked for this close to either end


def convert(raw: Raw, simplified: bool) -> Article:
    article = Article(raw.path, notes=list(raw.notes))
    for block in raw.blocks:
        block.text = clean_text(block.text, simplified)
        if block.rows:
            block.rows = [[clean_text(c, simplified) for c in row] for row in block.rows]
    blocks = _bullets([b for b in raw.blocks if b.text or b.kind in ("img", "table")])
    hints = [clean_text(t, simplified) for t in raw.title_hints]

    meta = Meta()
    # What the page says outside the body (HTML) first, then the 政务公开 block and the labelled and
    # byline lines among the first and last blocks.
    govinfo.read_lines([_BULLET.sub("", clean_text(line, simplified)) for line in raw.meta_lines], meta)
    blocks, closing = govinfo.take_block(blocks, meta)
    blocks = _take_labelled_lines(blocks, meta, article)
    meta.add_people()

    blocks = _find_title(article, blocks, hints, meta, closing)
    signed_by = _date_under_title(blocks, meta)
    _choose_date(article, raw, blocks, meta)
    article.source = meta.source or meta.gov.get("publisher", "") or signed_by or _signing_unit(blocks)
    article.author, article.editor, article.gov = meta.author, meta.editor, meta.gov
    if not _has_body(blocks):
        raise UnreadableFile("没有找到正文（只有标题、日期或网页框架）：请确认选对了文件")
    article.blocks = _headings(_typed_lists(_captions(blocks)))
    for block in article.blocks:
        if block.kind != "img":
            block.text = fix_punctuation(block.text)
        if block.rows:
            block.rows = [[fix_punctuation(c) for c in row] for row in block.rows]
    article.title = fix_punctuation(article.title)
    return article


def _bullets(blocks: list[Block]) -> list[Block]:
    """Paragraphs typed as bullets (“• 索引号:…”, “- 党员带头”) are list items."""
    for block in blocks:
        if block.kind == "p" and _BULLET.match(block.text):
            block.kind, block.text = "li", _BULLET.sub("", block.text)
    return blocks


def _take_labelled_lines(blocks: list[Block], meta: Meta, article: Article) -> list[Block]:
    """Labelled lines (时间、来源、作者 …) and author lines near either end into `meta`; chrome dropped."""
    keep: list[Block] = []
    index = dropped = 0
    while index < len(blocks):
        block = blocks[index]
        near = index < NEAR_TOP or index >= len(blocks) - NEAR_END
        if near and block.kind in ("p", "li", "h", "quote"):
            roles = role_line(block.text)
            if roles:  # (作者:陈小华), 文/李明　图/张三, 记者 赵六 通讯员 钱七
                meta.roles += roles
                index += 1
                continue
            fields, only = labelled_fields(block.text)
            if fields and only and all(plausible(key, value) for key, value in fields if value):
                for key, value in fields:
                    meta.add(key, value)
                # "来源：" alone on its line, its value on the next one
                if len(fields) == 1 and not fields[0][1] and index + 1 < len(blocks) \
                        and blocks[index + 1].kind == "p" and not labelled_fields(blocks[index + 1].text)[0] \
                        and plausible(fields[0][0], blocks[index + 1].text):
                    meta.add(fields[0][0], blocks[index + 1].text)
                    index += 1
                index += 1
                continue
        if block.kind in ("p", "li", "oli", "quote", "h") and is_chrome(block.text):
            dropped += 1
            index += 1
            continue
        keep.append(block)
        index += 1
    if dropped:
        article.notes.append(f"正文区域中去掉了 {dropped} 行网页框架（分享、打印、版权、上一篇下一篇等）")
    return keep


def _find_title(article: Article, blocks: list[Block], hints: list[str], meta: Meta,
                closing: list[Block]) -> list[Block]:
    """The title the page names (og:title, <h1>, <title>, Word's Title style or bold first line), a 标题
    label, the line a 政务公开 list repeats, or a first line that is a headline; never a paragraph."""
    title = next((h for h in hints if h), "") or meta.title
    if not title and closing:
        title = closing[0].text
    if not title and blocks and blocks[0].kind in ("p", "h") and _is_headline(blocks[0].text):
        title = blocks[0].text
    article.title = normalize_space(title)
    if not article.title:
        article.title = article.source_file.stem
        article.review.append(f"标题：原文中没有标题，暂用文件名“{article.title}”，请改写 title:")
        return blocks
    repeated = {id(b) for b in closing if _same_text(b.text, article.title)}
    for block in blocks[:4]:
        if block.kind in ("p", "h", "li") and _same_text(block.text, article.title):
            repeated.add(id(block))
            break
    return [b for b in blocks if id(b) not in repeated]


def _is_headline(text: str) -> bool:
    """A first line that reads as a headline: short, not a sentence, not a date, label or byline."""
    return (0 < len(text) <= HEADLINE_LIMIT and not re.search(r"[。；;]|[！？!?].|[，,、：:…]$", text)
            and not _numbering_level(text) and not is_date_line(text) and signature(text) is None
            and not labelled_fields(text)[0] and role_line(text) is None)


def _date_under_title(blocks: list[Block], meta: Meta) -> str:
    """A date line, or a 署名 line of unit and date, right under the title: the publication date.
    Returns the unit it names (“溪畔村党总支”), or ""; a person's name is taken as the author."""
    for position, block in enumerate(blocks[:4]):
        if block.kind != "p":
            continue
        if len(block.text) > 40 or re.search(r"[。！？]$", block.text):
            return ""  # the text has begun: a date after it is a 落款, not a byline
        if is_date_line(block.text):
            found = find_date(block.text)
            if found:
                meta.dates.insert(0, found)
                del blocks[position]
            return ""
        signed = signature(block.text)
        if signed:
            who, date, timed = signed
            meta.dates.insert(0, (date, timed))
            del blocks[position]
            if is_unit(who):
                return who
            meta.add("author", who)
            return ""
    return ""


def _choose_date(article: Article, raw: Raw, blocks: list[Block], meta: Meta) -> None:
    """The date the article states; else its 成文日期, its 落款, what the page records; else a file's time
    (a guess a person must confirm)."""
    if meta.dates:
        article.date, article.has_time = meta.dates[0]
        if not article.has_time:  # "发布日期：2023-01-06" in one place, "2023-01-06 10:20" in another
            timed = next((d for d, t in meta.dates if t and d.date() == article.date.date()), None)
            if timed:
                article.date, article.has_time = timed, True
        return
    if "written" in meta.gov:
        article.date, article.has_time = parse_datetime(meta.gov["written"]), False
        return
    tail = _signature_date(blocks)
    if tail:  # the date under the signature (落款) of a notice
        article.date, article.has_time = tail
        return
    if raw.date_hints:
        article.date, where = raw.date_hints[0]
        article.has_time = True
        article.date_note = f"正文中没有写日期，这是{where}，请核对"
        return
    if raw.file_times:
        article.date, where = raw.file_times[0]
    else:
        article.date = datetime.fromtimestamp(raw.path.stat().st_mtime, SHANGHAI).replace(tzinfo=None)
        where = "原文件的修改时间"
    article.has_time = article.date_guessed = True
    where = (" " if where[:1].isascii() else "") + where  # 这是 Word 文件的创建时间
    article.date_note = f"正文中没有写日期，这是{where}"
    article.review.append(f"日期：正文中没有写日期，暂用{where}，请核对 date:")


def _signature_date(blocks: list[Block]) -> tuple[datetime, bool] | None:
    for block in reversed(blocks[-4:]):
        if block.kind != "p":
            continue
        if is_date_line(block.text):
            return find_date(block.text)
        signed = signature(block.text)
        if signed:
            return signed[1], signed[2]
    return None


def _signing_unit(blocks: list[Block]) -> str:
    """The unit signing a notice at its end (落款): the line above the date, or the one with it."""
    texts = [b.text for b in blocks[-4:] if b.kind == "p"]
    for index in range(len(texts) - 1, -1, -1):
        signed = signature(texts[index])
        if signed:
            return signed[0] if is_unit(signed[0]) else ""
        if is_date_line(texts[index]):
            above = texts[index - 1] if index else ""
            return above if above and len(above) <= 30 and not _CLOSING.search(above) and is_unit(above) else ""
    return ""


def _has_body(blocks: list[Block]) -> bool:
    return any(b.kind in ("img", "table") or b.text.strip() for b in blocks)


def _same_text(a: str, b: str) -> bool:
    def norm(text: str) -> str:
        return re.sub(r"[\s\W_]+", "", text)

    return bool(norm(a)) and norm(a) == norm(b)


def _captions(blocks: list[Block]) -> list[Block]:
    """A short line right under an image, with no closing punctuation, is that image's caption."""
    out: list[Block] = []
    skip = False
    for index, block in enumerate(blocks):
        if skip:
            skip = False
            continue
        if block.kind == "img" and index + 1 < len(blocks):
            following = blocks[index + 1]
            if following.kind == "p" and len(following.text) <= 40 and not _CLOSING.search(following.text) \
                    and not _numbering_level(following.text):
                block.text = block.text or following.text
                block.caption = following.text  # rendered as a figure with this caption
                skip = True
        out.append(block)
    return out


def _typed_lists(blocks: list[Block]) -> list[Block]:
    """Two or more paragraphs in a row typed “1. 2. 3.” are an ordered list (Markdown would otherwise
    need a backslash to keep “1.” as text)."""
    index = 0
    while index < len(blocks):
        run = []
        while index + len(run) < len(blocks):
            block = blocks[index + len(run)]
            match = _TYPED_NUMBER.match(block.text) if block.kind == "p" else None
            if not match or run and int(match.group(1)) != run[0][1] + len(run):
                break
            run.append((block, int(match.group(1))))
        if len(run) >= 2:
            for block, number in run:
                block.kind, block.number, block.text = "oli", number, _TYPED_NUMBER.sub("", block.text)
        index += max(len(run), 1)
    return blocks


def _numbering_level(text: str) -> int:
    for level, pattern in enumerate(_NUMBERING, 1):
        if pattern.match(text):
            return level
    return 0


def _headings(blocks: list[Block]) -> list[Block]:
    """Short lines without closing punctuation become headings (## for the top numbering in use)."""
    last_prose = max((i for i, b in enumerate(blocks) if b.kind == "p" and not _is_heading_like(b.text)
                      and not is_date_line(b.text)), default=-1)  # what follows is the signature (落款)
    candidates = []
    for index, block in enumerate(blocks):
        if block.kind != "p" or index >= last_prose or not _is_heading_like(block.text):
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if following is None or following.kind == "h":
            continue
        candidates.append(index)
    styles = sorted({_numbering_level(blocks[i].text) for i in candidates} - {0})
    for index in candidates:
        level = _numbering_level(blocks[index].text)
        blocks[index].kind = "h"
        blocks[index].level = 2 + (styles.index(level) if level else 0)
    for block in blocks:  # headings from the page itself: h1 → ##, the rest keep their level
        if block.kind == "h" and block.level < 2:
            block.level = 2
    return blocks


def _is_heading_like(text: str) -> bool:
    return (0 < len(text) <= HEADING_LIMIT and not _CLOSING.search(text) and not is_date_line(text)
            and signature(text) is None and not re.fullmatch(r"[\d\s.:：/-]+", text)
            and not text.startswith(("附件", "注：", "注:")))
