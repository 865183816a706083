"""The parse cache: each content file's parsed record, keyed by its content hash and the engine
version, kept in `.cache/parse.sqlite` in the site folder.

A record is stored in two parts: the light part (front matter, summary, refs: everything the site
graph needs, loaded for every build) and the heavy part (the body's HTML and text, loaded only for
the pages that are rendered). A file whose size and modification time are unchanged is not even
read; one whose bytes are unchanged is not parsed again.
"""
from __future__ import annotations

import copy
import hashlib
import pickle
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from . import ENGINE_VERSION
from .content import HEAVY_FIELDS, Entry, Parsed, parse_file
from .problems import Problem

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS entries (
    rel TEXT PRIMARY KEY, stamp TEXT, digest TEXT, light BLOB, heavy BLOB, problems BLOB
);
"""


@dataclass
class Row:
    """One cached file: enough to rebuild its record without reading or parsing the file."""

    rel: str
    stamp: str  # "size:mtime_ns" of the source when it was parsed
    digest: str  # hash of the source bytes
    light: bytes  # pickled record without its heavy fields (None when the file could not be read)
    heavy: bytes | None  # pickled heavy fields; None until needed when loaded from disk
    problems: bytes  # pickled list[Problem]


# File times come from a coarse clock, so a file changed twice within one tick keeps its stamp
# ("racy git"). A stamp is trusted only when the file is older than the last scan by this margin;
# younger files are hashed again.
RACY_MARGIN_NS = 2_000_000_000


def file_stamp(path: Path) -> str:
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}"


def stamp_mtime(stamp: str) -> int:
    return int(stamp.rsplit(":", 1)[1])


def source_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def split_record(item: Entry | None) -> tuple[bytes, bytes]:
    """(light, heavy) pickles of a parsed record."""
    if item is None:
        return pickle.dumps(None), pickle.dumps(None)
    light = copy.copy(item)
    for name in HEAVY_FIELDS:
        setattr(light, name, None)
    heavy = tuple(getattr(item, name) for name in HEAVY_FIELDS)
    return pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL), pickle.dumps(heavy, protocol=pickle.HIGHEST_PROTOCOL)


def parse_to_row(path: Path, rel: str, stamp: str) -> Row:
    """Read and parse one file into a cache row (runs in worker processes on cold builds)."""
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    parsed = parse_file(path, rel, data)
    digest = source_digest(data)
    if parsed.item is not None:
        parsed.item.digest = digest
    light, heavy = split_record(parsed.item)
    return Row(rel, stamp, digest, light, heavy, pickle.dumps(parsed.problems))


class ParseCache:
    """Rows by content-relative path; persisted in SQLite when a path is given."""

    def __init__(self, path: Path | None):
        self.path = path
        self.rows: dict[str, Row] = {}
        self.trusted_before = 0  # stamps of files modified before this (ns) are trusted
        self._heavy: dict[str, tuple] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._open(path)

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(SCHEMA)
            version = self._db.execute("SELECT value FROM meta WHERE key='engine'").fetchone()
            if version is None or version[0] != ENGINE_VERSION:
                self._db.execute("DELETE FROM entries")
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('engine', ?)", (ENGINE_VERSION,))
            scanned = self._db.execute("SELECT value FROM meta WHERE key='scanned'").fetchone()
            self.trusted_before = int(scanned[0]) - RACY_MARGIN_NS if scanned else 0
            for rel, stamp, digest, light, problems in self._db.execute(
                    "SELECT rel, stamp, digest, light, problems FROM entries"):
                self.rows[rel] = Row(rel, stamp, digest, light, None, problems)
        except sqlite3.DatabaseError:
            # A damaged cache is only a lost speed-up: start over with an empty one.
            if self._db is not None:
                self._db.close()
            path.unlink(missing_ok=True)
            self.rows = {}
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('engine', ?)", (ENGINE_VERSION,))

    def fresh(self, rel: str, stamp: str) -> Row | None:
        """The row, when the file's stamp is unchanged and old enough to be trusted."""
        row = self.rows.get(rel)
        if row is None or row.stamp != stamp or stamp_mtime(stamp) >= self.trusted_before:
            return None
        return row

    def mark_scanned(self, scanned_ns: int) -> None:
        """Remember when the files were looked at; later stamps are judged against it."""
        self.trusted_before = scanned_ns - RACY_MARGIN_NS
        if self._db is not None:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('scanned', ?)", (str(scanned_ns),))

    def store(self, rows: list[Row], gone: list[str]) -> None:
        for row in rows:
            self.rows[row.rel] = row
            self._heavy.pop(row.rel, None)
        for rel in gone:
            self.rows.pop(rel, None)
            self._heavy.pop(rel, None)
        if self._db is None or not (rows or gone):
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
                [(r.rel, r.stamp, r.digest, r.light, r.heavy, r.problems) for r in rows])
            self._db.executemany("DELETE FROM entries WHERE rel = ?", [(rel,) for rel in gone])

    def restamp(self, rel: str, stamp: str) -> None:
        """The file was touched but its bytes are the same: remember the new stamp."""
        row = self.rows[rel]
        row.stamp = stamp
        if self._db is not None:
            self._db.execute("UPDATE entries SET stamp = ? WHERE rel = ?", (stamp, rel))

    def record(self, rel: str) -> Parsed:
        """A fresh record from the light part (the site stage may change records it is given)."""
        row = self.rows[rel]
        item = pickle.loads(row.light)
        problems: list[Problem] = pickle.loads(row.problems)
        return Parsed(item, problems)

    def fill_heavy(self, entries: list[Entry]) -> None:
        """Load the body HTML and text of these records (only what is missing)."""
        missing = [e.rel for e in entries if e.rel not in self._heavy]
        for rel in missing:
            row = self.rows.get(rel)
            if row is not None and row.heavy is not None:
                self._heavy[rel] = pickle.loads(row.heavy)
                row.heavy = None  # keep one copy: the unpickled one
        missing = [rel for rel in missing if rel not in self._heavy]
        if missing and self._db is not None:
            for start in range(0, len(missing), 500):
                batch = missing[start:start + 500]
                marks = ",".join("?" * len(batch))
                for rel, heavy in self._db.execute(f"SELECT rel, heavy FROM entries WHERE rel IN ({marks})", batch):
                    self._heavy[rel] = pickle.loads(heavy)
        for entry in entries:
            if entry.html is None:
                for name, value in zip(HEAVY_FIELDS, self._heavy[entry.rel]):
                    setattr(entry, name, value)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
