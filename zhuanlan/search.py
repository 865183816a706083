"""Full-text search: normalisation, per-story grams (made in the parse stage, cacheable), the
file formats of the static index under output/search/, and a reference reader of those files.
Writing the index (a clean build, or an update of the last build's files) is searchindex.py.

Matching is exact containment on normalised text. Normalisation works one code point at a time
(so a substring of a text always normalises to a substring of the normalised text): NFKC (which
also folds full-/half-width forms), lower case, traditional → simplified through OpenCC's
character table, and whitespace and control/format characters dropped. Text is then handled as
UTF-16 code units, the unit JavaScript strings are made of, so that both sides count alike.

The index answers every query of 1–4 units exactly with a single shard per query:
  i1/   one unit   → stories with counts           (1-character queries)
  i2/   two units  → stories with counts           (2-character queries)
  i4/   four units → stories with counts, sharded by their first three units, so that a
        3-character query reads every "ABCx" in one shard and a 4-character query reads "ABCD".
A story's title and text are joined with a NUL unit and end with one, so "ABC" at the end of a
title or text is "ABC\\0". Longer queries combine the 4-unit postings of their pieces (see
docs/搜索.md for the counting argument) and check the few stories it cannot settle against
their text. Each posting carries count·2 + (1 if the gram is in the title).

Stories are numbered oldest first (by date, then source path): publishing a story appends a
number and leaves every other story's number, record and most shards as they were. Ranking ties
go to the higher number, which is the newer story.
"""
from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .content import Story

INDEX_DIR = "search/"
FORMAT = 2
PAGE_SIZE = 10
LONG_QUERY = 16  # units; longer queries read a sample of their 4-grams
SAMPLED = 8
MAX_COUNT = 32_767  # counts are capped so that count·2 + flag fits 16 bits
LEVELS = (("i1", 1, 1), ("i2", 2, 2), ("i4", 4, 3))  # folder, units per key, units hashed


# Characters that normalisation drops: controls (Cc), formats (Cf), separators (Zs, Zl, Zp) and
# lone surrogates. Written out (Unicode 14) rather than taken from unicodedata, so that the
# JavaScript side, which cannot ask for a character's category in old browsers, has the same list.
DROP_RANGES = (
    (0x0000, 0x0020), (0x007F, 0x00A0), (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C),
    (0x06DD, 0x06DD), (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x1680, 0x1680),
    (0x180E, 0x180E), (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x2064), (0x2066, 0x206F),
    (0x3000, 0x3000), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
# A query made only of these (after normalisation) is not searched: ASCII punctuation and
# symbols, Latin-1 punctuation, general punctuation, CJK punctuation, full-width forms' leftovers.
PUNCT_RANGES = (
    (0x0021, 0x002F), (0x003A, 0x0040), (0x005B, 0x0060), (0x007B, 0x007E), (0x00A1, 0x00BF),
    (0x00D7, 0x00D7), (0x00F7, 0x00F7), (0x2010, 0x2027), (0x2030, 0x205E), (0x3001, 0x3003),
    (0x3008, 0x3011), (0x3014, 0x301F), (0x30FB, 0x30FB), (0xFE10, 0xFE19), (0xFE30, 0xFE6B),
    (0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65),
)
# Where OpenCC's traditional characters live: CJK Ext. A, Unified, Compatibility, Ext. B–H.
_T2S_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x323AF))


def _in_ranges(cp: int, ranges) -> bool:
    return any(low <= cp <= high for low, high in ranges)


@lru_cache(maxsize=1)
def t2s_table() -> dict[str, str]:
    """Traditional → simplified, one character to one character, from OpenCC's t2s tables.

    Characters are converted one at a time (a newline between them keeps OpenCC's phrase rules
    out), because search must fold a character the same way wherever it stands.
    """
    import opencc  # imported here: only builds that index stories need it

    cps = [cp for low, high in _T2S_RANGES for cp in range(low, high + 1)]
    converted = opencc.OpenCC("t2s").convert("\n".join(map(chr, cps))).split("\n")
    if len(converted) != len(cps):  # never seen; fall back to the slow, certain way
        converter = opencc.OpenCC("t2s")
        converted = [converter.convert(chr(cp)) for cp in cps]
    return {chr(cp): out for cp, out in zip(cps, converted) if len(out) == 1 and out != chr(cp)}


@lru_cache(maxsize=1)
def _t2s_sources() -> frozenset[str]:
    """Characters whose NFKC form holds a traditional character: those in the table, and
    compatibility forms (CJK radicals, compatibility ideographs, enclosed and squared forms)."""
    table = t2s_table()
    sources = set(table)
    for low, high in ((0x2E80, 0x2FDF), (0x3200, 0x33FF), (0xF900, 0xFAFF), (0x1F200, 0x1F2FF), (0x2F800, 0x2FA1F)):
        for cp in range(low, high + 1):
            if any(piece in table for piece in unicodedata.normalize("NFKC", chr(cp)).lower()):
                sources.add(chr(cp))
    return frozenset(sources)


def _fold_char(char: str) -> str:
    table = t2s_table()
    out = []
    for piece in unicodedata.normalize("NFKC", char).lower():
        if not _in_ranges(ord(piece), DROP_RANGES):
            out.append(table.get(piece, piece))
    return "".join(out)


class _FoldTable(dict):
    """str.translate table filled on first sight of each code point."""

    def __missing__(self, cp: int) -> str:
        value = self[cp] = _fold_char(chr(cp))
        return value


_FOLD = _FoldTable()


def normalize(text: str) -> str:
    """The text search compares: each code point folded on its own (see the module docstring)."""
    return text.translate(_FOLD)


def searchable(normalized: str) -> bool:
    """False for an empty query or one made of punctuation only."""
    return any(not _in_ranges(ord(c), PUNCT_RANGES) for c in normalized)


def utf16_units(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype="<u2")


def shard_hash(units) -> int:
    """FNV-1a over 16-bit units, then a final mix; search.js has the same function."""
    h = 0x811C9DC5
    for unit in units:
        h = ((h ^ int(unit)) * 0x01000193) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    return h ^ (h >> 12)


def tokens(text: str) -> dict:
    """What the index makes of a text, for the Python/JavaScript parity test: the normalised
    UTF-16 units, the grams of each level (a 4-gram may end in 0, the end marker) and the hash
    that picks each gram's shard."""
    units = [int(u) for u in utf16_units(normalize(text))]
    ext = units + [0]
    quad = [ext[i:i + 4] for i in range(len(units) - 2)]
    return {"units": units, "uni": [[u] for u in units], "bi": [units[i:i + 2] for i in range(len(units) - 1)],
            "quad": quad, "hash": [[shard_hash(units[i:i + 1]), shard_hash(units[i:i + 2]), shard_hash(units[i:i + 3])]
                                   for i in range(len(units))]}




# -- per story, in the parse stage ------------------------------------------------------------

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
        for cp in np.unique(points[unseen]).tolist():
            out = _FOLD[cp]
            _UNITS[cp] = _DROPPED if not out else ord(out) if len(out) == 1 and ord(out) < 0x10000 else _COMPLEX
        mapped = _UNITS[points]
    return mapped


@lru_cache(maxsize=1)
def _source_table() -> np.ndarray:
    """BMP code points whose NFKC form holds a traditional character (see _t2s_sources)."""
    marks = np.zeros(0x10000, bool)
    marks[[ord(c) for c in _t2s_sources() if ord(c) < 0x10000]] = True
    return marks


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), "<u4")


_GRAM_ARRAYS = tuple((name, np.dtype(code)) for name, code in (
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
    record_tail: bytes = b""  # the record's text and folds (see record_bytes), encoded once here

    def level(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        return getattr(self, f"keys{width}"), getattr(self, f"vals{width}")

    # Pickled as one blob: six arrays pickled apart took most of the time of loading a big
    # site's grams from the parse cache.
    def __getstate__(self):
        arrays = [np.ascontiguousarray(getattr(self, name), dtype) for name, dtype in _GRAM_ARRAYS]
        return [a.size for a in arrays], b"".join(a.tobytes() for a in arrays), self.folds, self.record_tail

    def __setstate__(self, state) -> None:
        sizes, blob, self.folds, self.record_tail = state
        at = 0
        fields = self.__dict__
        for (name, dtype), size in zip(_GRAM_ARRAYS, sizes):
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
    found = {chr(cp) for cp in np.unique(bmp[marked]).tolist()} if marked.any() else set()  # most texts have none
    if any_astral:
        sources = _t2s_sources()
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


# -- file formats -----------------------------------------------------------------------------

def doc_order(stories: list[Story]) -> list[Story]:
    """Stories in document-number order: oldest first, then by source path."""
    return sorted(stories, key=lambda s: (s.date, s.rel))


def display_text(text: str) -> str:
    return " ".join(text.split())


def record_bytes(record: dict) -> bytes:
    """A result record (d/<doc>.bin): compact JSON in UTF-16LE, two bytes for a Chinese
    character where UTF-8 takes three; search.js reads it as an ArrayBuffer. Keys in this order:
    t (title), u (URL path), d (date), c (columns), b (brand), x (text), f (folds, if any)."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-16-le", "surrogatepass")


def record_tail(text: str, folds: dict[str, str]) -> bytes:
    """The end of a story's record, from "x" on: the part made from its text, which the parse
    stage encodes once (and the parse cache keeps) rather than the index stage every time."""
    tail = {"x": display_text(text)}
    if folds:
        tail["f"] = folds
    return record_bytes(tail)[2:]  # without the opening brace (one UTF-16 unit)


def story_record(head: dict, grams: StoryGrams) -> bytes:
    """record_bytes(head + {"x": …, "f": …}) of a story: the site-dependent head, then the tail."""
    return record_bytes(head)[:-2] + ",".encode("utf-16-le") + grams.record_tail


def read_record(data: bytes) -> dict:
    return json.loads(data.decode("utf-16-le", "surrogatepass"))


def _varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes of each value's LEB128 (uint8)."""
    return np.add(values >= 1 << 7, values >= 1 << 14, dtype=np.uint8) + np.uint8(1)


def _varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LEB128 of every value: the bytes, and how many bytes each value took."""
    sizes = _varint_sizes(values)
    ends = np.cumsum(sizes, dtype=np.int64)
    out = np.zeros(int(ends[-1]) if ends.size else 0, np.uint8)
    _put_varints(out, ends - sizes, values, sizes)
    return out, sizes


def _put_varints(out: np.ndarray, at: np.ndarray, values: np.ndarray, sizes: np.ndarray) -> None:
    """Write each value as LEB128 at its offset of `out` (values below 2**21: doc numbers and
    gaps, count·2+flag, bitmap lengths; at most three bytes)."""
    if values.size and int(values.max()) >= 1 << 21:
        raise ValueError("search index: more than two million stories")
    values = values.astype(np.uint32)
    out[at] = (values & 0x7F) | np.where(sizes > 1, 0x80, 0).astype(np.uint32)
    two = np.flatnonzero(sizes > 1)
    if two.size:
        out[at[two] + 1] = ((values[two] >> 7) & 0x7F) | np.where(sizes[two] > 2, 0x80, 0).astype(np.uint32)
        three = two[sizes[two] > 2]
        out[at[three] + 2] = values[three] >> 14


def _unvarints(data: np.ndarray) -> np.ndarray:
    """Every LEB128 value in a byte array (values below 2**21, so at most three bytes each)."""
    ends = np.flatnonzero(data < 0x80)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    sizes = ends - starts + 1
    values = (data[starts] & 0x7F).astype(np.int64)
    two = np.flatnonzero(sizes > 1)
    if two.size:
        values[two] |= (data[starts[two] + 1] & 0x7F).astype(np.int64) << 7
        three = two[sizes[two] > 2]
        values[three] |= (data[starts[three] + 2] & 0x7F).astype(np.int64) << 14
    return values


def _place(out: np.ndarray, data: np.ndarray, begins: np.ndarray, lengths: np.ndarray) -> None:
    """Copy consecutive pieces of `data` (of these lengths) to these offsets of `out`."""
    if data.size:
        out[np.repeat(begins - (np.cumsum(lengths) - lengths), lengths) + np.arange(data.size)] = data


def hash_keys(keys: np.ndarray, width: int, hashed: int) -> np.ndarray:
    """shard_hash of the first `hashed` units of each key (keys: first unit in the high bits)."""
    # a key seen as `width` little-endian units holds its first unit last
    units = np.ascontiguousarray(keys, dtype=f"<u{2 * width}").view("<u2").reshape(-1, width)
    h = np.full(units.shape[0], 0x811C9DC5, np.uint32)
    for j in range(hashed):
        h ^= units[:, width - 1 - j]
        h *= np.uint32(0x01000193)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x2C1B3C6D)
    return h ^ (h >> np.uint32(12))


def _key_units(keys: np.ndarray, width: int) -> np.ndarray:
    keys = keys.astype(np.uint64)
    columns = [((keys >> np.uint64(16 * (width - 1 - j))) & np.uint64(0xFFFF)) for j in range(width)]
    return np.stack(columns, axis=1).astype("<u2")


DENSE = 0x8000_0000  # flag on a key's end offset: its documents are a bitmap
NIBBLE_ESCAPE = 15  # a dense value's nibble: value − 2, or this when the value is written after the nibbles


@dataclass
class Postings:
    """Encoded postings of sorted entries, key by key (see encode_shards)."""

    keys: np.ndarray  # each key once, in entry order
    first: np.ndarray  # index of each key's first entry
    data: np.ndarray  # uint8: all keys' postings, one after another
    end: np.ndarray  # int64: end of each key's postings in data
    dense: np.ndarray  # bool


def encode_postings(keys: np.ndarray, docs: np.ndarray, values: np.ndarray) -> Postings:
    """Postings of entries sorted by key (in any order of keys, equal keys together) and doc."""
    n = keys.size
    if n == 0:
        empty = np.empty(0, np.int64)
        return Postings(keys[:0], empty, np.empty(0, np.uint8), empty, np.empty(0, bool))
    docs = docs.astype(np.int32, copy=False)
    new_key = np.empty(n, bool)
    new_key[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_key[1:])
    starts = np.flatnonzero(new_key)
    lasts = np.append(starts[1:], n) - 1
    counts = lasts - starts + 1
    gaps = np.empty(n, np.int32)
    gaps[0] = docs[0]
    np.subtract(docs[1:], docs[:-1], out=gaps[1:])
    gaps[starts] = docs[starts]
    gap_sizes = _varint_sizes(gaps)
    value_sizes = _varint_sizes(values)
    # running byte counts: pairs for sparse keys, values alone for dense ones
    pairs_end = np.cumsum(gap_sizes + value_sizes, dtype=np.int64)
    values_end = np.cumsum(value_sizes, dtype=np.int64)
    sparse_len = np.diff(pairs_end[lasts], prepend=0)
    value_len = np.diff(values_end[lasts], prepend=0)
    first = docs[starts].astype(np.int64)
    bitmap_len = (docs[lasts] - first) // 8 + 1
    head_len = _varint_sizes(first).astype(np.int64) + _varint_sizes(bitmap_len)
    # dense values: a nibble each (value − 2; 15: the value follows as LEB128 after the nibbles)
    escaped = values >= NIBBLE_ESCAPE + 2
    escape_end = np.cumsum(np.where(escaped, value_sizes, 0), dtype=np.int64)
    escape_len = np.diff(escape_end[lasts], prepend=0)
    dense_len = head_len + bitmap_len + (counts + 1) // 2 + escape_len
    dense = dense_len < sparse_len
    length = np.where(dense, dense_len, sparse_len)
    end = np.cumsum(length)
    begin = end - length
    out = np.zeros(int(end[-1]), np.uint8)
    sparse_keys = np.flatnonzero(~dense)
    if sparse_keys.size:
        if sparse_keys.size == starts.size:
            chosen = np.arange(n)
        else:
            chosen = np.flatnonzero(np.repeat(~dense, counts))
        # where a key's pairs start, less the running count at its first entry, plus the running count
        base = begin[sparse_keys] - (pairs_end[starts[sparse_keys]] - gap_sizes[starts[sparse_keys]] - value_sizes[starts[sparse_keys]])
        at = np.repeat(base, counts[sparse_keys]) + pairs_end[chosen] - gap_sizes[chosen] - value_sizes[chosen]
        _put_varints(out, at, gaps[chosen], gap_sizes[chosen])
        _put_varints(out, at + gap_sizes[chosen], values[chosen], value_sizes[chosen])
    dense_keys = np.flatnonzero(dense)
    if dense_keys.size:
        chosen = np.flatnonzero(np.repeat(dense, counts))
        held = counts[dense_keys]
        nibbles_at = begin[dense_keys] + head_len[dense_keys] + bitmap_len[dense_keys]
        index = chosen - np.repeat(starts[dense_keys], held)  # each entry's place in its key
        nibble = np.minimum(values[chosen] - 2, NIBBLE_ESCAPE).astype(np.uint8) << ((index & 1) * 4).astype(np.uint8)
        byte = np.repeat(nibbles_at, held) + (index >> 1)
        group = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        out[byte[group]] = np.bitwise_or.reduceat(nibble, group)
        loud = chosen[escaped[chosen]]
        if loud.size:
            base = nibbles_at + (held + 1) // 2 - (escape_end[starts[dense_keys]]
                                                   - np.where(escaped, value_sizes, 0)[starts[dense_keys]])
            owner = np.searchsorted(starts[dense_keys], loud, side="right") - 1
            _put_varints(out, base[owner] + escape_end[loud] - value_sizes[loud], values[loud], value_sizes[loud])
        first_sizes = _varint_sizes(first[dense_keys])
        _put_varints(out, begin[dense_keys], first[dense_keys], first_sizes)
        _put_varints(out, begin[dense_keys] + first_sizes, bitmap_len[dense_keys], _varint_sizes(bitmap_len[dense_keys]))
        # bits: entries of one byte are neighbours (docs ascend), so OR them group by group
        offset = docs[chosen] - np.repeat(first[dense_keys], held)
        byte = np.repeat(begin[dense_keys] + head_len[dense_keys], held) + (offset >> 3)
        bit = np.left_shift(np.uint8(1), (offset & 7).astype(np.uint8))
        group = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        out[byte[group]] = np.bitwise_or.reduceat(bit, group)
    return Postings(keys[starts], starts, out, end, dense)


def encode_shards(shard: np.ndarray, keys: np.ndarray, docs: np.ndarray, values: np.ndarray,
                  width: int) -> dict[int, bytes]:
    """Shard files of one level from entries sorted by (shard, key, doc).

    A file: u32 key count; the keys (width × u16 each, ascending); u32 end offset of each key's
    postings (top bit set when they are dense); the postings. Sparse postings are LEB128 pairs
    (doc gap, value), the first gap counted from 0. Dense postings, used when shorter: LEB128
    first doc, LEB128 bitmap length B, B bytes of bitmap (bit i, least significant first, set
    when doc first + i has the key), then a nibble per set bit in doc order (low nibble first):
    value − 2 (a value is count·2 + flag, so at least 2), or 15 when the value is 17 or more and
    written as LEB128 after the nibbles, in doc order.
    """
    postings = encode_postings(keys, docs, values)
    return assemble_shards(shard[postings.first], postings, width)


def assemble_shards(key_shard: np.ndarray, postings: Postings, width: int,
                    sources: list[np.ndarray] | None = None) -> dict[int, bytes]:
    """Files from postings whose keys are sorted by (shard, key)."""
    files = {}
    if not postings.keys.size:
        return files
    units = _key_units(postings.keys, width)
    end = postings.end
    begin = end - np.diff(end, prepend=0)
    flagged = end + postings.dense.astype(np.int64) * DENSE
    data = postings.data
    changes = np.flatnonzero(np.concatenate(([True], key_shard[1:] != key_shard[:-1])))
    for low, high in zip(changes.tolist(), np.append(changes[1:], key_shard.size).tolist()):
        base = int(begin[low])
        files[int(key_shard[low])] = b"".join([struct.pack("<I", high - low), units[low:high].tobytes(),
                                               (flagged[low:high] - base).astype("<u4").tobytes(),
                                               data[base:int(end[high - 1])].tobytes()])
    return files


@dataclass
class Entries:
    """Postings of some shards of one level, flat, in file order: (file, key, doc) ascending."""

    file: np.ndarray  # int64: index of the shard file in the list decoded
    keys: np.ndarray  # uint64, first unit in the high bits
    docs: np.ndarray  # int64
    values: np.ndarray  # int64: count·2 + in-title flag


def _peek_varint(data: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LEB128 value (below 2**21) starting at each offset, and its length in bytes."""
    b0, b1, b2 = (data[at + k].astype(np.int64) for k in range(3))
    two = b0 >= 0x80
    three = two & (b1 >= 0x80)
    value = (b0 & 0x7F) + np.where(two, (b1 & 0x7F) << 7, 0) + np.where(three, (b2 & 0x7F) << 14, 0)
    return value, 1 + two.astype(np.int64) + three


def decode_shards(blobs: list[bytes], width: int) -> Entries:
    """Every posting in these shard files (the inverse of encode_shards)."""
    key_parts, end_parts, file_parts, postings = [], [], [], []
    for number, data in enumerate(blobs):
        (count,) = struct.unpack_from("<I", data) if len(data) >= 4 else (0,)
        if not count:
            continue
        units = np.frombuffer(data, "<u2", count * width, 4).reshape(count, width).astype(np.uint64)
        key = units[:, 0].copy()
        for j in range(1, width):
            key = (key << np.uint64(16)) | units[:, j]
        ends = np.frombuffer(data, "<u4", count, 4 + count * width * 2).astype(np.int64)
        base = 4 + count * width * 2 + count * 4
        key_parts.append(key)
        end_parts.append(ends)
        file_parts.append(np.full(count, number, np.int64))
        postings.append(data[base: base + int(ends[-1] & (DENSE - 1))])
    if not key_parts:
        empty = np.empty(0, np.int64)
        return Entries(empty, np.empty(0, np.uint64), empty, empty)
    keys = np.concatenate(key_parts)
    flags = np.concatenate(end_parts)
    dense = flags >= DENSE
    lengths = np.concatenate([np.diff(e & (DENSE - 1), prepend=0) for e in end_parts])
    data = np.frombuffer(b"".join(postings) + bytes(4), np.uint8)
    begin = np.cumsum(lengths) - lengths
    counts = np.zeros(keys.size, np.int64)
    sparse = ~dense
    # sparse keys: (gap, value) pairs
    sp_len = lengths[sparse]
    sp_bytes = data[np.repeat(begin[sparse] - (np.cumsum(sp_len) - sp_len), sp_len) + np.arange(int(sp_len.sum()))]
    numbers = _unvarints(sp_bytes)
    last = sp_bytes < 0x80
    per_key = np.add.reduceat(last.astype(np.int64), np.cumsum(sp_len) - sp_len) // 2 if sp_len.size else sp_len
    counts[sparse] = per_key
    gaps, sp_values = numbers[0::2], numbers[1::2]
    running = np.cumsum(gaps)
    key_start = np.cumsum(per_key) - per_key
    sp_docs = running - np.repeat(running[key_start] - gaps[key_start], per_key) if gaps.size else gaps
    # dense keys: first doc, bitmap length, bitmap, values
    d_begin, d_len = begin[dense], lengths[dense]
    first, one = _peek_varint(data, d_begin)
    bitmap_len, two = _peek_varint(data, d_begin + one)
    bitmap_at = d_begin + one + two
    bitmaps = data[np.repeat(bitmap_at - (np.cumsum(bitmap_len) - bitmap_len), bitmap_len)
                   + np.arange(int(bitmap_len.sum()))]
    bits = np.unpackbits(bitmaps, bitorder="little")
    set_bits = np.flatnonzero(bits)
    bit_base = (np.cumsum(bitmap_len) - bitmap_len) * 8
    owner = np.searchsorted(bit_base, set_bits, side="right") - 1
    de_docs = first[owner] + set_bits - bit_base[owner]
    held = np.bincount(owner, minlength=int(dense.sum()))
    counts[dense] = held
    nibbles_at = bitmap_at + bitmap_len
    index = np.arange(set_bits.size) - np.repeat(np.cumsum(held) - held, held)
    de_values = ((data[nibbles_at[owner] + (index >> 1)] >> ((index & 1) * 4).astype(np.uint8)) & 0x0F).astype(np.int64) + 2
    loud = np.flatnonzero(de_values == NIBBLE_ESCAPE + 2)
    escape_at = nibbles_at + (held + 1) // 2
    escape_len = d_begin + d_len - escape_at
    escapes = _unvarints(data[np.repeat(escape_at - (np.cumsum(escape_len) - escape_len), escape_len)
                              + np.arange(int(escape_len.sum()))])
    if escapes.size != loud.size:
        raise ValueError("search index: a dense posting list does not match its bitmap")
    de_values[loud] = escapes
    # put both kinds back in file order
    total = int(counts.sum())
    out_docs = np.empty(total, np.int64)
    out_values = np.empty(total, np.int64)
    entry_start = np.cumsum(counts) - counts
    for mask, found_docs, found_values in ((sparse, sp_docs, sp_values), (dense, de_docs, de_values)):
        where = np.repeat(entry_start[mask] - (np.cumsum(counts[mask]) - counts[mask]), counts[mask]) \
            + np.arange(int(counts[mask].sum()))
        out_docs[where] = found_docs
        out_values[where] = found_values
    return Entries(np.repeat(np.concatenate(file_parts), counts), np.repeat(keys, counts), out_docs, out_values)


# -- reading the index: the reference of search.js's query algorithm ---------------------------

@dataclass
class Hit:
    doc: int
    count: int
    title: bool


def rank_key(hit: Hit) -> tuple:
    """Title matches first, then more occurrences, then newer (higher doc number)."""
    return (not hit.title, -hit.count, -hit.doc)


class IndexReader:
    """Answers queries from a built output/search/ the way search.js does (used by tests)."""

    def __init__(self, out_dir: Path):
        self.root = Path(out_dir) / INDEX_DIR
        self.meta = json.loads((self.root / "meta.json").read_text("utf-8"))
        self._shards: dict[Path, tuple[np.ndarray, list[dict[int, int]]]] = {}

    def record(self, doc: int) -> dict:
        return read_record((self.root / "d" / f"{doc}.bin").read_bytes())

    def _shard(self, level: int, units: list[int]):
        index = (1, 2, 4).index(level)
        folder, width, hashed = LEVELS[index]
        number = shard_hash(units[:hashed]) % self.meta["shards"][index]
        path = self.root / folder / f"{number}.bin"
        if path not in self._shards:
            entries = decode_shards([path.read_bytes()] if path.exists() else [], width)
            keys, starts = np.unique(entries.keys, return_index=True)
            bounds = np.append(starts, entries.keys.size)
            postings = [dict(zip(entries.docs[low:high].tolist(), entries.values[low:high].tolist()))
                        for low, high in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
            self._shards[path] = (keys, postings)
        return self._shards[path]

    def _gram(self, units: list[int], prefix: bool = False) -> dict[int, int]:
        """Postings (doc → count·2+flag) of a 1-, 2- or 4-unit gram, or of every 4-gram that
        starts with the 3 given units (a 3-unit query)."""
        level = 4 if len(units) >= 3 else len(units)
        keys, postings = self._shard(level, units)
        packed = 0
        for unit in units:
            packed = packed << 16 | unit
        if prefix:
            low, high = packed << 16, (packed << 16) | 0xFFFF
        else:
            low = high = packed
        result: dict[int, int] = {}
        low, high = np.uint64(low), np.uint64(high)  # a Python int would be compared as a float
        for i in range(int(np.searchsorted(keys, low)), int(np.searchsorted(keys, high, side="right"))):
            for doc, value in postings[i].items():
                old = result.get(doc, 0)
                result[doc] = ((old >> 1) + (value >> 1)) << 1 | (old & 1) | (value & 1)
        return result

    def query(self, text: str) -> list[Hit]:
        normalized = normalize(text)
        if not searchable(normalized):
            return []
        units = [int(u) for u in utf16_units(normalized)]
        n = len(units)
        if n <= 4:
            postings = self._gram(units, prefix=n == 3)
            hits = [Hit(d, v >> 1, bool(v & 1)) for d, v in postings.items()]
        else:
            hits = self._long_query(normalized, units)
        hits.sort(key=rank_key)
        return hits

    def _long_query(self, normalized: str, units: list[int]) -> list[Hit]:
        """Every 4-gram of the query must be in the story. Up to LONG_QUERY units, the bound
        count ≥ n(G0) − Σk (n(Tk) − n(Gk)), with Tk the 3 units where Gk−1 and Gk overlap,
        proves most stories contain it (counted at least that often); the rest (and every
        story, for longer queries, which read only a sample of their 4-grams) are checked
        against their text, as are possible title matches."""
        n = len(units)
        chained = n <= LONG_QUERY
        starts = range(n - 3) if chained else sorted({round(i * (n - 4) / (SAMPLED - 1)) for i in range(SAMPLED)})
        quads = [self._gram(units[k:k + 4]) for k in starts]
        triples = [self._gram(units[k:k + 3], prefix=True) for k in range(1, n - 3)] if chained else []
        candidates = set(quads[0])
        for postings in quads[1:]:
            candidates &= set(postings)
        hits = []
        for doc in sorted(candidates):
            title = all(q[doc] & 1 for q in quads)
            if chained and not title:
                low = quads[0][doc] >> 1
                for k in range(1, n - 3):
                    low -= (triples[k - 1][doc] >> 1) - (quads[k][doc] >> 1)
                if low >= 1:  # contained for certain; the count is exact when low equals min n(Gk)
                    hits.append(Hit(doc, low, False))
                    continue
            record = self.record(doc)
            title_n, text_n = normalize(record["t"]), normalize(record["x"])
            count = _occurrences(title_n, normalized) + _occurrences(text_n, normalized)
            if count:
                hits.append(Hit(doc, count, normalized in title_n))
        return hits


def _occurrences(text: str, part: str) -> int:
    count, start = 0, text.find(part)
    while start >= 0:
        count += 1
        start = text.find(part, start + 1)
    return count
