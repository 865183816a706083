"""Blocks from a reader → an article: text repaired, page chrome dropped, labelled lines (时间、来源、
作者、政务公开) moved into front matter, title and date found, short lines made headings."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..content import GOV_KEYS
from ..dates import SHANGHAI, DateError, parse_datetime
from ..hanzi import t2s
from ..textrules.mojibake import repair_mojibake
from ..textrules.pinyin import remove_pinyin
from ..textrules.punctuation import fix_punctuation
from .readers import Block, Raw, normalize_space


@dataclass
class Article:
    source_file: Path
    title: str = ""
    date: datetime | None = None
    date_note: str = ""  # set when the date is a guess that the officer should confirm
    has_time: bool = False
    source: str = ""
    author: str = ""
    editor: str = ""
    gov: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- cleaning

_CHROME_SHORT = re.compile(
    r"欢迎使用手机浏览|手机版|切换到(?:电脑|手机)|无障碍(?:浏览|阅读)?|长者模式|关怀版|"
    r"字体(?:大小)?\s*[:：]?\s*[【\[]?\s*大|字号\s*[:：]?\s*[【\[]?\s*大|放大\s*正常\s*缩小|【\s*大\s*】|\b大\s+中\s+小\b|"
    r"浏览次数|阅读次数|浏览量|阅读量|点击数|点击量|访问量|访问次数|"
    r"留言与评论|发表评论|网友评论|我要评论|评论\s*[（(]\s*\d+|验证码|"
    r"分享到|分享至|扫一扫|二维码|"
    r"打印本页|打印此页|【\s*打印\s*】|关闭窗口|关闭本页|【\s*关闭\s*】|收藏本页|加入收藏|返回顶部|返回首页|"
    r"^上一篇|^下一篇|^相关链接|^相关新闻|^相关阅读|^相关文章|"
    r"^当前位置|您(?:现在)?的位置|^首页\s*[>›»＞]|[>›»＞]\s*正文$|"
    r"^标签\s*[:：]|^分享\s*$"
)
_CHROME_ANY = re.compile(
    r"版权所有|Copyright|©|ICP\s*备\s*\d|ICP\s*证|公网安备|网站标识码|网站识别码|"
    r"免责声明|版权声明|转载请注明|未经.{0,20}(?:授权|许可|同意).{0,30}(?:不得|禁止|严禁)|凡本网注明|"
    r"本网站?所(?:刊登|发布|刊载)",
    re.I,
)
_NAV_WORDS = ("关于我们", "联系我们", "网站地图", "网站声明", "隐私声明", "设为首页", "加入收藏", "友情链接", "意见建议")
_SHARE_ONLY = re.compile(r"^(?:微信|微博|QQ空间|QQ|朋友圈|豆瓣|新浪微博|腾讯微博|人人网|[\s、|/·]|分享)+$")


def _simplified_probe(text: str) -> str:
    """The text in simplified characters, for recognising labels and chrome on traditional pages."""
    return text if text.isascii() else t2s(text)


def is_chrome(text: str) -> bool:
    """A line of page furniture rather than article text (traditional pages included)."""
    text = _simplified_probe(text)
    if _CHROME_ANY.search(text):
        return True
    if sum(word in text for word in _NAV_WORDS) >= 2 or text in _NAV_WORDS:
        return True
    if _SHARE_ONLY.match(text):
        return True
    if len(text) > 15 and re.search(r"[。！？!?]$", text):
        return False  # a finished sentence (“群众扫一扫二维码就能反映问题。”) is article text
    return len(text) <= 80 and bool(_CHROME_SHORT.search(text))


def clean_text(text: str, simplified: bool) -> str:
    """Mojibake repaired where it can be, pinyin annotations gone, optionally traditional → simplified."""
    text = repair_mojibake(text)
    text = remove_pinyin(text)
    if simplified:
        text = t2s(text)
    return text


# ---------------------------------------------------------------- labelled fields

_FIELDS = {
    "date": ("发布时间", "发布日期", "发表时间", "发表日期", "发文日期", "更新时间", "上传时间", "时间", "日期"),
    "source": ("信息来源", "稿件来源", "文章来源", "来源", "出处"),
    "author": ("作者", "撰稿", "撰稿人", "供稿"),
    "editor": ("责任编辑", "编辑"),
    "gov.index_no": ("索引号",),
    "gov.category": ("主题分类", "信息分类"),
    "gov.publisher": ("发布机构", "发文机关", "发布单位"),
    "gov.doc_no": ("文号", "发文字号"),
    "gov.written": ("成文日期", "成文时间"),
    "gov.keywords": ("关键词", "主题词"),
    "drop": ("浏览次数", "阅读次数", "点击数", "点击量", "访问量", "阅读量", "浏览量", "公开方式", "公开范围",
             "公开时限", "有效性", "组配分类", "体裁分类", "服务对象", "生效日期", "废止日期", "信息类别", "字体", "字号",
             "审核", "校对", "分享到", "标签"),
}
GOV_LABELS = {key: names[0] for key, names in GOV_KEYS.items()}  # the Chinese key an officer would write
_LABEL_OF = {label: key for key, labels in _FIELDS.items() for label in labels}
_LABEL = re.compile(r"(?:^|(?<=[\s【\[|｜（(】\]]))(" + "|".join(sorted(_LABEL_OF, key=len, reverse=True))
                    + r")\s*[:：]\s*")
_DATE_IN_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                           r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]\s*\d{1,2})?)?")
_DATE_LINE = re.compile(r"^[（(]?\s*" + _DATE_IN_TEXT.pattern + r"\s*(?:星期[一二三四五六日天]|周[一二三四五六日])?\s*[）)]?$")
_RESIDUE = re.compile(r"[\s【】\[\]|｜()（）:：,，、/]+")


def find_date(text: str) -> tuple[datetime, bool] | None:
    """The first date in `text` that exists, and whether it had a time of day."""
    for match in _DATE_IN_TEXT.finditer(text):
        year, month, day, hour, minute = match.groups()
        value = f"{year}-{month}-{day}" + (f" {hour}:{minute}" if hour else "")
        try:
            return parse_datetime(value), bool(hour)
        except DateError:
            continue
    return None


def labelled_fields(text: str) -> tuple[list[tuple[str, str]], bool]:
    """([(field, value)], whether the line is nothing but labelled fields and page furniture)."""
    probe = _simplified_probe(text)
    if len(probe) == len(text):  # labels found in simplified form, values kept as written
        matches = list(_LABEL.finditer(probe))
    else:
        text = probe
        matches = list(_LABEL.finditer(text))
    if not matches:
        return [], False
    fields = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        value = text[match.end():end].strip(" 　|｜【】[]")
        fields.append((_LABEL_OF[match.group(1)], value))
    before = text[:matches[0].start()]
    date = _DATE_IN_TEXT.search(before)
    if date:  # "2023-06-28 15:30 来源：……": an unlabelled date in front of the labelled fields
        fields.insert(0, ("date", date.group()))
        before = before[:date.start()] + before[date.end():]
    only_fields = not _RESIDUE.sub("", before) or is_chrome(before)
    return fields, only_fields


def _plausible(key: str, value: str) -> bool:
    """Whether a labelled value in the body looks like page information rather than a sentence
    (“时间：每周三下午” is article text and must stay)."""
    if key == "date" or key == "gov.written":
        return find_date(value) is not None
    if key in ("source", "author", "editor"):
        return len(value) <= 40 and not re.search(r"[。！？]", value)
    return len(value) <= 80


def _apply_field(article: Article, key: str, value: str, dates: list[tuple[datetime, bool]]) -> None:
    value = value.strip()
    if key == "drop" or not value:
        return
    if key == "date":
        found = find_date(value)
        if found:
            dates.append(found)
        return
    if key.startswith("gov."):
        sub = key[4:]
        if sub == "written":
            found = find_date(value)
            value = found[0].strftime("%Y-%m-%d") if found else value
        article.gov.setdefault(sub, value)
        return
    if key in ("source", "author", "editor") and not getattr(article, key):
        setattr(article, key, re.split(r"\s{2,}", value)[0][:60])


# ---------------------------------------------------------------- the shared conversion

_CLOSING = re.compile(r"[。！？!?；;，,、：:…—]$")
_NUMBERING = [
    re.compile(r"^[一二三四五六七八九十]+、"),
    re.compile(r"^[（(][一二三四五六七八九十]+[）)]"),
    re.compile(r"^\d{1,2}[.．、](?!\d)"),
    re.compile(r"^[（(]\d{1,2}[）)]"),
]
HEADING_LIMIT = 30


def convert(raw: Raw, simplified: bool) -> Article:
    article = Article(raw.path, notes=list(raw.notes))
    for block in raw.blocks:
        block.text = clean_text(block.text, simplified)
        if block.rows:
            block.rows = [[clean_text(c, simplified) for c in row] for row in block.rows]
    blocks = [b for b in raw.blocks if b.text or b.kind in ("img", "table")]
    meta_lines = [clean_text(line, simplified) for line in raw.meta_lines]
    hints = [clean_text(t, simplified) for t in raw.title_hints]

    dates: list[tuple[datetime, bool]] = []
    # Labelled lines outside the body (HTML) first, then those among the first and last blocks.
    _fields_from_lines(article, meta_lines, dates)
    keep: list[Block] = []
    index = dropped = 0
    while index < len(blocks):
        block = blocks[index]
        near = index < 12 or index >= len(blocks) - 6
        if near and block.kind in ("p", "li", "h"):
            fields, only = labelled_fields(block.text)
            if fields and only and all(_plausible(key, value) for key, value in fields):
                for key, value in fields:
                    _apply_field(article, key, value, dates)
                # "索引号：" alone on its line, its value on the next one (table cells read as lines)
                if len(fields) == 1 and not fields[0][1] and index + 1 < len(blocks) \
                        and not labelled_fields(blocks[index + 1].text)[0]:
                    _apply_field(article, fields[0][0], blocks[index + 1].text, dates)
                    index += 1
                index += 1
                continue
        if near and block.kind == "table" and block.rows and _is_info_table(block.rows):
            for row in block.rows:
                _pairs_from_cells(article, row, dates)
            index += 1
            continue
        if block.kind in ("p", "li", "oli", "quote", "h") and is_chrome(block.text):
            dropped += 1
            index += 1
            continue
        keep.append(block)
        index += 1
    blocks = keep
    if dropped:
        article.notes.append(f"正文区域中去掉了 {dropped} 行网页框架（分享、打印、版权、上一篇下一篇等）")
    if not article.source and article.gov.get("publisher"):
        article.source = article.gov["publisher"]  # a disclosure page names its publisher, not a 来源

    # Title: what the page says it is, else the first line.
    title = next((h for h in hints if h), "")
    if not title and blocks and blocks[0].kind in ("p", "h"):
        title = blocks[0].text
    article.title = _strip_title(title)
    for position, block in enumerate(blocks[:4]):
        if block.kind in ("p", "h") and _same_text(block.text, article.title):
            del blocks[position]
            break
    if not article.title:
        article.title = raw.path.stem
        article.notes.append("没有找到标题，暂用文件名作标题，请修改 title:")

    # A date alone on a line right under the title is the publication date.
    for position, block in enumerate(blocks[:4]):
        if block.kind == "p" and _DATE_LINE.match(block.text):
            found = find_date(block.text)
            if found:
                dates.insert(0, found)
                del blocks[position]
            break
    if dates:
        article.date, article.has_time = dates[0]
        if not article.has_time:  # "发布日期：2023-01-06" in one place, "2023-01-06 10:20" in another
            timed = next((d for d, t in dates if t and d.date() == article.date.date()), None)
            if timed:
                article.date, article.has_time = timed, True
    else:
        tail = next((find_date(b.text) for b in reversed(blocks[-4:]) if b.kind == "p" and _DATE_LINE.match(b.text)),
                    None)
        if tail:  # the date under the signature (落款) of a notice
            article.date, article.has_time = tail
        elif raw.date_hints:
            article.date, where = raw.date_hints[0]
            article.has_time = True
            article.date_note = f"正文中没有写日期，这是{where}，请核对"
        else:
            mtime = datetime.fromtimestamp(raw.path.stat().st_mtime, SHANGHAI).replace(tzinfo=None)
            article.date, article.has_time = mtime, True
            article.date_note = "正文中没有写日期，这是原文件的修改时间，请核对"
    article.blocks = _headings(_captions(blocks))
    for block in article.blocks:
        if block.kind != "img":
            block.text = fix_punctuation(block.text)
        if block.rows:
            block.rows = [[fix_punctuation(c) for c in row] for row in block.rows]
    article.title = fix_punctuation(article.title)
    return article


def _fields_from_lines(article: Article, lines: list[str], dates: list) -> None:
    pending = None
    for line in lines:
        fields, _ = labelled_fields(line)
        if pending and not fields:
            _apply_field(article, pending, line, dates)
            pending = None
            continue
        pending = None
        for key, value in fields:
            _apply_field(article, key, value, dates)
        if len(fields) == 1 and not fields[0][1]:
            pending = fields[0][0]
        elif not fields:
            bare = line.rstrip(":： ")
            if bare in _LABEL_OF and _LABEL_OF[bare] != "date":
                pending = _LABEL_OF[bare]  # a table cell "索引号" with its value in the next cell


def _is_info_table(rows: list[list[str]]) -> bool:
    cells = [c.rstrip(":： ") for row in rows for c in row]
    return sum(1 for c in cells if _LABEL_OF.get(c, "").startswith("gov.")) >= 2


def _pairs_from_cells(article: Article, row: list[str], dates: list) -> None:
    for index, cell in enumerate(row[:-1]):
        key = _LABEL_OF.get(cell.rstrip(":： "))
        if key:
            _apply_field(article, key, row[index + 1], dates)


def _strip_title(title: str) -> str:
    title = normalize_space(title)
    return re.sub(r"^(?:标题|题目)\s*[:：]\s*", "", title)


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


def _numbering_level(text: str) -> int:
    for level, pattern in enumerate(_NUMBERING, 1):
        if pattern.match(text):
            return level
    return 0


def _headings(blocks: list[Block]) -> list[Block]:
    """Short lines without closing punctuation become headings (## for the top numbering in use)."""
    last_prose = max((i for i, b in enumerate(blocks) if b.kind == "p" and not _is_heading_like(b.text)
                      and not _DATE_LINE.match(b.text)), default=-1)  # what follows is the signature (落款)
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
    return (0 < len(text) <= HEADING_LIMIT and not _CLOSING.search(text) and not _DATE_LINE.match(text)
            and not re.fullmatch(r"[\d\s.:：/-]+", text) and not text.startswith(("附件", "注：", "注:")))
