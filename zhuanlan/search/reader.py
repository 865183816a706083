"""A reference reader of output/search/: the query algorithm of search.js in Python, and the
tokens of a text as search.js makes them. Used by tests and benchmarks, never by a build.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .indexformat import INDEX_DIR, LEVELS, decode_shards, shard_hash
from .normalization import normalize, searchable, utf16_units
from .records import read_record

LONG_QUERY = 16  # units; longer queries read a sample of their 4-grams
SAMPLED = 8


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
