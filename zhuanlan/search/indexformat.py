"""The binary files of the index under output/search/: where a gram's postings go (the levels and
the shard hash) and how a shard file holds them. Used by the index stage (searchindex.py) and the
reference reader; the parse stage does not need it.

The index answers every query of 1–4 units exactly with a single shard per query:
  i1/   one unit   → stories with counts           (1-character queries)
  i2/   two units  → stories with counts           (2-character queries)
  i4/   four units → stories with counts, sharded by their first three units, so that a
        3-character query reads every "ABCx" in one shard and a 4-character query reads "ABCD".
Each posting carries count·2 + (1 if the gram is in the title). The result records (d/) are
records.py.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

INDEX_DIR = "search/"
FORMAT = 2  # of every file under search/, the records (records.py) included
PAGE_SIZE = 10  # results shown at a time (meta.json tells search.js)
LEVELS = (("i1", 1, 1), ("i2", 2, 2), ("i4", 4, 3))  # folder, units per key, units hashed
DENSE = 0x8000_0000  # flag on a key's end offset: its documents are a bitmap
NIBBLE_ESCAPE = 15  # a dense value's nibble: value − 2, or this when the value is written after the nibbles


# -- which shard a key goes in ----------------------------------------------------------------

def shard_hash(units) -> int:
    """FNV-1a over 16-bit units, then a final mix; search.js has the same function."""
    h = 0x811C9DC5
    for unit in units:
        h = ((h ^ int(unit)) * 0x01000193) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    return h ^ (h >> 12)


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


# -- LEB128 -----------------------------------------------------------------------------------

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


def _peek_varint(data: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The LEB128 value (below 2**21) starting at each offset, and its length in bytes."""
    b0, b1, b2 = (data[at + k].astype(np.int64) for k in range(3))
    two = b0 >= 0x80
    three = two & (b1 >= 0x80)
    value = (b0 & 0x7F) + np.where(two, (b1 & 0x7F) << 7, 0) + np.where(three, (b2 & 0x7F) << 14, 0)
    return value, 1 + two.astype(np.int64) + three


# -- postings: each key's in the sparse or the dense form, whichever is shorter ---------------

@dataclass
class Postings:
    """Encoded postings of sorted entries, key by key (see encode_shards)."""

    keys: np.ndarray  # each key once, in entry order
    first: np.ndarray  # index of each key's first entry
    data: np.ndarray  # uint8: all keys' postings, one after another
    end: np.ndarray  # int64: end of each key's postings in data
    dense: np.ndarray  # bool


@dataclass
class _Runs:
    """Entries sorted by key and doc, seen as runs of one key: what both forms are made from."""

    docs: np.ndarray  # int32
    values: np.ndarray
    value_sizes: np.ndarray  # LEB128 bytes of each value
    starts: np.ndarray  # each key's first entry
    lasts: np.ndarray  # each key's last entry
    counts: np.ndarray  # entries of each key


class _SparseForm:
    """A key's postings as LEB128 pairs (doc gap, value), the first gap counted from 0."""

    def __init__(self, runs: _Runs):
        docs, starts = runs.docs, runs.starts
        gaps = np.empty(docs.size, np.int32)
        gaps[0] = docs[0]
        np.subtract(docs[1:], docs[:-1], out=gaps[1:])
        gaps[starts] = docs[starts]
        self.runs, self.gaps, self.gap_sizes = runs, gaps, _varint_sizes(gaps)
        self.pairs_end = np.cumsum(self.gap_sizes + runs.value_sizes, dtype=np.int64)  # running byte count
        self.length = np.diff(self.pairs_end[runs.lasts], prepend=0)  # bytes of each key's postings

    def write(self, out: np.ndarray, begin: np.ndarray, chosen: np.ndarray) -> None:
        """Write the postings of the chosen keys (a mask) at their offsets (`begin`) in `out`."""
        runs = self.runs
        keys = np.flatnonzero(chosen)
        if not keys.size:
            return
        if keys.size == runs.starts.size:
            entries = np.arange(runs.docs.size)
        else:
            entries = np.flatnonzero(np.repeat(chosen, runs.counts))
        first = runs.starts[keys]
        # where a key's pairs start, less the running count at its first entry, plus the running count
        base = begin[keys] - (self.pairs_end[first] - self.gap_sizes[first] - runs.value_sizes[first])
        at = np.repeat(base, runs.counts[keys]) + self.pairs_end[entries] - self.gap_sizes[entries] \
            - runs.value_sizes[entries]
        _put_varints(out, at, self.gaps[entries], self.gap_sizes[entries])
        _put_varints(out, at + self.gap_sizes[entries], runs.values[entries], runs.value_sizes[entries])


class _DenseForm:
    """A key's postings as LEB128 first doc, LEB128 bitmap length B, B bytes of bitmap, then a
    nibble per set bit (value − 2, or NIBBLE_ESCAPE with the value as LEB128 after the nibbles)."""

    def __init__(self, runs: _Runs):
        self.runs = runs
        self.first_doc = runs.docs[runs.starts].astype(np.int64)
        self.bitmap_len = (runs.docs[runs.lasts] - self.first_doc) // 8 + 1
        self.head_len = _varint_sizes(self.first_doc).astype(np.int64) + _varint_sizes(self.bitmap_len)
        self.escaped = runs.values >= NIBBLE_ESCAPE + 2
        self.escape_end = np.cumsum(np.where(self.escaped, runs.value_sizes, 0), dtype=np.int64)
        escape_len = np.diff(self.escape_end[runs.lasts], prepend=0)
        self.length = self.head_len + self.bitmap_len + (runs.counts + 1) // 2 + escape_len

    def write(self, out: np.ndarray, begin: np.ndarray, chosen: np.ndarray) -> None:
        """Write the postings of the chosen keys (a mask) at their offsets (`begin`) in `out`."""
        runs = self.runs
        keys = np.flatnonzero(chosen)
        if not keys.size:
            return
        entries = np.flatnonzero(np.repeat(chosen, runs.counts))
        held = runs.counts[keys]
        first, first_doc, bitmap_len = runs.starts[keys], self.first_doc[keys], self.bitmap_len[keys]
        nibbles_at = begin[keys] + self.head_len[keys] + bitmap_len
        index = entries - np.repeat(first, held)  # each entry's place in its key
        nibble = np.minimum(runs.values[entries] - 2, NIBBLE_ESCAPE).astype(np.uint8) << ((index & 1) * 4).astype(np.uint8)
        byte = np.repeat(nibbles_at, held) + (index >> 1)
        group = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        out[byte[group]] = np.bitwise_or.reduceat(nibble, group)
        loud = entries[self.escaped[entries]]
        if loud.size:
            base = nibbles_at + (held + 1) // 2 - (self.escape_end[first]
                                                   - np.where(self.escaped, runs.value_sizes, 0)[first])
            owner = np.searchsorted(first, loud, side="right") - 1
            _put_varints(out, base[owner] + self.escape_end[loud] - runs.value_sizes[loud], runs.values[loud],
                         runs.value_sizes[loud])
        first_sizes = _varint_sizes(first_doc)
        _put_varints(out, begin[keys], first_doc, first_sizes)
        _put_varints(out, begin[keys] + first_sizes, bitmap_len, _varint_sizes(bitmap_len))
        # bits: entries of one byte are neighbours (docs ascend), so OR them group by group
        offset = runs.docs[entries] - np.repeat(first_doc, held)
        byte = np.repeat(begin[keys] + self.head_len[keys], held) + (offset >> 3)
        bit = np.left_shift(np.uint8(1), (offset & 7).astype(np.uint8))
        group = np.flatnonzero(np.concatenate(([True], byte[1:] != byte[:-1])))
        out[byte[group]] = np.bitwise_or.reduceat(bit, group)


def encode_postings(keys: np.ndarray, docs: np.ndarray, values: np.ndarray) -> Postings:
    """Postings of entries sorted by key (in any order of keys, equal keys together) and doc."""
    n = keys.size
    if n == 0:
        empty = np.empty(0, np.int64)
        return Postings(keys[:0], empty, np.empty(0, np.uint8), empty, np.empty(0, bool))
    new_key = np.empty(n, bool)
    new_key[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new_key[1:])
    starts = np.flatnonzero(new_key)
    lasts = np.append(starts[1:], n) - 1
    runs = _Runs(docs.astype(np.int32, copy=False), values, _varint_sizes(values), starts, lasts, lasts - starts + 1)
    sparse, dense = _SparseForm(runs), _DenseForm(runs)
    is_dense = dense.length < sparse.length
    length = np.where(is_dense, dense.length, sparse.length)
    end = np.cumsum(length)
    begin = end - length
    out = np.zeros(int(end[-1]), np.uint8)
    sparse.write(out, begin, ~is_dense)
    dense.write(out, begin, is_dense)
    return Postings(keys[starts], starts, out, end, is_dense)


# -- shard files ------------------------------------------------------------------------------

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


def assemble_shards(key_shard: np.ndarray, postings: Postings, width: int) -> dict[int, bytes]:
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
    per_key, sp_docs, sp_values = _decode_sparse(data, begin[sparse], lengths[sparse])
    counts[sparse] = per_key
    held, de_docs, de_values = _decode_dense(data, begin[dense], lengths[dense])
    counts[dense] = held
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


def _decode_sparse(data: np.ndarray, begin: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    """Entries of each key, and the docs and values of all, of sparse postings at these offsets."""
    sp_bytes = data[np.repeat(begin - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))]
    numbers = _unvarints(sp_bytes)
    last = sp_bytes < 0x80
    per_key = np.add.reduceat(last.astype(np.int64), np.cumsum(lengths) - lengths) // 2 if lengths.size else lengths
    gaps, values = numbers[0::2], numbers[1::2]
    running = np.cumsum(gaps)
    key_start = np.cumsum(per_key) - per_key
    docs = running - np.repeat(running[key_start] - gaps[key_start], per_key) if gaps.size else gaps
    return per_key, docs, values


def _decode_dense(data: np.ndarray, begin: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, ...]:
    """Entries of each key, and the docs and values of all, of dense postings at these offsets:
    first doc, bitmap length, bitmap, values."""
    first, one = _peek_varint(data, begin)
    bitmap_len, two = _peek_varint(data, begin + one)
    bitmap_at = begin + one + two
    bitmaps = data[np.repeat(bitmap_at - (np.cumsum(bitmap_len) - bitmap_len), bitmap_len)
                   + np.arange(int(bitmap_len.sum()))]
    bits = np.unpackbits(bitmaps, bitorder="little")
    set_bits = np.flatnonzero(bits)
    bit_base = (np.cumsum(bitmap_len) - bitmap_len) * 8
    owner = np.searchsorted(bit_base, set_bits, side="right") - 1
    docs = first[owner] + set_bits - bit_base[owner]
    held = np.bincount(owner, minlength=begin.size)
    nibbles_at = bitmap_at + bitmap_len
    index = np.arange(set_bits.size) - np.repeat(np.cumsum(held) - held, held)
    values = ((data[nibbles_at[owner] + (index >> 1)] >> ((index & 1) * 4).astype(np.uint8)) & 0x0F).astype(np.int64) + 2
    loud = np.flatnonzero(values == NIBBLE_ESCAPE + 2)
    escape_at = nibbles_at + (held + 1) // 2
    escape_len = begin + lengths - escape_at
    escapes = _unvarints(data[np.repeat(escape_at - (np.cumsum(escape_len) - escape_len), escape_len)
                              + np.arange(int(escape_len.sum()))])
    if escapes.size != loud.size:
        raise ValueError("search index: a dense posting list does not match its bitmap")
    values[loud] = escapes
    return held, docs, values
