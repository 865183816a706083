"""The parse cache: each content file's parsed record, keyed by its content hash and the engine
version, kept in `.cache/parse.sqlite` in the site folder.

A record is stored in parts: the light part (front matter, summary, refs: everything the site
graph needs, loaded for every build) and two heavy parts (the body's HTML, loaded only for the pages
that are rendered; the search grams and record text, loaded only when the search index is
rebuilt). The plain text is not stored. A file whose size and modification time are unchanged is
not even read; one whose bytes are unchanged is not parsed again.

A cache is only a speed-up: it is keyed by the engine (stamps.engine_key: a digest of this code),
and a row that cannot be read all the same is parsed again. Nothing in it names the site folder:
a record's path and its problems' paths are put back on load, so a copied or moved site's
messages name its own files.
"""
from __future__ import annotations

import copy
import os
import pickle
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import textrules
from .content import HEAVY_FIELDS, HEAVY_PARTS, Entry, Parsed, Story, parse_file, slug_texts
from .problems import Problem
from .sanitize import HtmlPolicy
from .search.grams import analyse_many
from .stamps import RACY_MARGIN_NS, digest, engine_key, stamp_mtime
from .text import remember_slugs
from .textrules import WordList

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS entries (
    rel TEXT PRIMARY KEY, stamp TEXT, digest TEXT, light BLOB, body BLOB, "index" BLOB, problems BLOB,
    words TEXT, text_problems BLOB
);
"""


@dataclass
class Row:
    """One cached file: enough to rebuild its record without reading or parsing the file."""

    rel: str
    stamp: str  # "size:mtime_ns" of the source when it was parsed
    digest: str  # hash of the source bytes
    light: bytes  # pickled record without its heavy fields (None when the file could not be read)
    problems: bytes  # pickled list[Problem]
    words: str = ""  # key of the word list the text rules ran with
    text_problems: bytes = b""  # pickled list[Problem] of the build's text rules (textrules.scan_errors)
    heavy: dict[str, bytes] = field(default_factory=dict)  # part → pickled fields, while not yet stored


REPLACED_MAX = 1000  # replaced rows kept for the search update (see ParseCache.replaced)
THIS_FILE = "\x00"  # stands for the cached file's own path in stored records and problems


def portable_problems(problems: list[Problem], path: str) -> bytes:
    """Pickled problems, the file's own path left out (put back by local_problems)."""
    return pickle.dumps([replace(p, path=THIS_FILE) if p.path == path else p for p in problems])


_NO_PROBLEMS = pickle.dumps([])  # what most files have: two of them a record, read by every rebuild


def local_problems(blob: bytes, path: str) -> list[Problem]:
    if blob == _NO_PROBLEMS:
        return []
    return [replace(p, path=path) if p.path == THIS_FILE else p for p in pickle.loads(blob)]


def split_record(item: Entry | None) -> tuple[bytes, dict[str, bytes]]:
    """The light pickle of a parsed record (its path left out), and a pickle of each heavy part."""
    if item is None:
        return pickle.dumps(None), {part: pickle.dumps(None) for part in HEAVY_PARTS}
    light = copy.copy(item)
    light.path = THIS_FILE
    for name in HEAVY_FIELDS:
        setattr(light, name, None)
    heavy = {part: pickle.dumps(tuple(getattr(item, name) for name in names), protocol=pickle.HIGHEST_PROTOCOL)
             for part, names in HEAVY_PARTS.items()}
    return pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL), heavy


def prepare_workers() -> None:
    """Load, before the parse workers are forked, what every worker's first story would otherwise
    load for itself: forked, the workers share the parent's copy. The traditional → simplified
    tables of the search grams (0.3 s and 20 MB a worker; the index stage needs them anyway)."""
    from .search.grams import _source_table

    _source_table()


def texts_to_slug(items: list[tuple[Path, str, str, WordList, HtmlPolicy]]) -> set[str]:
    """What the parse of these files will make slugs of (a parse worker's first task)."""
    texts: set[str] = set()
    for path, rel, *_ in items:
        try:
            texts.update(slug_texts(rel, path.read_bytes()))
        except OSError:
            pass
    return texts


def parse_with_slugs(job: tuple[list, list[tuple[str, str]]]) -> list[Row]:
    """parse_to_rows in a worker that is handed the slugs its files need (text.slugs_of)."""
    items, slugs = job
    remember_slugs(slugs)
    return parse_to_rows(items)


def parse_to_rows(items: list[tuple[Path, str, str, WordList, HtmlPolicy]]) -> list[Row]:
    """Read and parse files into cache rows (runs in worker processes on cold builds). Their
    stories' search grams are made together: numpy's calls cost more per story than the work."""
    parsed_files = []
    for path, rel, stamp, words, html in items:
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        parsed_files.append((data, parse_file(path, rel, data, tokenise=False, html=html)))
    stories = [parsed.item for _, parsed in parsed_files if isinstance(parsed.item, Story)]
    for story, grams in zip(stories, analyse_many([(story.title, story.text) for story in stories])):
        story.search = grams
    rows = []
    for (path, rel, stamp, words, _), (data, parsed) in zip(items, parsed_files):
        source = digest(data)
        if parsed.item is not None:
            parsed.item.digest = source
        light, heavy = split_record(parsed.item)
        rows.append(Row(rel, stamp, source, light, portable_problems(parsed.problems, str(path)), words.key,
                        portable_problems(textrules.file_errors(str(path), words, data), str(path)), heavy))
    return rows


def _heavy_again(path: str, rel: str, part: str) -> tuple:
    """One heavy part of a file's record, parsed again (its cached copy could not be read)."""
    try:
        item = parse_file(Path(path), rel, Path(path).read_bytes()).item
    except OSError:
        item = None
    if item is None:  # gone since the scan: the build that follows says so
        return ("", []) if part == "body" else (None,)
    return tuple(getattr(item, name) for name in HEAVY_PARTS[part])


def _unpickle(blob: bytes | None):
    """A stored value, or None when it cannot be read. Unpickling old or damaged data can fail
    in any way (a class moved or changed shape, a truncated blob), and a cache is only a speed-up."""
    try:
        return pickle.loads(blob) if blob is not None else None
    except Exception:
        return None


class ParseCache:
    """Rows by content-relative path; persisted in SQLite when a path is given. `content_dir` is
    where the files are now (records are stored without it)."""

    def __init__(self, path: Path | None, content_dir: Path | None = None, policy: str = ""):
        """`policy`: what parsed records depend on besides the file and the code (the site's HTML
        policy); a cache made under another code or policy starts empty."""
        self.path = path
        self.version = f"{engine_key()}/{policy}"
        self.content_dir = str(content_dir or (path.parent.parent / "content" if path else "content"))
        self.rows: dict[str, Row] = {}
        self.trusted_before = 0  # stamps of files modified before this (ns) are trusted
        self._heavy: dict[str, dict[str, tuple]] = {part: {} for part in HEAVY_PARTS}  # loaded parts
        # Source digest → pickled "index" part of rows this process replaced with a new version of
        # the file: the search update diffs a story's old grams against its new ones.
        self.replaced: dict[str, bytes] = {}
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()
        if path is not None:
            self._open(path)

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(SCHEMA)
            version = self._db.execute("SELECT value FROM meta WHERE key='engine'").fetchone()
            if version is None or version[0] != self.version:
                self._db.execute("DELETE FROM entries")
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('engine', ?)", (self.version,))
            scanned = self._db.execute("SELECT value FROM meta WHERE key='scanned'").fetchone()
            self.trusted_before = int(scanned[0]) - RACY_MARGIN_NS if scanned else 0
            for rel, stamp, source, light, problems, words, text_problems in self._db.execute(
                    "SELECT rel, stamp, digest, light, problems, words, text_problems FROM entries"):
                self.rows[rel] = Row(rel, stamp, source, light, problems, words, text_problems)
        except sqlite3.DatabaseError:
            # A damaged cache is only a lost speed-up: start over with an empty one.
            if self._db is not None:
                self._db.close()
            path.unlink(missing_ok=True)
            self.rows = {}
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(SCHEMA)
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('engine', ?)", (self.version,))

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
        self._keep_replaced(rows)
        for row in rows:
            self.rows[row.rel] = row
            for loaded in self._heavy.values():
                loaded.pop(row.rel, None)
        for rel in gone:
            self.rows.pop(rel, None)
            for loaded in self._heavy.values():
                loaded.pop(rel, None)
        if self._db is None or not (rows or gone):
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(r.rel, r.stamp, r.digest, r.light, r.heavy["body"], r.heavy["index"], r.problems, r.words,
                  r.text_problems) for r in rows])
            self._db.executemany("DELETE FROM entries WHERE rel = ?", [(rel,) for rel in gone])
        for row in rows:  # stored: later loads read the database, and memory is not held twice
            row.heavy = {}

    def _keep_replaced(self, rows: list[Row]) -> None:
        if self._db is None:
            return
        old = [(self.rows[r.rel].digest, r.rel) for r in rows
               if r.rel in self.rows and self.rows[r.rel].digest != r.digest]
        if not old or len(old) + len(self.replaced) > REPLACED_MAX:
            return  # many changed: the search index is built whole anyway
        for source, rel in old:
            found = self._db.execute('SELECT "index" FROM entries WHERE rel = ?', (rel,)).fetchone()
            if found is not None:
                self.replaced[source] = found[0]

    def old_grams(self, digest: str):
        """The search grams of a file version this process replaced, or None."""
        value = _unpickle(self.replaced.get(digest))
        return value[HEAVY_PARTS["index"].index("search")] if isinstance(value, tuple) else None

    def restamp(self, rel: str, stamp: str) -> None:
        """The file was touched but its bytes are the same: remember the new stamp."""
        row = self.rows[rel]
        row.stamp = stamp
        if self._db is not None:
            self._db.execute("UPDATE entries SET stamp = ? WHERE rel = ?", (stamp, rel))

    def recheck(self, rel: str, path: Path, words: WordList) -> None:
        """The site's word list changed: run the text rules again (the record itself stands)."""
        row = self.rows[rel]
        row.words, row.text_problems = words.key, portable_problems(textrules.file_errors(str(path), words), str(path))
        if self._db is not None:
            self._db.execute("UPDATE entries SET words = ?, text_problems = ? WHERE rel = ?",
                             (row.words, row.text_problems, rel))

    def path_of(self, rel: str) -> str:
        return os.path.join(self.content_dir, rel)

    def record(self, rel: str) -> tuple[Parsed, list[Problem]] | None:
        """A fresh record from the light part (the site stage may change records it is given),
        and what the build's text rules found in the file; None when the row cannot be read
        (the caller parses the file again)."""
        row = self.rows[rel]
        path = self.path_of(rel)
        try:
            item = pickle.loads(row.light)
            if item is not None:
                item.path = path
            problems = local_problems(row.problems, path)
            text_problems = local_problems(row.text_problems, path) if row.text_problems else []
            return Parsed(item, problems), text_problems
        except Exception:  # see _unpickle
            return None

    def _reader(self) -> sqlite3.Connection | None:
        """The connection to read with. A forked render worker must not use its parent's
        connection (SQLite forbids carrying one across fork), so it opens its own."""
        if self._db is not None and os.getpid() != self._pid:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._pid = os.getpid()
        return self._db

    def fill(self, entries: list[Entry], part: str) -> None:
        """Load one heavy part ("body" or "index") of these records, where it is not loaded yet."""
        names = HEAVY_PARTS[part]
        loaded = self._heavy[part]
        missing = [e.rel for e in entries if e.rel not in loaded]
        for rel in missing:
            row = self.rows.get(rel)
            if row is not None and part in row.heavy:  # parsed in this build, not stored yet
                loaded[rel] = pickle.loads(row.heavy[part])
        missing = [rel for rel in missing if rel not in loaded]
        db = self._reader()
        if missing and db is not None:
            for start in range(0, len(missing), 500):
                batch = missing[start:start + 500]
                marks = ",".join("?" * len(batch))
                query = f'SELECT rel, "{part}" FROM entries WHERE rel IN ({marks})'
                for rel, blob in db.execute(query, batch):
                    value = _unpickle(blob)
                    if isinstance(value, tuple) and len(value) == len(names):
                        loaded[rel] = value
        for entry in entries:
            if entry.rel not in loaded:  # not stored, or unreadable: parse the file again
                loaded[entry.rel] = _heavy_again(entry.path, entry.rel, part)
                self._forget(entry.rel)
            for name, value in zip(names, loaded[entry.rel]):
                setattr(entry, name, value)

    def let_go(self, entries: list[Entry], part: str) -> None:
        """Forget one heavy part of these records again (a render worker done with their pages,
        the search index done with their grams), so that the part is not held longer than it is
        used; a later fill loads it again."""
        loaded = self._heavy[part]
        for entry in entries:
            loaded.pop(entry.rel, None)
            for name in HEAVY_PARTS[part]:
                setattr(entry, name, None)

    def _forget(self, rel: str) -> None:
        """Make the next build parse this file again (its stored row is damaged)."""
        row = self.rows.get(rel)
        if row is not None:
            row.stamp = row.digest = ""
        if self._db is not None and os.getpid() == self._pid:
            self._db.execute("UPDATE entries SET stamp = '', digest = '' WHERE rel = ?", (rel,))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
