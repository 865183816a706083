"""An article → the text of a story file: front matter as officers write it, and Markdown."""
from __future__ import annotations

import re

import yaml

from ..check import DATE_TO_CONFIRM
from ..dates import format_day, format_minute
from .convert import GOV_LABELS, Article
from .readers import Block


# ---------------------------------------------------------------- writing

_ESCAPE_INLINE = re.compile(r"([\\`*_\[\]<>])")
_ESCAPE_START = re.compile(r"^[#>+=\-|]")
_ESCAPE_NUMBER = re.compile(r"^(\d+)([.)])(?=\s|$)")  # "1. " would start a list: "1\. " keeps the number as text


def escape_markdown(text: str) -> str:
    text = _ESCAPE_INLINE.sub(r"\\\1", text)
    text = _ESCAPE_START.sub(lambda m: "\\" + m.group(), text)
    return _ESCAPE_NUMBER.sub(r"\1\\\2", text)


def _yaml_scalar(value: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return value  # our reader takes dates as text; quotes would only puzzle the officer
    dumped = yaml.safe_dump(value, allow_unicode=True, width=10_000, default_flow_style=True).strip()
    return dumped[:-4].strip() if dumped.endswith("\n...") else dumped.removesuffix("...").strip()


def front_matter(article: Article, column: str | None, brand: str | None) -> str:
    """Front matter as an officer would write it. A story with open points (article.review) is a draft,
    with the points in a comment at the top; a guessed date carries the comment `check` warns about."""
    date = (format_minute if article.has_time else format_day)(article.date) if article.date else ""
    lines = ["---", f"# 由 python build.py import 从 {article.source_file.name} 导入"]
    if article.review:
        lines.append("# 导入后还需要人工核对，先存为草稿（draft: true，生成网站时不发布）：")
        lines += [f"#   - {point}" for point in article.review]
        confirm = "，date 行后面的注释也在核对日期后删掉" if article.date_guessed else ""
        lines.append(f"# 都处理好后，删掉 draft: true 这一行和这几行注释{confirm}。")
    lines.append(f"title: {_yaml_scalar(article.title)}")
    if article.date_guessed:
        note = f"{DATE_TO_CONFIRM}：{article.date_note}。核对或改正后删掉这条注释"
    else:
        note = article.date_note
    lines.append(f"date: {date}" + (f"  # {note}" if note else ""))
    if article.review:
        lines.append("draft: true")
    if brand:
        lines.append(f"brand: {_yaml_scalar(brand)}")
    if column:
        lines.append(f"columns: [{_yaml_scalar(column)}]")
    for key in ("source", "author", "editor"):
        value = getattr(article, key)
        if value:
            lines.append(f"{key}: {_yaml_scalar(value)}")
    if article.gov:
        lines.append("gov:")
        for key, label in GOV_LABELS.items():
            if key in article.gov:
                lines.append(f"  {label}: {_yaml_scalar(article.gov[key])}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def body_markdown(blocks: list[Block], image_refs: dict[int, str]) -> str:
    parts: list[str] = []
    previous = ""
    number = 0
    for index, block in enumerate(blocks):
        if block.kind == "img":
            ref = image_refs.get(index)
            if ref is None:
                continue
            if ref.startswith("<!--"):
                text = ref
            else:
                caption = block.caption
                alt = escape_markdown(block.text or caption)
                title = f' "{caption.replace(chr(34), "“")}"' if caption else ""
                text = f"![{alt}]({ref}{title})"
        elif block.kind == "h":
            text = "#" * min(max(block.level, 2), 6) + " " + escape_markdown(block.text)
        elif block.kind == "li":
            text = "- " + escape_markdown(block.text)
        elif block.kind == "oli":
            number = block.number or (number + 1 if previous == "oli" else 1)
            text = f"{number}. " + escape_markdown(block.text)
        elif block.kind == "quote":
            text = "> " + escape_markdown(block.text)
        elif block.kind == "table" and block.rows:
            rows = [[c.replace("|", "\\|") for c in row] for row in block.rows]
            text = "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
                             + ["| " + " | ".join(r) + " |" for r in rows[1:]])
        else:
            text = escape_markdown(block.text)
        joiner = "\n" if block.kind in ("li", "oli") and previous == block.kind else "\n\n"
        parts.append((joiner if parts else "") + text)
        previous = block.kind
    return "".join(parts) + "\n"
