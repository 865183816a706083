"""Per-story grams, made in the parse stage (content.parse_file and the parse workers) and kept
by the parse cache, so that an edit re-analyses one story: each distinct 1-, 2- and 4-unit gram of
a story's normalised title and text, with count·2 + in-title flag, and the text part of its
result record. The index stage (searchindex.py) puts them into shard files.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .normalization import fold_point, normalize, t2s_sources, t2s_table, utf16_units
from .records import record_tail

MAX_COUNT = 32_767  # counts are capped so that count·2 + flag fits 16 bits

_DROPPED, _COMPLEX, _UNSEEN = 0x10000, 0x10001, 0x10002  # in the unit table (see _bmp_units)

# For every BMP code point, the one BMP unit it folds to, or _DROPPED, or _COMPLEX (folds to
# several or astral units: the text takes the slow path), or _UNSEEN until first met. Filled as
# code points turn up: a whole table took 0.4 s, paid again by every edit's rebuild and worker.
_UNITS = np.full(0x10000, _UNSEEN, np.uint32)


def _bmp_units(points: np.ndarray) -> np.ndarray:
    """_UNITS of these BMP code points, with the unseen ones folded first."""
    mapped = _UNITS[points]
    unseen = mapped == _UNSEEN
    if unseen.any():
        # a set, not np.unique: that imports numpy.ma (15 ms), a tenth of what an edit's search costs
        for cp in sorted(set(points[unseen].tolist())):
            out = fold_point(cp)
            _UNITS[cp] = _DROPPED if not out else ord(out) if len(out) == 1 and ord(out) < 0x10000 else _COMPLEX
        mapped = _UNITS[points]
    return mapped


@lru_cache(maxsize=1)
def _source_table() -> np.ndarray:
    """BMP code points whose NFKC form holds a traditional character (see normalization.t2s_sources)."""
    marks = np.zeros(0x10000, bool)
    marks[[ord(c) for c in t2s_sources() if ord(c) < 0x10000]] = True
    return marks


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4")


GRAM_ARRAYS = tuple((name, np.dtype(code)) for name, code in (
    ("keys4", "<u8"), ("keys2", "<u4"), ("keys1", "<u2"), ("vals1", "<u2"), ("vals2", "<u2"), ("vals4", "<u2")))
# widest first, so that each array in a pickled blob stays aligned


@dataclass
class StoryGrams:
    """Distinct grams of one story's title and text with count·2 + in-title flag, per level,
    and the text part of its result record.

    Made by content.parse_file, so the parse cache keeps it and an edit re-analyses one story.
    """

    keys1: np.ndarray  # uint16
    vals1: np.ndarray  # uint16
    keys2: np.ndarray  # uint32
    vals2: np.ndarray
    keys4: np.ndarray  # uint64: four units, first unit in the high bits
    vals4: np.ndarray
    folds: dict[str, str]  # traditional characters of this story → simplified (for excerpts)
    record_tail: bytes = b""  # the record's text and folds (see records.record_tail), encoded once here

    def level(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"keys{width}"), getattr(self, f"vals{width}")

    # Pickled as one blob: six arrays pickled apart took most of the time of loading a big
    # site's grams from the parse cache.
    def __getstate__(self):
        arrays = [np.ascontiguousarray(getattr(self, name), dtype) for name, dtype in GRAM_ARRAYS]
        return [a.size for a in arrays], b"".join(a.tobytes() for a in arrays), self.folds, self.record_tail

    def __setstate__(self, state) -> None:
        sizes, blob, self.folds, self.record_tail = state
        at = 0
        fields = self.__dict__
        for (name, dtype), size in zip(GRAM_ARRAYS, sizes):
            fields[name] = np.frombuffer(blob, dtype, size, at)
            at += size * dtype.itemsize


def _joined_units(strings: list[str], points: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """utf16_units(normalize(s)) of each string followed by a 0 unit, all end to end, and the
    index of each string's 0, from the code points of the strings each followed by a NUL (at
    `ends`). Looked up in one go where every code point folds to one BMP unit; a string with a
    code point that does not takes the slow path alone."""
    astral = points >= 0x10000
    if astral.any():
        mapped = np.full(points.size, _COMPLEX, np.uint32)
        mapped[~astral] = _bmp_units(points[~astral])
    else:
        mapped = _bmp_units(points)
    mapped[ends] = 0  # a NUL of the text itself is dropped; these stay, as the 0 units
    slow = np.flatnonzero(mapped == _COMPLEX)
    if not slow.size:
        kept = mapped != _DROPPED
        return mapped[kept].astype(np.uint16), np.cumsum(kept)[ends] - 1
    slow_strings = set(np.searchsorted(ends, slow).tolist())
    pieces = []
    for i, (string, end) in enumerate(zip(strings, ends.tolist())):
        if i in slow_strings:
            pieces.append(np.append(utf16_units(normalize(string)), 0))
        else:
            piece = mapped[end - len(string):end + 1]
            pieces.append(piece[piece != _DROPPED])
    u = np.concatenate(pieces).astype(np.uint16)
    return u, np.cumsum([piece.size for piece in pieces]) - 1


def _runs(keys: np.ndarray, story: np.ndarray | None = None) -> np.ndarray:
    """Where each run of equal sorted keys (of one story) begins, and the end of the last."""
    first = np.empty(keys.size + 1, bool)
    first[0] = first[-1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:-1])
    if story is not None:
        first[1:-1] |= story[1:] != story[:-1]
    return np.flatnonzero(first)


def _counted(bounds: np.ndarray) -> np.ndarray:
    """count·2 of each run (capped), the in-title flag left clear."""
    return (np.minimum(np.diff(bounds), MAX_COUNT) << 1).astype(np.uint16)


def _packed_level(keys: np.ndarray, valid: np.ndarray, story: np.ndarray, title: np.ndarray, stories: int):
    """Distinct valid grams of keys of 32 bits or less, per story: the story number packs above
    the key, so one sort orders a whole batch. Returns the keys, count·2 + in-title flag of each,
    and where each story's part begins and ends."""
    packed = (story[valid] << np.uint64(32)) | keys[valid]
    in_title = packed[title[valid]]
    packed.sort()
    bounds = _runs(packed)
    unique, values = packed[bounds[:-1]], _counted(bounds)
    if in_title.size:
        values[np.searchsorted(unique, in_title)] |= 1
    parts = np.searchsorted(unique >> np.uint64(32), np.arange(stories + 1, dtype=np.uint64))
    return unique & np.uint64(0xFFFF_FFFF), values, parts.tolist()


def _quad_level(quads: np.ndarray, story: np.ndarray, title: np.ndarray, stories: int):
    """The same for 4-unit grams, which leave no room for the story number: each story's part is
    sorted in place (valid quads come story by story)."""
    parts = np.searchsorted(story, np.arange(stories + 1, dtype=np.uint64)).tolist()
    in_title = quads[title]
    for low, high in zip(parts[:-1], parts[1:]):
        quads[low:high].sort()
    bounds = _runs(quads, story)
    unique, values = quads[bounds[:-1]], _counted(bounds)
    unique_parts = np.searchsorted(story[bounds[:-1]], np.arange(stories + 1, dtype=np.uint64)).tolist()
    title_parts = np.searchsorted(story[title], np.arange(stories + 1, dtype=np.uint64)).tolist()
    for s in range(stories):
        low, high = title_parts[s], title_parts[s + 1]
        if high > low:
            base = unique_parts[s]
            values[base + np.searchsorted(unique[base:unique_parts[s + 1]], in_title[low:high])] |= 1
    return unique, values, unique_parts


def analyse_many(stories: list[tuple[str, str]]) -> list[StoryGrams]:
    """The grams of each (title, text). A batch at a time: numpy's calls for one story cost more
    than its sorting did, so the parse workers hand over their stories together."""
    m = len(stories)
    if not m:
        return []
    strings = [string for pair in stories for string in pair]
    points = _code_points("\0".join(strings) + "\0")
    ends = np.cumsum(np.fromiter(map(len, strings), np.int64, len(strings)) + 1) - 1  # the NUL after each
    u, zeros = _joined_units(strings, points, ends)  # a story: its title, 0, its text, 0
    title_end, story_end = zeros[0::2], zeros[1::2] + 1
    story_start = np.concatenate(([0], story_end[:-1]))
    story = np.repeat(np.arange(m, dtype=np.uint64), story_end - story_start)
    title = np.repeat(np.tile([True, False], m),
                      np.column_stack([title_end - story_start, story_end - title_end]).ravel())
    nonzero = u != 0
    keys1, vals1, parts1 = _packed_level(u.astype(np.uint64), nonzero, story, title, m)
    wide = u.astype(np.uint32)
    pairs = (wide[:-1] << 16) | wide[1:]
    pair_ok = nonzero[:-1] & nonzero[1:]
    keys2, vals2, parts2 = _packed_level(pairs.astype(np.uint64), pair_ok, story[:-1], title[:-1], m)
    quad_ok = np.flatnonzero(pair_ok[:-2] & nonzero[2:-1])  # the fourth unit may be a story's 0
    wide_pairs = pairs.astype(np.uint64)
    quads = (wide_pairs[quad_ok] << np.uint64(32)) | wide_pairs[quad_ok + 2]
    keys4, vals4, parts4 = _quad_level(quads, story[quad_ok], title[quad_ok], m)
    keys1, keys2 = keys1.astype(np.uint16), keys2.astype(np.uint32)
    # traditional characters: looked for per story only where the batch has some
    bmp = points < 0x10000
    marked = ~bmp
    marked[bmp] = _source_table()[points[bmp]]
    with_folds = set((np.searchsorted(ends, np.flatnonzero(marked)) // 2).tolist())
    grams = []
    for s, (title_text, text) in enumerate(stories):
        folds = _folds(points[ends[2 * s] - len(title_text):ends[2 * s + 1]]) if s in with_folds else {}
        grams.append(StoryGrams(keys1[parts1[s]:parts1[s + 1]], vals1[parts1[s]:parts1[s + 1]],
                                keys2[parts2[s]:parts2[s + 1]], vals2[parts2[s]:parts2[s + 1]],
                                keys4[parts4[s]:parts4[s + 1]], vals4[parts4[s]:parts4[s + 1]],
                                folds, record_tail(text, folds)))
    return grams


def analyse(title: str, text: str) -> StoryGrams:
    return analyse_many([(title, text)])[0]


def _folds(points: np.ndarray) -> dict[str, str]:
    """Traditional characters of a text, keyed as search.js looks them up (after NFKC and lower
    case), with their simplified forms, in code point order: the record must not depend on the
    order a set happens to iterate in (it changes with each process's string hash seed)."""
    astral = points >= 0x10000
    any_astral = bool(astral.any())
    bmp = points[~astral] if any_astral else points
    marked = _source_table()[bmp]
    found = {chr(cp) for cp in bmp[marked].tolist()} if marked.any() else set()  # most texts have none
    if any_astral:
        sources = t2s_sources()
        found.update(c for c in map(chr, points[astral].tolist()) if c in sources)
    if not found:
        return {}
    table = t2s_table()
    folds = {}
    for char in found:
        for piece in unicodedata.normalize("NFKC", char).lower():
            if piece in table:
                folds[piece] = table[piece]
    return dict(sorted(folds.items()))

