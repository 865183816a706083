"""Whether an article being imported is already a story: one on the site, or one imported earlier in
the same run. The same article is the same title on the same day, or nearly the same text under
another title or file name (a corrected copy, the WeChat version of a web page)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..content import STORY_KEYS
from ..dates import DateError, parse_datetime
from ..frontmatter import SourceError, canonicalize, read_document
from ..problems import Problems

SHINGLE = 4  # characters per piece of text compared
SIMILAR = 0.75  # share of pieces in common (Jaccard) from which two texts are the same article
MIN_PIECES = 30  # shorter texts are compared by title and date only

_MARKUP = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)|\]\([^)\n]*\)|<[^>\n]+>|[^\w]|_")


@dataclass
class Known:
    path: Path
    shown: str  # how the officer sees it: content/stories/2023/x.md
    title: str
    day: date | None
    pieces: frozenset[str]
    in_this_run: bool = False


def pieces(markdown: str) -> frozenset[str]:
    text = _MARKUP.sub("", markdown).lower()
    return frozenset(text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1))


def _title_key(title: str) -> str:
    return re.sub(r"[\s\W_]+", "", title)


class Stories:
    """The stories an import must not repeat."""

    def __init__(self, content_dir: Path, root: Path):
        self.root = root
        self.known: list[Known] = []
        folder = content_dir / "stories"
        for path in sorted(folder.rglob("*.md")) if folder.is_dir() else []:
            try:
                doc = read_document(path, path.relative_to(content_dir).as_posix())
            except (OSError, SourceError, ValueError):
                continue  # the build reports a story it cannot read
            values = canonicalize(doc, STORY_KEYS, Problems())
            self.known.append(Known(path, self._shown(path), str(values.get("title") or ""),
                                    _day(values.get("date")), pieces(doc.body)))

    def _shown(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def add(self, path: Path, title: str, when: datetime | None, body: str) -> None:
        """An article imported in this run, so that a second copy in the same run is refused too."""
        self.known = [k for k in self.known if k.path != path]
        self.known.append(Known(path, self._shown(path), title, when.date() if when else None, pieces(body), True))

    def find(self, title: str, when: datetime | None, body: str) -> tuple[Known, str] | None:
        """(the story this article repeats, why it is taken for the same one), or None."""
        key, day, mine = _title_key(title), when.date() if when else None, pieces(body)
        for known in self.known:
            if key and day and known.day == day and _title_key(known.title) == key:
                return known, "标题和日期相同"
        if len(mine) < MIN_PIECES:
            return None
        best, best_share = None, 0.0
        for known in self.known:
            if len(known.pieces) < MIN_PIECES or not 0.5 <= len(known.pieces) / len(mine) <= 2:
                continue
            share = len(mine & known.pieces) / len(mine | known.pieces)
            if share > best_share:
                best, best_share = known, share
        if best is not None and best_share >= SIMILAR:
            return best, f"正文几乎相同，{best_share:.0%} 一样"
        return None


def _day(value: object) -> date | None:
    if value is None or value == "":
        return None
    try:
        return parse_datetime(value).date()
    except DateError:
        return None
