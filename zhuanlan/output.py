"""The output writer: every changed file is first written as a temporary file beside its target
and moved into place with os.replace (atomic) only when the whole build has succeeded.
Unchanged files are not rewritten; files a previous build made and this one did not are removed.

A manifest of what each build wrote (path → content hash or source stamp) lives in the site's
cache folder, never in output/, so it is not uploaded with the site. A marker beside it says a
build is staging; if a build was killed mid-way, the next one sweeps its temporary files away.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .stamps import RACY_MARGIN_NS, digest, stamp_of

TEMP_SUFFIX = ".zhuanlan-tmp"


@dataclass
class Staged:
    rel: str  # path under output/, posix
    stamp: str  # content hash, or size:mtime of a copied source
    temp: str | None  # temporary file to move into place; None when the file is unchanged


@dataclass
class WriteStats:
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    changed: list[str] = field(default_factory=list)  # files written or removed (serve reloads what shows them)


class Manifest:
    """What the last successful build into one output folder wrote and from what.

    files: output path → content hash (or source stamp for copies); pages: URL → fingerprint
    of the page's inputs; inputs: digest of every input file's stamp (for the nothing-changed
    check); warnings: the problems that build reported, repeated when nothing changed; schedule:
    the window of time in which its split of stories into published and scheduled holds (schedule.py).
    """

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, str] = {}
        self.pages: dict[str, str] = {}
        self.inputs = ""
        self.warnings: list[list] = []
        self.stories = 0
        self.scanned = 0  # when that build looked at its input files (ns)
        self.stages: dict[str, str] = {}  # digest of the inputs of whole-site outputs (the search index)
        self.schedule: list[str] = ["", ""]
        try:
            data = json.loads(path.read_text("utf-8"))
            self.entries = data["files"]
            self.pages = data.get("pages", {})
            self.inputs = data.get("inputs", "")
            self.warnings = data.get("warnings", [])
            self.stories = data.get("stories", 0)
            self.scanned = data.get("scanned", 0)
            self.stages = data.get("stages", {})
            self.schedule = data.get("schedule", ["", ""])
        except (OSError, ValueError, KeyError, TypeError):
            pass

    @property
    def marker(self) -> Path:
        return self.path.with_suffix(".staging")

    def kept(self, prefix: str | tuple[str, ...], out_dir: Path) -> list[Staged] | None:
        """Every file under `prefix` (or any of several) from the last build, unchanged; None if
        any is missing."""
        out = str(out_dir)
        files = [(rel, stamp) for rel, stamp in self.entries.items() if rel.startswith(prefix)]
        if not files or not all(os.path.isfile(os.path.join(out, rel)) for rel, _ in files):
            return None
        return [Staged(rel, stamp, None) for rel, stamp in files]

    def complete(self, out_dir: Path) -> bool:
        """Every file the last build wrote is still there (nobody deleted output/ by hand)."""
        out = str(out_dir)
        return bool(self.entries) and all(os.path.isfile(os.path.join(out, rel)) for rel in self.entries)

    def save(self, entries: dict[str, str], pages: dict[str, str], inputs: str, warnings: list, stories: int,
             scanned: int, stages: dict[str, str], schedule: tuple[str, str] = ("", "")) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        data = {"files": entries, "pages": pages, "inputs": inputs, "warnings": warnings, "stories": stories,
                "scanned": scanned, "stages": stages, "schedule": list(schedule)}
        temp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), "utf-8")
        os.replace(temp, self.path)
        self.entries, self.pages, self.inputs, self.warnings = entries, pages, inputs, warnings
        self.stories, self.scanned, self.stages, self.schedule = stories, scanned, stages, list(schedule)


@contextmanager
def output_lock(out_dir: Path):
    """Only one build at a time may write into one output folder (another waits its turn)."""
    key = hashlib.sha1(str(out_dir).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"zhuanlan-{key}.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"另一个生成正在写入 {out_dir}，等待它完成……", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Stager:
    """Stages files beside their targets in output/, so that committing is only renames."""

    out_dir: Path
    manifest: Manifest
    force: bool = False  # write every file, even when the manifest says it is unchanged
    _out: str = field(init=False)
    _folders: set[str] = field(init=False, default_factory=set)  # folders known to exist

    def __post_init__(self) -> None:
        self._out = str(self.out_dir)
        if self.manifest.marker.exists():
            sweep_temporaries(self.out_dir)  # a previous build was interrupted while staging
        self.manifest.marker.parent.mkdir(parents=True, exist_ok=True)
        self.manifest.marker.touch()
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def _unchanged(self, rel: str, stamp: str, target: str) -> bool:
        return not self.force and self.manifest.entries.get(rel) == stamp and os.path.isfile(target)

    def _write_temp(self, target: str, write) -> str:
        """write(temp) beside the target. Folders are made once per build (a makedirs for each
        of some 25,000 files was two system calls each), and made again if they went missing."""
        temp = target + TEMP_SUFFIX
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        try:
            write(temp)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            write(temp)
        return temp

    def stage_bytes(self, rel: str, data: bytes) -> Staged:
        stamp = digest(data)
        target = os.path.join(self._out, rel)
        if self._unchanged(rel, stamp, target):
            return Staged(rel, stamp, None)

        def write(temp: str) -> None:
            with open(temp, "wb") as handle:
                handle.write(data)

        return Staged(rel, stamp, self._write_temp(target, write))

    def stage_copy(self, rel: str, source: Path, immutable: bool = False) -> Staged:
        """Copy a file; `immutable` sources (named by their content hash) are never re-checked."""
        info = source.stat()
        stamp = stamp_of(info)
        target = os.path.join(self._out, rel)
        settled = immutable or info.st_mtime_ns < self.manifest.scanned - RACY_MARGIN_NS
        if settled and self._unchanged(rel, stamp, target):
            return Staged(rel, stamp, None)
        return Staged(rel, stamp, self._write_temp(target, lambda temp: shutil.copyfile(source, temp)))

    def commit(self, staged: list[Staged], pages: dict[str, str] | None = None, inputs: str = "",
               warnings: list | None = None, stories: int = 0, scanned: int = 0,
               stages: dict[str, str] | None = None, schedule: tuple[str, str] = ("", "")) -> WriteStats:
        stats = WriteStats()
        new_entries: dict[str, str] = {}
        for item in staged:
            new_entries[item.rel] = item.stamp
            if item.temp is None:
                stats.unchanged += 1
            else:
                os.replace(item.temp, item.temp[: -len(TEMP_SUFFIX)])
                stats.written += 1
                stats.changed.append(item.rel)
        for rel in set(self.manifest.entries) - set(new_entries):
            target = self.out_dir / rel
            try:
                target.unlink()
                stats.removed += 1
                stats.changed.append(rel)
            except FileNotFoundError:
                continue
            _prune_empty_dirs(target.parent, self.out_dir)
        self.manifest.save(new_entries, pages or {}, inputs, warnings or [], stories, scanned, stages or {}, schedule)
        self.manifest.marker.unlink(missing_ok=True)
        return stats

    def discard(self, staged: list[Staged]) -> None:
        """Remove what this build staged (and folders it made that are left empty)."""
        if staged:
            for item in staged:
                if item.temp:
                    _remove_temp(item.temp, self.out_dir)
        else:  # the staged list was lost with a failed worker: look for temporaries instead
            sweep_temporaries(self.out_dir)
        self.manifest.marker.unlink(missing_ok=True)


def _remove_temp(temp: str, out_dir: Path) -> None:
    try:
        os.unlink(temp)
    except FileNotFoundError:
        return
    _prune_empty_dirs(Path(temp).parent, out_dir)


def sweep_temporaries(out_dir: Path) -> None:
    for folder, _, files in os.walk(out_dir, topdown=False):
        for name in files:
            if name.endswith(TEMP_SUFFIX):
                _remove_temp(os.path.join(folder, name), out_dir)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
