"""What compiled loops (numba) would buy for the search index's three levels: a measurement for
the decision described in docs/搜索.md ("再往下需要编译好的代码"), not part of the build.

    pip install numba
    python benchmarks/bench_compiled_levels.py --runs 3

Loads the 10,000-story corpus's grams from its parse cache (build the corpus first, for example
with bench_search.py), builds each level with searchindex._build_level (numpy) and with the loops
below, checks that both give the same files and members byte for byte, and prints wall and CPU
seconds (medians). Then, in fresh processes with an empty and then a filled numba cache, what a
build pays before its first level: importing numba, compiling, or loading the compiled code.

The loops put each entry once into its shard's place (story order kept), then sort and encode one
shard at a time while it is in the cache; the numpy code moves each entry between arrays several
times, and that movement, not the arithmetic, is most of its time.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

IMPORT_STARTED = time.perf_counter()
from numba import njit  # noqa: E402  (its import is part of what is measured)

IMPORTED = time.perf_counter()
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from measure import median, table  # noqa: E402
from zhuanlan.cache import ParseCache  # noqa: E402
from zhuanlan.searchindex import LEVELS, THREADS, _build_level, _gather, _map_ahead, shard_count  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus" / "10000"
GROUP_ENTRIES = 1_000_000  # picking a group passes over the whole level, so groups are bigger than numpy's


@njit(cache=True, nogil=True)
def shard_hash(key, width, hashed):
    h = np.uint32(0x811C9DC5)
    for j in range(hashed):
        unit = np.uint32((key >> np.uint64(16 * (width - 1 - j))) & np.uint64(0xFFFF))
        h = np.uint32((h ^ unit) * np.uint32(0x01000193))
    h ^= h >> np.uint32(15)
    h = np.uint32(h * np.uint32(0x2C1B3C6D))
    return h ^ (h >> np.uint32(12))


@njit(cache=True, nogil=True)
def shards_of(keys, sizes, width, hashed, count, shards, members):
    i = 0
    for doc in range(sizes.size):
        for _ in range(sizes[doc]):
            s = shard_hash(keys[i], width, hashed) % np.uint32(count)
            shards[i] = s
            members[doc, s >> 3] |= np.uint8(1 << (s & 7))
            i += 1


@njit(cache=True, nogil=True)
def pick(keys, values, shards, sizes, low, high):
    starts = np.zeros(high - low + 1, np.int64)
    for i in range(shards.size):
        if low <= shards[i] < high:
            starts[shards[i] - low + 1] += 1
    for s in range(high - low):
        starts[s + 1] += starts[s]
    fill = starts[:-1].copy()
    out_keys = np.empty(starts[-1], keys.dtype)
    out_values = np.empty(starts[-1], values.dtype)
    out_docs = np.empty(starts[-1], np.int32)
    i = 0
    for doc in range(sizes.size):
        for _ in range(sizes[doc]):
            s = shards[i]
            if low <= s < high:
                at = fill[s - low]
                out_keys[at], out_values[at], out_docs[at] = keys[i], values[i], doc
                fill[s - low] = at + 1
            i += 1
    return out_keys, out_values, out_docs, starts


@njit(cache=True, nogil=True)
def varint_size(value):
    return 1 if value < 0x80 else (2 if value < 0x4000 else 3)


@njit(cache=True, nogil=True)
def put_varint(out, at, value):
    while value >= 0x80:
        out[at] = np.uint8((value & 0x7F) | 0x80)
        value >>= 7
        at += 1
    out[at] = np.uint8(value)
    return at + 1


@njit(cache=True, nogil=True)
def put_u32(out, at, value):
    for b in range(4):
        out[at + b] = np.uint8((value >> (8 * b)) & 0xFF)


@njit(cache=True, nogil=True)
def encode(keys, values, docs, starts, width):
    """indexformat.encode_shards's files for pick's shards, end to end, and the end of each."""
    count = starts.size - 1
    out = np.zeros(4 * count + keys.size * (2 * width + 10), np.uint8)
    ends = np.zeros(count, np.int64)
    at = 0
    for s in range(count):
        a, b = starts[s], starts[s + 1]
        if a == b:
            ends[s] = at
            continue
        order = np.argsort(keys[a:b], kind="mergesort") + a  # stable: story order within a key
        key_count = 1
        for j in range(1, b - a):
            if keys[order[j]] != keys[order[j - 1]]:
                key_count += 1
        put_u32(out, at, key_count)
        key_at = at + 4
        end_at = key_at + key_count * width * 2
        data_at = end_at + key_count * 4
        at = data_at
        j = 0
        for r in range(key_count):
            first_j = j
            key = keys[order[j]]
            while j < b - a and keys[order[j]] == key:
                j += 1
            sparse = 0
            escapes = 0
            prev = 0
            for q in range(first_j, j):
                doc, value = np.int64(docs[order[q]]), np.int64(values[order[q]])
                sparse += varint_size(doc - prev) + varint_size(value)
                prev = doc
                if value >= 17:
                    escapes += varint_size(value)
            first = np.int64(docs[order[first_j]])
            bitmap = (np.int64(docs[order[j - 1]]) - first) // 8 + 1
            dense = varint_size(first) + varint_size(bitmap) + bitmap + (j - first_j + 1) // 2 + escapes
            for u in range(width):
                unit = (np.uint64(key) >> np.uint64(16 * (width - 1 - u))) & np.uint64(0xFFFF)
                out[key_at + 2 * (r * width + u)] = np.uint8(unit & np.uint64(0xFF))
                out[key_at + 2 * (r * width + u) + 1] = np.uint8(unit >> np.uint64(8))
            if dense < sparse:
                at = put_varint(out, at, first)
                at = put_varint(out, at, bitmap)
                for q in range(first_j, j):
                    offset = docs[order[q]] - first
                    out[at + (offset >> 3)] |= np.uint8(1 << (offset & 7))
                at += bitmap
                for q in range(first_j, j):
                    nibble = min(np.int64(values[order[q]]) - 2, 15)
                    out[at + ((q - first_j) >> 1)] |= np.uint8(nibble << (((q - first_j) & 1) * 4))
                at += (j - first_j + 1) // 2
                for q in range(first_j, j):
                    if values[order[q]] >= 17:
                        at = put_varint(out, at, np.int64(values[order[q]]))
                put_u32(out, end_at + 4 * r, (at - data_at) | 0x8000_0000)
            else:
                prev = 0
                for q in range(first_j, j):
                    at = put_varint(out, at, np.int64(docs[order[q]]) - prev)
                    at = put_varint(out, at, np.int64(values[order[q]]))
                    prev = np.int64(docs[order[q]])
                put_u32(out, end_at + 4 * r, at - data_at)
        ends[s] = at
    return out[:at], ends


def compiled_level(docs, index: int, count: int, pool, write) -> np.ndarray:
    """searchindex._build_level with the compiled loops."""
    _, width, hashed = LEVELS[index]
    parts = [s.search.level(width) for s in docs]
    sizes = np.fromiter((keys.size for keys, _ in parts), np.int64, len(parts))
    members = np.zeros((len(docs), -(-count // 8)), np.uint8)
    keys = np.concatenate([keys for keys, _ in parts], dtype=np.uint64)  # one type: compiled once
    values = np.concatenate([values for _, values in parts], dtype=np.uint16)
    shards = np.empty(keys.size, np.uint16 if count <= 1 << 16 else np.uint32)
    shards_of(keys, sizes, width, hashed, count, shards, members)
    bounds = [0]  # consecutive shards of about GROUP_ENTRIES entries
    held = 0
    for shard, size in enumerate(np.bincount(shards, minlength=count).tolist()):
        if held and held + size > GROUP_ENTRIES:
            bounds.append(shard)
            held = 0
        held += size
    groups = list(zip(bounds, bounds[1:] + [count]))

    def build_group(group: tuple[int, int]) -> dict[int, bytes]:
        low, high = group
        data, ends = encode(*pick(keys, values, shards, sizes, low, high), width)
        begins = [0] + ends[:-1].tolist()
        return {low + i: data[b:e].tobytes() for i, (b, e) in enumerate(zip(begins, ends.tolist())) if e > b}

    for built in _map_ahead(pool, build_group, groups, THREADS + 1):
        write(built)
    return members


class Doc:  # what _build_level reads of a story; ParseCache.fill sets .search by .rel
    def __init__(self, rel: str = "", grams=None):
        self.rel = rel
        self.search = grams


def load_docs() -> list[Doc]:
    """The corpus's stories with their grams, as the build loads them from its parse cache."""
    cache = ParseCache(CORPUS / ".cache" / "parse.sqlite")
    docs = [Doc(rel) for rel in sorted(cache.rows)]
    cache.fill(docs, "index")
    cache.close()
    return [doc for doc in docs if doc.search is not None]


def first_call() -> None:
    """Run in a fresh process: seconds to import numba and to make the loops ready (compiled, or
    loaded from the cache), printed as JSON."""
    imported = time.perf_counter()

    class Grams:  # one small story
        def level(self, width):
            return np.arange(1, 40, dtype=np.uint64), np.full(39, 2, np.uint16)

    docs = [Doc(grams=Grams())]
    with ThreadPoolExecutor(1) as pool:
        compiled_level(docs, 2, 4, pool, lambda files: None)
    print(json.dumps({"import": IMPORTED - IMPORT_STARTED, "ready": time.perf_counter() - imported}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--first-call", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_call:
        return first_call()
    cache = tempfile.mkdtemp(prefix="numba-cache-")  # empty: the first process compiles, the second loads
    fresh = []
    for label in ("empty cache (first build after installing)", "filled cache (every later build)"):
        out = subprocess.run([sys.executable, __file__, "--first-call"], capture_output=True, text=True, check=True,
                             env={**os.environ, "NUMBA_CACHE_DIR": cache})
        fresh.append((label, json.loads(out.stdout)))
    shutil.rmtree(cache)
    docs = load_docs()
    sizes = np.array([[d.search.level(width)[0].size for _, width, _ in LEVELS] for d in docs], np.int64)
    levels = _gather(docs, sizes)  # the build puts each level end to end once, before building it (not timed)
    rows = []
    with ThreadPoolExecutor(THREADS) as pool:
        compiled_level(docs[:50], 0, 8, pool, lambda files: None)  # compiled (or loaded) before timing
        for index, (folder, width, _) in enumerate(LEVELS):
            count = shard_count(sum(d.search.level(width)[0].size for d in docs))
            timings = {"numpy": [], "numba": []}
            digests = {}
            for _ in range(args.runs):
                for name, build in (("numpy", lambda p, w: _build_level(*levels[index], sizes[:, index], index,
                                                                         count, p, w)),
                                    ("numba", lambda p, w: compiled_level(docs, index, count, p, w))):
                    files: dict[int, bytes] = {}
                    wall, cpu = time.perf_counter(), time.process_time()
                    members = build(pool, files.update)
                    timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))
                    digest = hashlib.blake2b(members.tobytes(), digest_size=16)
                    for number in sorted(files):
                        digest.update(number.to_bytes(4, "little") + files[number])
                    digests.setdefault(name, set()).add(digest.hexdigest())
            same = digests["numpy"] == digests["numba"] and len(digests["numpy"]) == 1
            row = [folder, f"{count:,}"]
            for name in ("numpy", "numba"):
                row += [f"{median([w for w, _ in timings[name]]):.2f}", f"{median([c for _, c in timings[name]]):.2f}"]
            rows.append(row + ["yes" if same else "NO"])
    print(table(["level", "shards", "numpy wall s", "numpy CPU s", "numba wall s", "numba CPU s", "same bytes"], rows))
    print()
    print(table(["fresh process, numba", "import s", "compile or load s"],
                [[label, f"{t['import']:.2f}", f"{t['ready']:.2f}"] for label, t in fresh]))
    if any(row[-1] != "yes" for row in rows):
        sys.exit("the compiled loops wrote other bytes than the numpy code")


if __name__ == "__main__":
    main()
