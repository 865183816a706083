"""The site's word list (site.yaml's check:): terms never to publish, and wrong formulations with the
right one (the fix). Both are errors: the build refuses them."""
from __future__ import annotations

import re
from functools import lru_cache

from ..problems import ERROR
from .prose import Finding, Positions, WordList

FORBIDDEN = "forbidden"
WORDING = "wording"
RULES = frozenset({FORBIDDEN, WORDING})


def find_words(view: str, at: Positions, words: WordList, rules: frozenset[str]) -> list[Finding]:
    found: list[Finding] = []
    if FORBIDDEN in rules and words.forbidden:
        pattern = alternation(words.forbidden)
        for match in pattern.finditer(view):
            line, col = at(match.start())
            found.append(Finding(FORBIDDEN, ERROR, line, col, len(match.group()),
                                 f"禁用词“{match.group()}”：请删除或改写（词表在 site.yaml 的 check.forbidden）"))
    if WORDING in rules and words.wording:
        right_of = dict(words.wording)
        pattern = alternation(tuple(w for w, _ in words.wording))
        for match in pattern.finditer(view):
            wrong, right = match.group(), right_of[match.group()]
            if _inside_right_form(view, match.start(), wrong, right):
                continue
            line, col = at(match.start())
            found.append(Finding(WORDING, ERROR, line, col, len(wrong),
                                 f"提法“{wrong}”不规范，应为“{right}”", fix=right))
    return found


@lru_cache(maxsize=64)
def alternation(terms: tuple[str, ...]) -> re.Pattern:
    ordered = sorted({t for t in terms if t}, key=len, reverse=True)  # longest first: the whole term wins
    return re.compile("|".join(re.escape(t) for t in ordered))


def _inside_right_form(text: str, start: int, wrong: str, right: str) -> bool:
    """True when the wrong form found at `start` is only part of the right form (例: 两学一做 in 两学一做学习教育)."""
    offset = right.find(wrong)
    while offset >= 0:
        begin = start - offset
        if begin >= 0 and text.startswith(right, begin):
            return True
        offset = right.find(wrong, offset + 1)
    return False
