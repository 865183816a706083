"""Pinyin left from copied pages: ruby text that came along as “開(kāi)啟” or “开kāi心xīn”. A warning
whose fix is to delete it; `remove_pinyin` does that on import."""
from __future__ import annotations

import re

from ..problems import WARNING
from . import PINYIN  # the rule's name is the package's (a build names it without importing this module)
from .prose import HAN_CHARS, Finding, Positions

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_SYLLABLE = f"[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*|[a-zü]+[1-5]"
_PINYIN_PAREN = re.compile(rf"(?<=[{HAN_CHARS}])[ \t]?[(（][ \t]*(?:{_SYLLABLE})(?:[ \t]+(?:{_SYLLABLE}))*[ \t]*[)）]")
_PINYIN_BARE = re.compile(rf"(?<=[{HAN_CHARS}])(?:[a-zü{_TONED}]*[{_TONED}][a-zü{_TONED}]*)"
                          rf"(?=[{HAN_CHARS}，。、；：！？”]|[ \t]*$)", re.M)
_PINYIN_HINT = re.compile(rf"[{_TONED}]|[(（][ \t]*[a-zü]+[1-5]")


def find_pinyin(view: str, at: Positions) -> list[Finding]:
    if not _PINYIN_HINT.search(view):
        return []
    found = []
    for pattern in (_PINYIN_PAREN, _PINYIN_BARE):
        for match in pattern.finditer(view):
            line, col = at(match.start())
            found.append(Finding(PINYIN, WARNING, line, col, len(match.group()),
                                 f"拼音注音“{match.group().strip()}”是从网页复制带来的，请删除", fix=""))
    return found


def remove_pinyin(text: str) -> str:
    if not _PINYIN_HINT.search(text):
        return text
    text = _PINYIN_PAREN.sub("", text)
    return _PINYIN_BARE.sub("", text)
