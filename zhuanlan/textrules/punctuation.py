"""Half-width punctuation in Chinese sentences (“群众说,这样好!”, “……“五单工作法”,”): a warning
with the full-width mark; `fix_punctuation` makes the change on import."""
from __future__ import annotations

import re

from ..problems import WARNING
from . import PUNCTUATION  # the rule's name is the package's (a build names it without importing this module)
from .prose import HAN, HAN_CHARS, Finding, Positions

_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）", ".": "。"}
_ASCII_MARK = re.compile(r"\.{3,}|[,;:?.]|!(?!\[)")  # "![" begins an image
# A half-width mark right after one of these closes a Chinese phrase (“……”, ……）) as surely as after a Han character.
_CLOSING = frozenset("”’）》】」』〕")
_PAREN = re.compile(rf"\(([^()\n]*[{HAN_CHARS}][^()\n]*)\)")
_QUOTES = re.compile(rf"\"([^\"\n]*[{HAN_CHARS}][^\"\n]*)\"")


def _punctuation_spans(text: str):
    """(start, end, wrong, right, edits) for each half-width mark in a Chinese sentence; `edits` are the
    (start, end, replacement) that fix it (brackets and quotes change only at their two ends)."""
    for match in _ASCII_MARK.finditer(text):
        before = match.start() - 1
        while before >= 0 and text[before] in " \t":
            before -= 1
        if before < 0 or not (HAN.match(text[before]) or text[before] in _CLOSING):
            continue
        mark = match.group()
        if mark == ".":
            after = match.end()
            while after < len(text) and text[after] in " \t":
                after += 1
            if after < len(text) and text[after] != "\n":
                continue  # "党建.工作" is more likely a name or a file than a sentence end
        right = "……" if mark.startswith("...") else _FULL[mark]
        yield before + 1, match.end(), mark, right, [(before + 1, match.end(), right)]
    for match in _PAREN.finditer(text):
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if HAN.match(before) or HAN.match(after) or HAN.match(match.group(1)[:1]):
            yield (match.start(), match.end(), "( )", f"（{match.group(1)}）",
                   [(match.start(), match.start() + 1, "（"), (match.end() - 1, match.end(), "）")])
    for match in _QUOTES.finditer(text):
        yield (match.start(), match.end(), "\" \"", f"“{match.group(1)}”",
               [(match.start(), match.start() + 1, "“"), (match.end() - 1, match.end(), "”")])


def find_punctuation(view: str, at: Positions) -> list[Finding]:
    found = []
    for start, end, wrong, right, _ in _punctuation_spans(view):
        line, col = at(start)
        found.append(Finding(PUNCTUATION, WARNING, line, col, end - start,
                             f"中文句子里用了半角标点“{wrong}”，应为全角“{right}”", fix=right))
    return found


def fix_punctuation(text: str) -> str:
    """Full-width punctuation where half-width marks sit in Chinese sentences (for imported text)."""
    edits = sorted((edit for *_, changes in _punctuation_spans(text) for edit in changes), reverse=True)
    for start, end, replacement in edits:
        text = text[:start] + replacement + text[end:]
    return text
