"""The 政务公开 information block of a disclosure page (索引号、主题分类、发布机构、文号、成文日期、发布日期 …),
in the layouts sites use: a bulleted list, `标签：值` lines, each label and its value on lines of
their own (`<dl>`, table cells read one by one), two- and four-column tables.

A block is recognised by having at least two 政务公开 labels in a row. Empty labels are dropped. In
a list of `标签：值` items an unlabelled item right after the block is not a value: sites repeat the
title there, and `convert` decides whether it is the title.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .byline import find_date
from .labels import Meta, bare_label, labelled_fields, plausible
from .readers import Block

MIN_GOV_LABELS = 2
TOP, BOTTOM = 20, 10  # blocks from the start and the end of the body where the block is looked for


@dataclass
class Run:
    start: int
    end: int  # one past the block's last line
    pairs: list[tuple[str, str]]  # (field, value), empty labels left out
    gov_labels: int  # 政务公开 labels present, with or without a value
    closing: int | None = None  # index of an unlabelled line closing a bulleted block


def find_runs(lines: list[str | None], min_gov: int = MIN_GOV_LABELS, strict: bool = True) -> list[Run]:
    """Runs of labelled lines holding at least `min_gov` 政务公开 labels. `strict`: a line must be nothing
    but labels and values (in the body); otherwise labels anywhere in a line count (page text outside it)."""
    kinds = [_kind(line, strict) for line in lines]
    runs: list[Run] = []
    index = 0
    while index < len(lines):
        if kinds[index][0] == "other":
            index += 1
            continue
        items: list[tuple[int, str, list[tuple[str, str]]]] = []
        end = index
        while end < len(lines):
            kind, pairs = kinds[end]
            if kind != "other":
                items.append((end, kind, pairs))
            elif items and items[-1][1] == "bare" and _could_be_value(items[-1][2][0][0], lines[end]):
                items.append((end, "value", []))
            else:
                break
            end += 1
        run = _run(items, lines)
        if run.gov_labels >= min_gov:
            runs.append(run)
        index = end
    return runs


def _kind(line: str | None, strict: bool) -> tuple[str, list[tuple[str, str]]]:
    if not line:
        return "other", []
    key = bare_label(line)
    if key and (strict or key != "date" or line.rstrip().endswith((":", "："))):
        return "bare", [(key, "")]  # (outside the body a bare “日期” is more often a column of some list)
    fields, only = labelled_fields(line)
    if not fields or strict and not only:
        return "other", []
    if len(fields) == 1 and not fields[0][1]:
        return "bare", fields
    if strict and not all(plausible(key, value) for key, value in fields if value):
        return "other", []
    return "fields", fields


def _could_be_value(key: str, text: str | None) -> bool:
    """Whether the line after a bare label can be its value (not a sentence, not another label)."""
    if not text or len(text) > 100 or re.search(r"[。！？]$", text) or bare_label(text):
        return False
    if key in ("date", "gov.written"):
        return find_date(text) is not None
    return len(text) <= (30 if key == "drop" else 80)


def _run(items: list[tuple[int, str, list[tuple[str, str]]]], lines: list[str | None]) -> Run:
    inline = sum(1 for _, kind, _ in items if kind == "fields")
    separate = sum(1 for _, kind, _ in items if kind == "bare") > inline  # <dl>, table cells
    closing = None
    if not separate and items and items[-1][1] == "value":
        closing = items.pop()[0]  # “• 体裁” then “• 深入实施……”: an empty label, then the title again
    pairs: list[tuple[str, str]] = []
    for position, (index, kind, found) in enumerate(items):
        if kind == "fields":
            pairs += [(key, value) for key, value in found if value]
        elif kind == "bare" and position + 1 < len(items) and items[position + 1][1] == "value":
            pairs.append((found[0][0], lines[items[position + 1][0]] or ""))
    labels = {key for _, _, found in items for key, _ in found if key.startswith("gov.")}
    return Run(items[0][0], items[-1][0] + 1, pairs, len(labels), closing)


def read_lines(lines: list[str], meta: Meta) -> None:
    """Labelled lines in page text outside the article body (any layout, 政务公开 or not) into `meta`."""
    for run in find_runs(lines, min_gov=0, strict=False):
        for key, value in run.pairs:
            meta.add(key, value)


def take_block(blocks: list[Block], meta: Meta) -> tuple[list[Block], list[Block]]:
    """(`blocks` without the 政务公开 block near the start or the end, lines that closed a bulleted block)."""
    texts = [b.text if b.kind in ("p", "li", "h", "quote") else None for b in blocks]
    dropped: set[int] = set()
    closing: list[Block] = []
    last = len(blocks) - BOTTOM
    for run in find_runs(texts):
        if run.start >= TOP and run.end <= last:
            continue
        for key, value in run.pairs:
            meta.add(key, value)
        dropped.update(range(run.start, run.end))
        if run.closing is not None:
            closing.append(blocks[run.closing])
    for index, block in enumerate(blocks):
        if block.kind != "table" or not block.rows or TOP <= index < last:
            continue
        runs = find_runs([cell for row in block.rows for cell in row], min_gov=0)
        if sum(run.gov_labels for run in runs) >= MIN_GOV_LABELS:
            for key, value in (pair for run in runs for pair in run.pairs):
                meta.add(key, value)
            dropped.add(index)
    return [b for i, b in enumerate(blocks) if i not in dropped], closing
