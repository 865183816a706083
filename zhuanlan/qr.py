"""QR codes of page URLs (扫码在手机上阅读), drawn at build time as inline SVG.

zxing-cpp makes the code (its writer is Zint's, in C; a pure-Python encoder took 7 ms a code and a
cold build of 10,000 stories spent most of its render stage on it). Zint spent most of its 0.3 ms
scoring the standard's eight masks one after the other; qrmask asks it for mask 0 only and picks
the mask the way Zint does, all eight scored at once in numpy, so the code is still zxing-cpp's
own. The SVG path is drawn here from the module matrix.
Codes are still kept between builds in `.cache/qr.sqlite`, keyed by the URL and the drawing
options, so a page rendered again looks its code up. Forked workers open their own read-only
connection; the codes they draw are handed back to the parent (`take_new`), which alone writes
(`save`).

A code is a function of its URL, so a page that shows the code of its own URL needs no extra
fingerprint: the URL is part of the page's data (meta.canonical).
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
from markupsafe import Markup, escape

from . import qrmask
from .stamps import engine_key, installed_version, text_digest

# Medium error correction: still reads with a smudge or a glare on a screen; 4 modules of quiet
# zone, as the standard asks, inside the SVG so no stylesheet can take it away.
ERROR = "M"
BORDER = 4
# qrmask's codes are zxing-cpp's own, module for module (Zint's choice of mask, made faster;
# tests/test_qr.py compares thousands), so OPTIONS need not name it.
OPTIONS = f"zxing-cpp {installed_version('zxingcpp', 'zxing-cpp')}; error {ERROR}; border {BORDER}; svg 2"
OPTIONS_KEY = text_digest(OPTIONS, engine_key(), size=8)  # codes drawn by other code are not reused

_LARGEST = 256  # beyond any move or run: the largest code is 177 modules wide
_NUMBERS = np.array([str(number) for number in range(-_LARGEST, _LARGEST)], object)

SCHEMA = "CREATE TABLE IF NOT EXISTS codes (key TEXT PRIMARY KEY, url TEXT, svg TEXT)"


def modules(url: str) -> np.ndarray:
    """The code's modules, True for dark, without the quiet zone."""
    return qrmask.modules(url, ERROR)  # zxing-cpp is imported there, only when a code is drawn


def draw(url: str) -> str:
    """The SVG of a QR code of `url`: a white square and one black path of horizontal runs (a
    1-unit stroke through each row's middle), no size (the stylesheet sets it)."""
    dark = modules(url)
    height, width = dark.shape
    side = width + 2 * BORDER
    padded = np.zeros((height, width + 2), np.int8)
    padded[:, 1:-1] = dark
    rows, cols = np.nonzero(padded[:, 1:] != padded[:, :-1])  # row-major: each run's start, then its end
    starts, ends, run_rows = cols[::2], cols[1::2], rows[::2]
    # relative moves from the end of one run to the start of the next keep the path short; the
    # numbers' text is looked up and joined in one go (a string per run cost as much as making the
    # code, formatting them all with % half as much)
    moves = np.empty((len(starts), 3), np.int64)
    moves[0, :2] = starts[0] + BORDER, run_rows[0] + BORDER
    moves[1:, 0] = starts[1:] - ends[:-1]
    moves[1:, 1] = run_rows[1:] - run_rows[:-1]
    moves[:, 2] = ends - starts
    pieces = np.empty((len(starts), 6), object)  # per run: "m", x, " ", y, "h", length
    pieces[:, 0::2] = "m", " ", "h"
    pieces[0, 0::2] = "M", " ", ".5h"
    pieces[:, 1::2] = _NUMBERS[moves + _LARGEST]
    path = "".join(pieces.ravel().tolist())
    return (f'<svg viewBox="0 0 {side} {side}"><path fill="#fff" d="M0 0h{side}v{side}h-{side}z"/>'
            f'<path shape-rendering="crispEdges" stroke="#000" d="{path}"/></svg>')


def _key(url: str) -> str:
    return f"{OPTIONS_KEY}:{url}"


class QrCodes:
    """Codes by URL: from this build, from the cache, or drawn now."""

    def __init__(self, path: Path | None, reuse: bool = True):
        self.path = path
        self.reuse = reuse  # False: draw every code again (build --clean), and store the new ones
        self.new: dict[str, str] = {}  # drawn in this process since the last take_new()
        self.drawn = 0  # codes drawn by this process (for tests and benchmarks)
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._missing = 0  # the process that found no cache file (only save(), in the parent, makes one)

    def svg(self, url: str, label: str = "") -> Markup:
        """Inline SVG markup of the code of `url`; `label` names it for screen readers."""
        role = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
        return Markup(self._drawing(url).replace("<svg ", f'<svg class="qr-code" focusable="false"{role} ', 1))

    def plain(self, url: str) -> Markup:
        """The code of `url` as drawn, for a page that places and labels it itself (the 展评 deck)."""
        return Markup(self._drawing(url))

    def _drawing(self, url: str) -> str:
        found = self.new.get(url)
        if found is None:
            found = self._lookup(url) if self.reuse else None
            if found is None:
                found = self.new[url] = draw(url)
                self.drawn += 1
        return found

    # -- the cache --------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection | None:
        """A connection of this process's own: one opened before a fork must not be used after it."""
        if self.path is None:
            return None
        if self._db is None or self._pid != os.getpid():
            if self._missing == os.getpid():  # a cold build: no need to look for the file on every page
                return None
            if not self.path.exists():
                self._missing = os.getpid()
                return None
            try:
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
                self._pid = os.getpid()
            except sqlite3.Error:
                return None
        return self._db

    def _lookup(self, url: str) -> str | None:
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute("SELECT svg FROM codes WHERE key = ?", (_key(url),)).fetchone()
        except sqlite3.Error:  # damaged or from another version: only a lost speed-up
            return None
        return row[0] if row else None

    def take_new(self) -> dict[str, str]:
        """The codes drawn since the last call (a worker hands them to the parent)."""
        new, self.new = self.new, {}
        return new

    def save(self, codes: dict[str, str], keep_urls: set[str] | None = None) -> None:
        """Store `codes`; with `keep_urls`, forget codes of URLs the site no longer has."""
        if self.path is None or (not codes and keep_urls is None):
            return
        self.close()
        self._missing = 0
        try:
            self._write(codes, keep_urls)
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)  # damaged: start again
            self._write(codes, keep_urls)

    def _write(self, codes: dict[str, str], keep_urls: set[str] | None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            db.execute(SCHEMA)
            db.execute("BEGIN")
            db.executemany("INSERT OR REPLACE INTO codes VALUES (?, ?, ?)",
                           [(_key(url), url, svg) for url, svg in codes.items()])
            if keep_urls is not None:
                keep = {_key(url) for url in keep_urls}
                gone = [(key,) for (key,) in db.execute("SELECT key FROM codes") if key not in keep]
                db.executemany("DELETE FROM codes WHERE key = ?", gone)
            db.execute("COMMIT")
        finally:
            db.close()

    def close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None
