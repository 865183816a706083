"""Writing output/search/: the whole index on a clean build, and after that an update of the last
build's files that costs about as much as the stories that changed.

Stories are numbered oldest first (doc_order), so adding a story appends a number. Each
level's shard count comes from a fixed ladder of sizes (about 19% apart), so it stays the same
while the site grows by a few stories; the files are therefore a function of the site alone, and
an updated index is byte for byte the one a clean build would write.

To update, a small state kept beside the output manifest in the site's .cache/ says, for every
document number of the last build: the source digest of the story there (its grams), a digest of
its result record's inputs, its gram counts per level, and which shards of each level hold its
grams (a bitmap). A changed story's old postings are removed from exactly those shards, read
back from output/ (checked against the manifest's hash first), its new grams are merged in, and
only those shards are written again. The state is bound to the meta.json it was written with;
if anything does not match, or shard counts change, or many stories moved, the index is built
whole.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .dates import format_day
from .output import Manifest, Staged, Stager
from .search import indexformat
from .search.grams import GRAM_ARRAYS
from .search.indexformat import INDEX_DIR, LEVELS
from .search.normalization import t2s_table
from .search.records import story_record
from .stamps import digest, engine_key
from .workers import give_back

if TYPE_CHECKING:
    from .content import Story
    from .search.grams import StoryGrams
    from .site import Site

# Bytes a shard holds on average. A 4-gram shard holds every continuation of a 3-unit prefix, so a
# common prefix makes a big shard whatever the count; smaller shards keep what comes with it small.
SHARD_TARGET = 8_000
BYTES_PER_ENTRY = 1.0  # what a posting takes on average (0.8–1.25 on the benchmark corpus)
LADDER = sorted({round(2 ** (k / 4)) for k in range(96)})  # shard counts a level may have
UPDATE_SHARE = 10  # update in place when at most 1/10 of the documents changed; else build whole
UPDATE_MIN = 64
GROUP_ENTRIES = 60_000  # entries of a group of shards built at once (some 6–8 MB of work arrays)
# Groups built at once: one per core (numpy sorts without the interpreter lock), but no more than
# four, since every group in flight holds its work arrays (THREADS + 1 groups, some 8 MB each).
THREADS = min(4, os.cpu_count() or 1)
LET_GO_BATCH = 250  # stories whose grams are let go of at once (see _gather)


# Every file the index has (search/index.html beside them is the search page, rendered as pages are).
INDEX_FILES = tuple(f"{INDEX_DIR}{name}" for name in ("i1/", "i2/", "i4/", "d/", "fold/", "meta.json", "facets.json"))


def doc_order(stories: list[Story]) -> list[Story]:
    """Stories in document-number order: oldest first, then by source path."""
    return sorted(stories, key=lambda s: (s.date, s.rel))


def shard_count(entries: int) -> int:
    wanted = entries * BYTES_PER_ENTRY / SHARD_TARGET
    return next((size for size in LADDER if size >= wanted), LADDER[-1])


def index_digest(site: Site) -> str:
    """A digest of everything the index is made from: when it is unchanged, so is the index."""
    parts = hashlib.blake2b(digest_size=16)
    parts.update(f"{indexformat.FORMAT}\x1f{site.config.base_path}".encode())
    for column_id, column in site.columns.items():
        parts.update(f"\x1ec{column_id}\x1f{column.title}".encode())
    for brand_id, brand in site.brands.items():
        parts.update(f"\x1eb{brand_id}\x1f{brand.name}\x1f{brand.parent}".encode())
    for story in site.stories:
        parts.update(f"\x1es{story.digest}\x1f{story.url}\x1f{story.date}\x1f{story.brand}\x1f{story.columns}".encode())
    return parts.hexdigest()


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- the state of the last build --------------------------------------------------------------

@dataclass
class State:
    """What the last build's index holds, per document number (see the module docstring)."""

    counts: list[int]  # shards per level
    sources: list[str]  # source digest of the story at each number
    records: list[str]  # digest of what its record is made of
    sizes: np.ndarray  # (docs, levels) gram counts
    members: list[np.ndarray]  # per level: (docs, ceil(count/8)) bitmaps of shards holding its grams

    @staticmethod
    def path(manifest: Manifest, meta_digest: str) -> Path:
        return manifest.path.with_name(f"{manifest.path.stem}.search-{meta_digest}.npz")

    @classmethod
    def load(cls, manifest: Manifest) -> State | None:
        """The state of the index the manifest describes, or None."""
        meta = manifest.entries.get(f"{INDEX_DIR}meta.json")
        if not meta:
            return None
        try:
            with np.load(cls.path(manifest, meta)) as data:
                header = json.loads(str(data["header"]))
                if header != {"format": indexformat.FORMAT, "engine": engine_key()}:
                    return None
                state = cls([int(c) for c in data["counts"]], data["sources"].tolist(), data["records"].tolist(),
                            data["sizes"], [data[f"members{i}"] for i in range(len(LEVELS))])
        except Exception:  # damaged or of another shape (np.load raises many kinds): build whole
            return None
        n = len(state.sources)
        if not (isinstance(state.sources, list) and isinstance(state.records, list) and len(state.records) == n
                and state.sizes.shape == (n, len(LEVELS)) and all(m.shape[0] == n for m in state.members)):
            return None  # written by a faulty build: not to be trusted
        return state

    def save(self, manifest: Manifest, meta_digest: str) -> None:
        """Written before the output is committed; the state of the committed index stays until
        the next build, so a failed build leaves a usable one."""
        path = self.path(manifest, meta_digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp.npz")
        np.savez(temp, header=np.array(json.dumps({"format": indexformat.FORMAT, "engine": engine_key()})),
                 counts=np.array(self.counts, np.int64), sources=np.array(self.sources, dtype="U32"),
                 records=np.array(self.records, dtype="U32"), sizes=self.sizes,
                 **{f"members{i}": m for i, m in enumerate(self.members)})
        os.replace(temp, path)
        current = manifest.entries.get(f"{INDEX_DIR}meta.json")
        keep = {path.name} | ({self.path(manifest, current).name} if current else set())
        for old in path.parent.glob(f"{manifest.path.stem}.search-*.npz"):
            if old.name not in keep:
                old.unlink(missing_ok=True)


class _Rebuild(Exception):
    """The last build's files cannot be updated (missing or changed by hand): build whole."""


# -- building ---------------------------------------------------------------------------------

def _entries(stories: list[Story], numbers: list[int], width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """keys, doc numbers and values of these stories' grams of one level, doc by doc."""
    return _entries_of([s.search.level(width) for s in stories], numbers)


def _entries_of(parts: list[tuple[np.ndarray, np.ndarray]], numbers: list[int]) -> tuple[np.ndarray, ...]:
    sizes = [p[0].size for p in parts]
    if not parts:
        return np.empty(0, np.uint64), np.empty(0, np.int64), np.empty(0, np.int64)
    keys = np.concatenate([p[0] for p in parts]).astype(np.uint64)
    values = np.concatenate([p[1] for p in parts]).astype(np.int64)
    return keys, np.repeat(np.asarray(numbers, np.int64), sizes), values


def _shard_of(keys: np.ndarray, width: int, hashed: int, count: int, dtype=np.int64) -> np.ndarray:
    """Each key's shard number in a level of `count` shards."""
    return (indexformat.hash_keys(keys, width, hashed) % np.uint32(count)).astype(dtype)


def _order_by_shard(keys: np.ndarray, shards: np.ndarray) -> np.ndarray:
    """The order (shard, key, doc) of entries that arrive doc by doc. Entries are sorted by key
    (stable, so each key's docs stay ascending; keys of 32 bits or less pack with their position
    into one integer and sort as numbers), then whole key groups are put in shard order."""
    if keys.dtype.itemsize <= 4:
        packed = (keys.astype(np.uint64) << np.uint64(32)) | np.arange(keys.size, dtype=np.uint64)
        packed.sort()
        order = (packed & np.uint64(0xFFFF_FFFF)).astype(np.int64)
        del packed
    else:
        order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    first = np.empty(ordered.size, bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    del ordered
    starts = np.flatnonzero(first)
    groups = np.argsort(shards[order[starts]], kind="stable")
    lengths = np.diff(starts, append=order.size)[groups]
    moved = np.repeat(starts[groups] - (np.cumsum(lengths) - lengths), lengths) + np.arange(order.size)
    return order[moved]


def _members(docs: np.ndarray, shard: np.ndarray, rows: int, count: int) -> np.ndarray:
    bits = np.zeros((rows, count), bool)
    bits[docs, shard] = True
    return np.packbits(bits, axis=1, bitorder="little")


def _merge(old: tuple[np.ndarray, ...], new: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Two lists of (shard, key, doc, value) entries, each sorted by (shard, key, doc), as one.

    Few new entries go into many old ones: each (shard, key) gets a rank (old groups odd, a new
    key between them even), so that (rank, doc) packs into one integer to search on."""
    if not new[0].size:
        return old
    if not old[0].size:
        return new
    shard, keys, docs = old[0], old[1], old[2]
    starts = np.flatnonzero(np.concatenate(([True], (keys[1:] != keys[:-1]) | (shard[1:] != shard[:-1]))))
    kinds = np.dtype([("s", "<i8"), ("k", "<u8")])
    groups = np.empty(starts.size, kinds)
    groups["s"], groups["k"] = shard[starts], keys[starts]
    wanted = np.empty(new[0].size, kinds)
    wanted["s"], wanted["k"] = new[0], new[1]
    at = np.searchsorted(groups, wanted)
    found = at < groups.size
    found[found] = groups[at[found]] == wanted[found]
    rank_new = 2 * at.astype(np.uint64) + found
    rank_old = 2 * np.repeat(np.arange(starts.size, dtype=np.uint64), np.diff(starts, append=keys.size)) + 1
    shift = np.uint64(21)
    where = np.searchsorted((rank_old << shift) | docs.astype(np.uint64), (rank_new << shift) | new[2].astype(np.uint64))
    return tuple(np.insert(a, where, b) for a, b in zip(old, new))


def _changed_keys(old: tuple[np.ndarray, np.ndarray], new: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Keys in one level of a story's grams that it gained, lost, or holds with another value
    (both lists sorted and distinct)."""
    (old_keys, old_values), (new_keys, new_values) = old, new
    both, at_old, at_new = np.intersect1d(old_keys, new_keys, assume_unique=True, return_indices=True)
    return np.concatenate([np.setdiff1d(old_keys, new_keys, assume_unique=True),
                           np.setdiff1d(new_keys, old_keys, assume_unique=True),
                           both[old_values[at_old] != new_values[at_new]]]).astype(np.uint64)


def _groups(shards: list[int], sizes: list[int]) -> list[list[int]]:
    """Consecutive runs of these shards whose files (of these sizes) hold about GROUP_ENTRIES entries."""
    groups: list[list[int]] = [[]]
    size = 0
    for shard, length in zip(shards, sizes):
        if groups[-1] and size + length > GROUP_ENTRIES * BYTES_PER_ENTRY:
            groups.append([])
            size = 0
        groups[-1].append(shard)
        size += length
    return groups if groups[0] else []


@dataclass
class _Level:
    files: dict[int, bytes]  # shard number → file, for the shards written
    kept: list[int]  # shard numbers whose last-build file stays as it is
    members: np.ndarray


def _gather(docs: list[Story], sizes: np.ndarray,
            let_go: Callable[[list], None] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per level, the keys and values of every story's grams put end to end (doc by doc), in
    arrays made to size (`sizes`: gram counts per story and level). With `let_go`, the stories'
    grams are let go of a batch at a time as they are copied, and their memory handed back: held
    beside a copy of them (and the parse cache's), they were most of the search stage's peak."""
    dtypes = dict(GRAM_ARRAYS)
    levels = []
    for index, (_, width, _) in enumerate(LEVELS):
        total = int(sizes[:, index].sum())
        levels.append((np.empty(total, dtypes[f"keys{width}"]), np.empty(total, dtypes[f"vals{width}"])))
    at = [0] * len(LEVELS)
    for low in range(0, len(docs), LET_GO_BATCH):
        batch = docs[low:low + LET_GO_BATCH]
        for story in batch:
            for index, (_, width, _) in enumerate(LEVELS):
                keys, values = story.search.level(width)
                start, end = at[index], at[index] + keys.size
                levels[index][0][start:end] = keys
                levels[index][1][start:end] = values
                at[index] = end
        if let_go is not None:
            let_go(batch)
            give_back()
    return levels


def _build_level(all_keys: np.ndarray, all_values: np.ndarray, sizes: np.ndarray, index: int, count: int,
                 pool: Executor, write: Callable[[dict[int, bytes]], None]) -> np.ndarray:
    """One level's shard files, handed to `write` a group at a time, and its members, from the
    level's grams of every story end to end (_gather; `sizes`: each story's count of them).

    Shards are built a group at a time: all of a big site's entries of one level sorted at once
    took over a gigabyte of work arrays, while a key's entries all live in one shard, so a group
    of shards can be built alone. Groups run on threads (numpy lets go of the interpreter lock
    while it sorts and computes), which share the level's memory: forked processes copied it,
    170 MB on 10,000 stories."""
    folder, width, hashed = LEVELS[index]
    bits = np.zeros((sizes.size, count), bool)
    if not all_keys.size:
        return np.packbits(bits, axis=1, bitorder="little")
    doc_starts = np.cumsum(sizes) - sizes
    all_shards = np.empty(all_keys.size, np.uint16 if count <= 1 << 16 else np.uint32)
    for start in range(0, all_keys.size, GROUP_ENTRIES):  # a piece at a time: hashing makes temporaries
        piece = slice(start, start + GROUP_ENTRIES)
        all_shards[piece] = _shard_of(all_keys[piece], width, hashed, count, all_shards.dtype)
    groups = min(count, -(-all_keys.size // GROUP_ENTRIES))
    bounds = np.linspace(0, count, groups + 1).astype(np.int64)
    group_at = np.repeat(np.arange(groups, dtype=np.uint8 if groups <= 256 else np.uint16), np.diff(bounds))  # of a shard

    def picks():
        """Each group's entries (positions, ascending), found a block of groups at a time: one
        pass over the level per block, then one over the block per group (a pass over the whole
        level for every group took more time than sorting it)."""
        if groups == 1:
            yield np.arange(all_keys.size)
            return
        per_block = max(1, round(groups ** 0.5))
        block_of = (group_at // group_at.dtype.type(per_block))[all_shards]
        for block, low in enumerate(range(0, groups, per_block)):
            in_block = np.flatnonzero(block_of == block)
            block_groups = group_at[all_shards[in_block]]
            for group in range(low, min(groups, low + per_block)):
                yield in_block[block_groups == group]

    def build_group(picked: np.ndarray) -> dict[int, bytes]:
        """The shards of one group (entries picked in place, so they stay doc by doc). The arrays
        are put in order one by one, each unordered one let go of at once, and doc numbers held
        as the postings take them (int32): a group's work arrays are most of a level's peak."""
        keys, values, shards = all_keys[picked], all_values[picked], all_shards[picked]
        numbers = np.searchsorted(doc_starts, picked, side="right") - 1
        del picked
        bits.reshape(-1)[numbers * count + shards] = True  # groups own disjoint columns
        numbers = numbers.astype(np.int32)
        order = _order_by_shard(keys, shards)
        keys, values, shards, numbers = keys[order], values[order], shards[order], numbers[order]
        del order
        return indexformat.encode_shards(shards, keys, numbers, values, width)

    for built in _map_ahead(pool, build_group, picks(), THREADS + 1):
        write(built)
    return np.packbits(bits, axis=1, bitorder="little")


def _map_ahead(pool: Executor, function: Callable, items, ahead: int):
    """pool.map that takes the next item only when fewer than `ahead` are waiting (Executor.map
    takes them all at once, and a level's picked entries all at once are a copy of the level)."""
    waiting: deque = deque()
    for item in items:
        waiting.append(pool.submit(function, item))
        if len(waiting) >= ahead:
            yield waiting.popleft().result()
    while waiting:
        yield waiting.popleft().result()


class IndexBuilder:
    """Stages every file of output/search/ for one build (see the module docstring)."""

    def __init__(self, site: Site, stager: Stager, out_dir: Path, clean: bool = False,
                 fill_heavy: Callable[[list], None] | None = None,
                 old_grams: Callable[[str], StoryGrams | None] | None = None,
                 let_go: Callable[[list], None] | None = None):
        """`fill_heavy` loads stories' grams (from the parse cache); `let_go` forgets them again, where
        they can be loaded again later; `old_grams` gives the grams of a story's last version."""
        self.site = site
        self.stager = stager
        self.manifest = stager.manifest
        self.out_dir = Path(out_dir)
        self.clean = clean
        self.fill_heavy = fill_heavy or (lambda stories: None)
        self.old_grams = old_grams or (lambda source: None)
        self.let_go = let_go
        self.docs = doc_order(site.stories)
        self.linker = site.linker
        self.column_at = {c: i for i, c in enumerate(site.columns)}
        self.brand_at = {b: i for i, b in enumerate(site.brands)}

    # records -----------------------------------------------------------------------------------

    def _light_record(self, story: Story) -> dict:
        return {"t": story.title, "u": self.linker.path(story.url), "d": format_day(story.date),
                "c": [self.column_at[c] for c in story.columns],
                "b": self.brand_at.get(story.brand, -1) if story.brand else -1}

    # the plan ----------------------------------------------------------------------------------

    def stage(self) -> list[Staged]:
        docs = self.docs
        lights = self.lights = [self._light_record(s) for s in docs]
        sources = [s.digest for s in docs]
        # what each record is made of, by repr (as exact as its JSON, and a JSON encoding each took 10 ms)
        records = [digest(f"{light!r}\x1f{s.digest}".encode("utf-8", "surrogatepass")) for light, s in zip(lights, docs)]
        state = None if self.clean else State.load(self.manifest)
        if state is not None:
            try:
                return self._update(state, lights, sources, records)
            except _Rebuild:
                pass
        return self._build(lights, sources, records)

    def _update(self, state: State, lights: list[dict], sources: list[str], records: list[str]) -> list[Staged]:
        docs, n, old_n = self.docs, len(self.docs), len(state.sources)
        changed_new = [i for i in range(n) if i >= old_n or state.sources[i] != sources[i]]
        changed_old = [i for i in range(old_n) if i >= n or state.sources[i] != sources[i]]
        if len(changed_new) > max(UPDATE_MIN, n // UPDATE_SHARE) or len(changed_old) > max(UPDATE_MIN, old_n // UPDATE_SHARE):
            raise _Rebuild
        old_files = {rel for rel in self.manifest.entries if rel.startswith(INDEX_FILES)}
        out = str(self.out_dir)
        record_todo = [i for i in range(n) if i >= old_n or state.records[i] != records[i]
                       or f"{INDEX_DIR}d/{i}.bin" not in old_files
                       or not os.path.isfile(f"{out}/{INDEX_DIR}d/{i}.bin")]
        self.fill_heavy([docs[i] for i in sorted(set(changed_new) | set(record_todo))])
        sizes = np.zeros((n, len(LEVELS)), np.int64)
        keep = min(n, old_n)
        sizes[:keep] = state.sizes[:keep]
        for i in changed_new:
            sizes[i] = [docs[i].search.level(width)[0].size for _, width, _ in LEVELS]
        counts = [shard_count(int(total)) for total in sizes.sum(axis=0)]
        if counts != state.counts:
            raise _Rebuild
        # A story edited in place whose last version's grams are known is diffed against them.
        diffed = {}
        for i in sorted(set(changed_old) & set(changed_new)):
            grams = self.old_grams(state.sources[i])
            if grams is not None:
                diffed[i] = grams
        levels = [self._update_level(index, state, changed_old, changed_new, counts[index], old_files, diffed)
                  for index in range(len(LEVELS))]
        staged = self._stage_levels(levels)
        staged += self._stage_records(lights, record_todo, {i: docs[i].search.record_tail for i in record_todo})
        todo = set(record_todo)
        staged += [Staged(f"{INDEX_DIR}d/{i}.bin", self.manifest.entries[f"{INDEX_DIR}d/{i}.bin"], None)
                   for i in range(n) if i not in todo]
        return self._finish(staged, State(counts, sources, records, sizes, [lv.members for lv in levels]))

    def _update_level(self, index: int, state: State, changed_old: list[int], changed_new: list[int],
                      count: int, old_files: set[str], diffed: dict[int, StoryGrams]) -> _Level:
        """Rewrites the shards a change touches: for a story diffed against its last version, the
        shards of the grams it gained, lost or counts differently; for any other changed story,
        every shard its old and new grams are in. A touched shard drops all the changed stories'
        old postings and takes their new ones."""
        folder, width, hashed = LEVELS[index]
        n = len(self.docs)
        touched = np.zeros(count, bool)
        whole_old = [i for i in changed_old if i not in diffed]
        if whole_old:
            rows = np.unpackbits(state.members[index][whole_old], axis=1, count=count, bitorder="little")
            touched |= rows.any(axis=0)
        keys, numbers, values = _entries([self.docs[i] for i in changed_new], changed_new, width)
        shard = _shard_of(keys, width, hashed, count)
        members = np.zeros((n, state.members[index].shape[1]), np.uint8)
        unchanged = min(n, len(state.sources))
        members[:unchanged] = state.members[index][:unchanged]
        if changed_new:
            rows = np.searchsorted(np.asarray(changed_new), numbers)
            members[changed_new] = _members(rows, shard, len(changed_new), count)
        is_diffed = np.zeros(n, bool)
        is_diffed[list(diffed)] = True
        touched[shard[~is_diffed[numbers]]] = True
        for i, old in diffed.items():
            delta = _changed_keys(old.level(width), self.docs[i].search.level(width))
            touched[_shard_of(delta, width, hashed, count)] = True
        keep = touched[shard]  # a diffed story's postings elsewhere are what the files hold already
        shard, keys, numbers, values = shard[keep], keys[keep], numbers[keep], values[keep]
        order = np.lexsort((numbers, keys, shard))
        shard, keys, numbers, values = shard[order], keys[order], numbers[order], values[order]
        drop = np.zeros(len(state.sources), bool)
        drop[changed_old] = True
        files: dict[int, bytes] = {}
        # The touched shards as the last build wrote them (checked against the manifest), read
        # once and decoded a group at a time: a file takes about a byte an entry, its decoded
        # postings some 30, and decoding a story's every shard at once took most of a gigabyte
        # on 10,000 stories.
        touched_shards = np.flatnonzero(touched).tolist()
        blobs = {t: self._old_shard(f"{INDEX_DIR}{folder}/{t}.bin", old_files) for t in touched_shards}
        for group in _groups(touched_shards, [len(blobs[t]) for t in touched_shards]):
            old = indexformat.decode_shards([blobs.pop(t) for t in group], width)
            alive = ~drop[old.docs]
            old_entries = (np.asarray(group, np.int64)[old.file][alive], old.keys[alive], old.docs[alive],
                           old.values[alive])
            del old, alive
            low, high = np.searchsorted(shard, [group[0], group[-1] + 1])
            new_entries = (shard[low:high], keys[low:high], numbers[low:high], values[low:high])
            files.update(indexformat.encode_shards(*_merge(old_entries, new_entries), width))
        kept = [t for t in range(count) if not touched[t] and f"{INDEX_DIR}{folder}/{t}.bin" in old_files]
        out = str(self.out_dir)
        if not all(os.path.isfile(f"{out}/{INDEX_DIR}{folder}/{t}.bin") for t in kept):
            raise _Rebuild
        return _Level(files, kept, members)

    def _old_shard(self, rel: str, old_files: set[str]) -> bytes:
        """A shard file as the last build wrote it; b"" for a shard it did not write."""
        if rel not in old_files:
            return b""
        try:
            data = (self.out_dir / rel).read_bytes()
        except OSError:
            raise _Rebuild from None
        if digest(data) != self.manifest.entries[rel]:
            del self.manifest.entries[rel]  # so that the whole build writes it again, not trusting its hash
            raise _Rebuild
        return data

    def _build(self, lights: list[dict], sources: list[str], records: list[str]) -> list[Staged]:
        docs, n = self.docs, len(self.docs)
        self.fill_heavy(docs)
        sizes = np.array([[s.search.level(width)[0].size for _, width, _ in LEVELS] for s in docs],
                         np.int64).reshape(n, len(LEVELS))
        counts = [shard_count(int(total)) for total in sizes.sum(axis=0)]
        tails = [s.search.record_tail for s in docs]
        # Files are written on a thread of their own while the levels are built: writing is
        # mostly the kernel's work, and on one of the pool's threads it left a single thread
        # building groups until the last record was written.
        with ThreadPoolExecutor(1) as writer, ThreadPoolExecutor(THREADS) as pool:
            written = [writer.submit(self._stage_records, lights, range(n), tails)]
            del tails  # the writer's: let go of as soon as the last record is written
            try:
                levels = _gather(docs, sizes, self.let_go)  # the stories' grams are let go of here
                # one level at a time: all three levels' work arrays at once took 120 MB more at the peak
                members = []
                for index in range(len(LEVELS)):
                    def write(files: dict[int, bytes], index: int = index) -> None:
                        written.append(writer.submit(self._stage_files, index, files))

                    keys, values = levels[index]
                    levels[index] = None  # so that a level's arrays go when it is built
                    members.append(_build_level(keys, values, sizes[:, index], index, counts[index], pool, write))
                    del keys, values
                staged = [item for part in written for item in part.result()]
            except BaseException:
                writer.shutdown(cancel_futures=True)
                done = [part for part in written if not part.cancelled()]
                whole = all(part.exception() is None for part in done)  # else look for temporaries instead
                self.stager.discard([item for part in done for item in part.result()] if whole else [])
                raise
        return self._finish(staged, State(counts, sources, records, sizes, members))

    def _stage_records(self, lights: list[dict], numbers, tails) -> list[Staged]:
        """The result records of these document numbers (`tails`: each one's record_tail, by number)."""
        return [self.stager.stage_bytes(f"{INDEX_DIR}d/{i}.bin", story_record(lights[i], tails[i])) for i in numbers]

    def _stage_levels(self, levels: list[_Level]) -> list[Staged]:
        staged = []
        for index, level in enumerate(levels):
            staged += self._stage_files(index, level.files)
            folder = LEVELS[index][0]
            staged += [Staged(rel, self.manifest.entries[rel], None)
                       for rel in (f"{INDEX_DIR}{folder}/{number}.bin" for number in level.kept)]
        return staged

    def _stage_files(self, index: int, files: dict[int, bytes]) -> list[Staged]:
        folder = LEVELS[index][0]
        return [self.stager.stage_bytes(f"{INDEX_DIR}{folder}/{number}.bin", data) for number, data in files.items()]

    def _finish(self, staged: list[Staged], state: State) -> list[Staged]:
        """The small whole-site files: facets, the traditional → simplified table, meta."""
        site = self.site
        combos: dict[tuple, int] = {}
        facet = []
        for light in self.lights:
            facet.append(combos.setdefault((light["b"], tuple(light["c"])), len(combos)))
        staged.append(self.stager.stage_bytes(f"{INDEX_DIR}facets.json",
                                              _json({"combos": [[b, list(c)] for b, c in combos], "docs": facet})))
        buckets: dict[int, dict[str, str]] = {}
        for source, target in t2s_table().items():
            buckets.setdefault(ord(source) >> 8, {})[source] = target
        for bucket, table in buckets.items():
            staged.append(self.stager.stage_bytes(f"{INDEX_DIR}fold/{bucket}.json", _json(table)))
        version = hashlib.blake2b(digest_size=8)
        for item in sorted(staged, key=lambda item: item.rel):
            version.update(f"{item.rel}\x1f{item.stamp}\x1e".encode())
        meta = {
            "format": indexformat.FORMAT, "version": version.hexdigest(), "stories": len(self.docs),
            "shards": state.counts, "page": indexformat.PAGE_SIZE, "fold": sorted(buckets),
            "columns": [[site.columns[c].title] for c in site.columns],
            "brands": [[b.name, self.brand_at.get(b.parent, -1) if b.parent else -1] for b in site.brands.values()],
        }
        meta_staged = self.stager.stage_bytes(f"{INDEX_DIR}meta.json", _json(meta))
        staged.append(meta_staged)
        state.save(self.manifest, meta_staged.stamp)
        return staged


def stage_index(site: Site, stager: Stager, out_dir: Path, clean: bool = False,
                fill_heavy: Callable[[list], None] | None = None,
                old_grams: Callable[[str], StoryGrams | None] | None = None,
                let_go: Callable[[list], None] | None = None) -> list[Staged]:
    return IndexBuilder(site, stager, out_dir, clean, fill_heavy, old_grams, let_go).stage()
