"""Full-text search: normalisation, per-story grams (made in the parse stage, cacheable), and the
static, sharded index under output/search/ that themes/default/static/js/search.js reads.

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
"""
from __future__ import annotations

import hashlib
import json
import math
import struct
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .output import Stager, Staged
    from .site import Site

INDEX_DIR = "search/"
FORMAT = 1
PAGE_SIZE = 10
LONG_QUERY = 16  # units; longer queries read a sample of their 4-grams
SAMPLED = 8
PARALLEL_MIN_STORIES = 1000  # below this, building the three levels in one process is quicker
SHARD_TARGET = 12_000  # bytes: a shard holds about this much on average
MAX_COUNT = 32_767  # counts are capped so that count·2 + flag fits 16 bits

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

@dataclass
class StoryGrams:
    """Distinct grams of one story's title and text with count·2 + in-title flag, per level.

    Made by content.parse_file, so the parse cache keeps it and an edit re-analyses one story.
    """

    keys1: np.ndarray  # uint16
    vals1: np.ndarray  # uint16
    keys2: np.ndarray  # uint32
    vals2: np.ndarray
    keys4: np.ndarray  # uint64: four units, first unit in the high bits
    vals4: np.ndarray
    folds: dict[str, str]  # traditional characters of this story → simplified (for excerpts)


def _level(grams: np.ndarray, valid: np.ndarray, title_units: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    keys = grams[valid]
    if keys.size == 0:
        return np.empty(0, dtype), np.empty(0, np.uint16)
    unique, counts = np.unique(keys, return_counts=True)
    values = np.minimum(counts, MAX_COUNT).astype(np.uint16) << 1
    in_title = grams[:title_units][valid[:title_units]]
    if in_title.size:
        values[np.searchsorted(unique, in_title)] |= 1
    return unique.astype(dtype), values


def analyse(title: str, text: str) -> StoryGrams:
    title_n, text_n = normalize(title), normalize(text)
    u = utf16_units(title_n + "\0" + text_n + "\0").astype(np.uint64)
    title_units = len(title_n.encode("utf-16-le", "surrogatepass")) // 2
    nonzero = u != 0
    keys1, vals1 = _level(u, nonzero, title_units, np.uint16)
    keys2, vals2 = _level((u[:-1] << 16) | u[1:], nonzero[:-1] & nonzero[1:], title_units, np.uint32)
    if len(u) >= 4:
        quad = (u[:-3] << 48) | (u[1:-2] << 32) | (u[2:-1] << 16) | u[3:]
        keys4, vals4 = _level(quad, nonzero[:-3] & nonzero[1:-2] & nonzero[2:-1], title_units, np.uint64)
    else:
        keys4, vals4 = np.empty(0, np.uint64), np.empty(0, np.uint16)
    table = t2s_table()
    folds = {}
    for char in set(title + text) & _t2s_sources():  # keyed as search.js looks them up: after NFKC, lower case
        for piece in unicodedata.normalize("NFKC", char).lower():
            if piece in table:
                folds[piece] = table[piece]
    return StoryGrams(keys1, vals1, keys2, vals2, keys4, vals4, folds)


# -- the index --------------------------------------------------------------------------------

LEVELS = (("i1", 1, 1), ("i2", 2, 2), ("i4", 4, 3))  # folder, units per key, units hashed


def _varints(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LEB128 of every value (each below 2**21: doc gaps and count·2+flag): the bytes, and how
    many bytes each value took. Built as three byte planes, then the unused bytes dropped."""
    values = values.astype(np.uint32)
    if values.size and int(values.max()) >= 1 << 21:
        raise ValueError("search index: more than two million stories")
    two, three = values >= 1 << 7, values >= 1 << 14
    planes = np.empty((values.size, 3), np.uint8)
    planes[:, 0] = (values & 0x7F) | (two.astype(np.uint32) << 7)
    planes[:, 1] = ((values >> 7) & 0x7F) | (three.astype(np.uint32) << 7)
    planes[:, 2] = values >> 14
    keep = np.empty((values.size, 3), bool)
    keep[:, 0], keep[:, 1], keep[:, 2] = True, two, three
    return planes[keep], 1 + two.astype(np.int64) + three


def _hash_array(keys: np.ndarray, width: int, hashed: int) -> np.ndarray:
    units = keys.view("<u2").reshape(-1, keys.itemsize // 2)  # little-endian: last column is unit 0
    h = np.full(keys.size, 0x811C9DC5, np.uint32)
    for j in range(hashed):
        h = (h ^ units[:, width - 1 - j]) * np.uint32(0x01000193)
    h ^= h >> np.uint32(15)
    h *= np.uint32(0x2C1B3C6D)
    return h ^ (h >> np.uint32(12))


def _key_units(keys: np.ndarray, width: int) -> bytes:
    keys = keys.astype(np.uint64)
    columns = [((keys >> np.uint64(16 * (width - 1 - j))) & np.uint64(0xFFFF)) for j in range(width)]
    return np.stack(columns, axis=1).astype("<u2").tobytes()


def _shards(grams: list[StoryGrams], level: int, width: int, hashed: int) -> tuple[int, dict[int, bytes]]:
    """Shard files of one level. Each file: u32 key count, keys (width × u16 each, ascending),
    u32 end offset of each key's postings, then postings: (doc gap, value) LEB128 pairs, doc
    ids ascending within a key. The whole level is sorted and encoded at once (numpy); only
    the final slicing runs per shard."""
    key_name, val_name = f"keys{level}", f"vals{level}"
    sizes = np.fromiter((getattr(g, key_name).size for g in grams), np.int64, len(grams))
    total = int(sizes.sum())
    count = max(1, math.ceil(total * 2.6 / SHARD_TARGET))
    if total == 0:
        return count, {}
    keys = np.concatenate([getattr(g, key_name) for g in grams])
    values = np.concatenate([getattr(g, val_name) for g in grams])
    docs = np.repeat(np.arange(len(grams), dtype=np.int64), sizes)
    # Entries arrive doc by doc, so stable sorts keep docs ascending: a radix sort by shard,
    # then a small sort by key inside each shard, give (shard, key, doc) order.
    shard = (_hash_array(keys, width, hashed) % np.uint32(count)).astype(np.uint16 if count < 65536 else np.uint32)
    order = np.argsort(shard, kind="stable")
    shard = shard[order]
    bounds = np.searchsorted(shard, np.arange(count + 1))
    sorted_keys = keys[order]
    for number in range(count):
        low, high = bounds[number], bounds[number + 1]
        if high - low > 1:
            order[low:high] = order[low:high][np.argsort(sorted_keys[low:high], kind="stable")]
    keys, docs, values = keys[order], docs[order], values[order]
    starts = np.ones(total, bool)
    starts[1:] = keys[1:] != keys[:-1]
    gaps = np.where(starts, docs, docs - np.concatenate(([0], docs[:-1])))
    pairs = np.empty(total * 2, np.uint32)
    pairs[0::2], pairs[1::2] = gaps, values
    data, byte_sizes = _varints(pairs)
    cumulative = np.cumsum(byte_sizes[0::2] + byte_sizes[1::2])  # end of each entry's pair
    first = np.flatnonzero(starts)  # each key's first entry
    last = np.append(first[1:], total) - 1
    key_ends = cumulative[last]
    key_units = np.frombuffer(_key_units(keys[first], width), dtype="<u2").reshape(-1, width)
    key_shard = shard[first]
    bounds = np.searchsorted(key_shard, np.arange(count + 1))
    files = {}
    for number in range(count):
        low, high = bounds[number], bounds[number + 1]
        if high == low:
            continue
        base = int(key_ends[low - 1]) if low else 0
        end = int(key_ends[high - 1])
        files[number] = b"".join([struct.pack("<I", high - low), key_units[low:high].tobytes(),
                                  (key_ends[low:high] - base).astype("<u4").tobytes(), data[base:end].tobytes()])
    return count, files


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def display_text(text: str) -> str:
    return " ".join(text.split())


_GRAMS: list[StoryGrams] = []  # handed to forked workers


def _level_files(level: int) -> tuple[int, dict[int, bytes]]:
    folder, width, hashed = LEVELS[level]
    return _shards(_GRAMS, width, width, hashed)


def index_files(site: Site, workers: int = 1) -> dict[str, bytes]:
    """Every file of the search index, by path under output/ (stories numbered newest first)."""
    global _GRAMS
    from . import urls

    stories = site.stories
    grams = [s.search or analyse(s.title, s.text) for s in stories]
    linker = urls.Linker(site.config.base_url, site.config.base_path)
    column_ids = list(site.columns)
    brand_ids = list(site.brands)
    column_at = {c: i for i, c in enumerate(column_ids)}
    brand_at = {b: i for i, b in enumerate(brand_ids)}

    files: dict[str, bytes] = {}
    version = hashlib.blake2b(digest_size=8)
    counts = []
    _GRAMS = grams
    try:
        if workers > 1 and len(grams) >= PARALLEL_MIN_STORIES:
            from .workers import fork_pool

            with fork_pool(min(workers, len(LEVELS))) as pool:
                levels = pool.map(_level_files, [2, 1, 0], chunksize=1)[::-1]  # biggest first
        else:
            levels = [_level_files(level) for level in range(len(LEVELS))]
    finally:
        _GRAMS = []
    for (folder, width, hashed), (count, shards) in zip(LEVELS, levels):
        counts.append(count)
        for number, data in shards.items():
            files[f"{INDEX_DIR}{folder}/{number}.bin"] = data
            version.update(data)
    for doc, (story, g) in enumerate(zip(stories, grams)):
        record = {"t": story.title, "u": linker.path(story.url), "d": story.date.strftime("%Y-%m-%d"),
                  "c": [column_at[c] for c in story.columns], "b": brand_at.get(story.brand, -1) if story.brand else -1,
                  "x": display_text(story.text)}
        if g.folds:
            record["f"] = g.folds
        data = _json(record)
        files[f"{INDEX_DIR}d/{doc}.json"] = data
        version.update(data)
    combos: dict[tuple, int] = {}
    facet = []
    for story in stories:
        combo = (brand_at.get(story.brand, -1) if story.brand else -1, tuple(column_at[c] for c in story.columns))
        facet.append(combos.setdefault(combo, len(combos)))
    files[f"{INDEX_DIR}facets.json"] = _json({"combos": [[b, list(c)] for b, c in combos], "docs": facet})
    buckets: dict[int, dict[str, str]] = {}
    for source, target in t2s_table().items():
        buckets.setdefault(ord(source) >> 8, {})[source] = target
    for bucket, table in buckets.items():
        files[f"{INDEX_DIR}fold/{bucket}.json"] = _json(table)
    version.update(files[f"{INDEX_DIR}facets.json"])
    meta = {
        "format": FORMAT, "version": version.hexdigest(), "stories": len(stories), "shards": counts,
        "page": PAGE_SIZE, "fold": sorted(buckets),
        "columns": [[site.columns[c].title] for c in column_ids],
        "brands": [[site.brands[b].name, brand_at.get(site.brands[b].parent, -1) if site.brands[b].parent else -1]
                   for b in brand_ids],
    }
    files[f"{INDEX_DIR}meta.json"] = _json(meta)
    return files


def index_digest(site: Site) -> str:
    """A digest of everything the index is made from: when it is unchanged, so is the index."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{FORMAT}\x1f{site.config.base_path}".encode())
    for column_id, column in site.columns.items():
        digest.update(f"\x1ec{column_id}\x1f{column.title}".encode())
    for brand_id, brand in site.brands.items():
        digest.update(f"\x1eb{brand_id}\x1f{brand.name}\x1f{brand.parent}".encode())
    for story in site.stories:
        digest.update(f"\x1es{story.digest}\x1f{story.url}\x1f{story.date}\x1f{story.brand}\x1f{story.columns}".encode())
    return digest.hexdigest()


def stage_index(site: Site, stager: Stager, workers: int = 1) -> list[Staged]:
    return [stager.stage_bytes(rel, data) for rel, data in index_files(site, workers).items()]


# -- reading the index: the reference of search.js's query algorithm ---------------------------

@dataclass
class Hit:
    doc: int
    count: int
    title: bool


class IndexReader:
    """Answers queries from a built output/search/ the way search.js does (used by tests)."""

    def __init__(self, out_dir: Path):
        self.root = Path(out_dir) / INDEX_DIR
        self.meta = json.loads((self.root / "meta.json").read_text("utf-8"))
        self._shards: dict[str, tuple[list[tuple[int, ...]], list[bytes]]] = {}

    def record(self, doc: int) -> dict:
        return json.loads((self.root / "d" / f"{doc}.json").read_text("utf-8"))

    def _shard(self, level: int, units: list[int]):
        folder, width, hashed = LEVELS[(1, 2, 4).index(level)]
        number = shard_hash(units[:hashed]) % self.meta["shards"][(1, 2, 4).index(level)]
        path = self.root / folder / f"{number}.bin"
        if path in self._shards:
            return self._shards[path]
        data = path.read_bytes() if path.exists() else struct.pack("<I", 0)
        (count,) = struct.unpack_from("<I", data)
        units_all = struct.unpack_from(f"<{count * width}H", data, 4)
        keys = [tuple(units_all[i * width:(i + 1) * width]) for i in range(count)]
        ends = struct.unpack_from(f"<{count}I", data, 4 + count * width * 2)
        base = 4 + count * width * 2 + count * 4
        blocks, start = [], 0
        for end in ends:
            blocks.append(data[base + start: base + end])
            start = end
        self._shards[path] = (keys, blocks)
        return keys, blocks

    @staticmethod
    def _postings(block: bytes) -> dict[int, int]:
        numbers, value, shift = [], 0, 0
        for byte in block:
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                numbers.append(value)
                value, shift = 0, 0
        result, doc = {}, 0
        for i in range(0, len(numbers), 2):
            doc = numbers[i] if i == 0 else doc + numbers[i]
            result[doc] = numbers[i + 1]
        return result

    def _gram(self, units: list[int], prefix: bool = False) -> dict[int, int]:
        """Postings (doc → count·2+flag) of a 1-, 2- or 4-unit gram, or of every 4-gram that
        starts with the 3 given units (a 3-unit query)."""
        level = 4 if len(units) >= 3 else len(units)
        keys, blocks = self._shard(level, units)
        result: dict[int, int] = {}
        for key, block in zip(keys, blocks):
            if (list(key[:3]) == units) if prefix else (list(key) == units):
                for doc, value in self._postings(block).items():
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
        hits.sort(key=lambda h: (not h.title, -h.count, h.doc))
        return hits

    def _long_query(self, normalized: str, units: list[int]) -> list[Hit]:
        """Every 4-gram of the query must be in the story. Up to LONG_QUERY units, the bound
        count ≥ n(G0) − Σk (n(Tk) − n(Gk)), with Tk the 3 units where Gk−1 and Gk overlap,
        proves most stories contain it (counted at least that often); the rest (and every story, for longer queries, which read only a
        sample of their 4-grams) are checked against their text, as are possible title matches."""
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
