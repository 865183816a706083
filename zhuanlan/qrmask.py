"""The QR code zxing-cpp draws, with the mask it would choose, for about a third of the cost.

zxing-cpp's writer (Zint) masks the data with each of the standard's eight patterns, scores each
masked symbol by the standard's four penalty rules and keeps the lowest: most of the time it takes
for a code. Here zxing-cpp encodes once, with mask 0, and the other seven candidates are derived
and scored in numpy, all eight at once; the candidate Zint would keep is returned, so the code is
zxing-cpp's own, module for module (tests/test_qr.py compares thousands).

Deriving the candidates needs no tables: the symbol masked with pattern k differs from the one
masked with pattern 0 only where the two patterns differ on a data module, and in the format
information, which names the mask. Both depend on the symbol's version and error correction level,
never on the content; so that difference, learnt once per size and level from the first content
of that size (eight fixed-mask encodes of it), turns any other content's mask-0 symbol into its
mask-k symbol by an exclusive or.

Scoring works on bitboards: each row and each column of a candidate is one 64-bit integer (bit i =
module i), so a rule is a few shifts and ands over 8 × 2 × side integers and a bit count. Symbols
wider than 64 modules (version 12 and up: URLs of some 250 bytes and more) are left to zxing-cpp.
"""
from __future__ import annotations

import functools

import numpy as np

MASKS = 8
WIDEST = 64  # modules a bitboard holds

_flips: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}  # (side, level) -> what mask k changes


def modules(text: str, level: str) -> np.ndarray:
    """The symbol of `text` as zxing-cpp draws it at error correction `level`, True for dark."""
    first = _encode(text, level, 0)
    side = first.shape[0]
    if side > WIDEST:
        return _encode(text, level, None)
    key = (side, level)
    if key not in _flips:
        flips = np.stack([first ^ _encode(text, level, mask) for mask in range(MASKS)])
        _flips[key] = flips, bitboards(flips)
    flips, flip_boards = _flips[key]
    scores = penalties(bitboards(first[np.newaxis]) ^ flip_boards, side)
    return first ^ flips[int(np.argmin(scores))]  # the first of equals, as Zint keeps


def _encode(text: str, level: str, mask: int | None) -> np.ndarray:
    import zxingcpp

    if mask is None:  # zxing-cpp chooses
        code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=level)
    else:  # keywords, not options="ecLevel=M,dataMask=0": that string quietly gives level L
        code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=level, data_mask=mask)
    return np.asarray(code.to_image(scale=1, add_quiet_zones=False)) < 128


def bitboards(symbols: np.ndarray) -> np.ndarray:
    """(count, side, side) booleans -> (count, 2 × side) uint64: the rows, then the columns."""
    count, side, _ = symbols.shape
    lines = np.concatenate([symbols, symbols.transpose(0, 2, 1)], axis=1)
    boards = np.zeros((count, 2 * side, WIDEST // 8), np.uint8)
    boards[..., :(side + 7) // 8] = np.packbits(lines, axis=2, bitorder="little")
    return boards.view("<u8")[..., 0]


@functools.cache
def _tables(side: int) -> tuple[np.uint64, list[int], np.ndarray]:
    """For symbols `side` modules wide: the bits of a line but its last; where each group of bit
    counts in penalties() begins; and rule 4 by the number of dark modules: 10 for each whole 5%
    the dark share is away from 50%, in Zint's floating-point arithmetic."""
    firsts = [0, 2 * side, 4 * side, 5 * side - 1, 7 * side - 1]
    percent = 100.0 * np.arange(side * side + 1) / (side * side)
    balance = 10 * np.floor(np.abs(percent - 50.0) / 5.0).astype(np.int64)
    return np.uint64((1 << (side - 1)) - 1), firsts, balance


WEIGHTS = np.array([3, -2, 3, 40])  # of the bit counts below: rules 1 (two counts), 2 and 3
# shifts by numpy integers: a Python int is converted on every operation, a third of its time
S1, S2, S3, S4, S10 = (np.uint64(n) for n in (1, 2, 3, 4, 10))


def penalties(boards: np.ndarray, side: int) -> np.ndarray:
    """The penalty of each symbol, given as bitboards, by the standard's four rules as Zint counts
    them (on the whole symbol with its format and version information, without quiet zone).
    Written for few numpy calls: on arrays this small each costs about a microsecond, whatever it does."""
    all_but_last, firsts, balance = _tables(side)
    b = boards
    rows = b[:, :side]
    after = b >> S1
    same = ~(b ^ after) & all_but_last  # bit i: module i has the colour of module i + 1

    # 1. a run of 5 or more modules of one colour: its length - 2. Count its 5-module windows: a run
    # of n ≥ 5 has n - 4 of them and n - 5 overlapping the one before, and 3(n-4) - 2(n-5) = n - 2.
    pairs = same & (same >> S1)
    five = pairs & (pairs >> S2)  # bit i: modules i to i + 4 of one colour
    six = five & (five << S1)  # bit i: modules i - 1 to i + 4

    # 2. each 2×2 block of one colour (overlapping blocks each count): 3
    blocks = same[:, :side - 1] & same[:, 1:side] & ~(rows[:, :-1] ^ rows[:, 1:])

    # 3. each dark-light-dark-dark-dark-light-dark (1:1:3:1:1) with 4 light modules before or after it
    # (beyond the edge counts as light): 40, once even if light on both sides
    ends = b & ~after & (b >> S2)  # bit i: modules i to i + 2 dark, light, dark
    finder = ends & (ends >> S4) & (b >> S3)
    last4 = b | (b << S1)
    last4 |= last4 << S2  # bit i: a dark module among i - 3 to i (none beyond the edge)
    finder &= ~((last4 << S1) & (last4 >> S10))

    counts = np.bitwise_count(np.concatenate([five, six, blocks, finder, rows], axis=1))
    sums = np.add.reduceat(counts, firsts, axis=1, dtype=np.int64)
    return sums[:, :4] @ WEIGHTS + balance[sums[:, 4]]  # the last: dark modules, for rule 4
