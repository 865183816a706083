"""Chinese text helpers: ASCII slugs through pinyin, summaries cut at sentence ends, reading time."""
from __future__ import annotations

import math
import re
import unicodedata
from contextlib import contextmanager
from functools import lru_cache

# Sentence ends: Chinese and Western full stops, question and exclamation marks,
# optionally followed by closing quotes or brackets that belong to the sentence.
_SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』）)】]*")
# Softer break points used only when a single sentence is too long for a summary.
_CLAUSE_END = re.compile(r"[，、；：,;:]")
_SLUG_CLEAN = re.compile(r"[^a-z0-9]+")
ASCII_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


# Slugs already made (by an earlier build, read back from its records): a rebuild that parses one
# story again then need not load pypinyin's dictionaries (0.2 s) for tags the site already has.
_KNOWN_SLUGS: dict[str, str] = {}


def remember_slugs(pairs) -> None:
    """(text, slugify(text)) pairs made by this same code, e.g. a cached story's tags and tag slugs."""
    _KNOWN_SLUGS.update(pairs)


@lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    """An ASCII URL segment: Han characters become pinyin syllables joined by hyphens."""
    known = _KNOWN_SLUGS.get(text)
    if known is not None:
        return known
    text = unicodedata.normalize("NFKC", text).strip().lower()
    if not text.isascii():
        from pypinyin import lazy_pinyin  # imported lazily: its dictionaries take time to load

        text = " ".join(lazy_pinyin(text))
    return _SLUG_CLEAN.sub("-", text).strip("-")


@contextmanager
def slug_maker():
    """A process of its own that loads pypinyin's dictionaries (0.2 s, 51 MB) at once, to make the
    slugs of a parse on many cores (slugs_of): neither this process nor the parse workers then
    hold the dictionaries. Started as early as a cold build can tell, the loading overlaps this
    process's own start of the parse."""
    from .workers import fork_pool

    with fork_pool(1) as slugger:
        slugger.apply_async(_load_pinyin)
        yield slugger


def _load_pinyin() -> None:
    from pypinyin import lazy_pinyin

    lazy_pinyin("中")


def slugs_of(texts: list[str]) -> list[tuple[str, str]]:
    """(text, slug) pairs, for remember_slugs."""
    return [(text, slugify(text)) for text in texts]


def summarize(text: str, target: int = 80, limit: int = 150) -> str:
    """First sentence(s) of plain text, ended at 。！？, about `target` characters long.

    Whole sentences are taken until `target` is reached. A first sentence longer than `limit`
    is cut at its last clause break (，、；) before the limit and ends with an ellipsis; slicing
    works on characters, so a character is never split.
    """
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return ""
    end = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > limit:
            break
        end = match.end()
        if end >= target:
            break
    if end:
        return text[:end].strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    breaks = [m.start() for m in _CLAUSE_END.finditer(head)]
    cut = breaks[-1] if breaks and breaks[-1] > limit // 3 else limit
    return head[:cut].rstrip() + "……"


def count_characters(text: str) -> int:
    """Characters a reader reads: everything but whitespace (a Latin word counts per letter)."""
    return len("".join(text.split()))


def reading_minutes(characters: int, per_minute: int = 400) -> int:
    """Reading time at about 400 Chinese characters a minute, at least one minute."""
    return max(1, math.ceil(characters / per_minute))
