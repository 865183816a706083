"""The output writer: every changed file is first written as a temporary file beside its target
and moved into place with os.replace (atomic) only when the whole build has succeeded.
Unchanged files are not rewritten; files a previous build made and this one did not are removed.

A manifest of what each build wrote (path → content hash or source stamp) lives in the site's
cache folder, never in output/, so it is not uploaded with the site. A marker beside it says a
build is staging; if a build was killed mid-way, the next one sweeps its temporary files away.

Committing is a journal and renames: the new manifest is written beside the old one (the journal)
before the first file is swapped, and moved over it when the last is done. A build killed in
between leaves the journal, and the next start (finish_interrupted_commit: every build, serve and
deploy) moves the remaining temporary files into place and removes what the new build no longer
has, so output/ is always one whole build. Only files a manifest lists are ever removed, and only
inside the output folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import cachepaths
from .stamps import RACY_MARGIN_NS, digest, stamp_of

TEMP_SUFFIX = ".zhuanlan-tmp"
# Tests kill a build at a point inside the commit (after this many renames and removals) to prove
# that the next start finishes it; never set otherwise.
STOP_ENV = "ZHUANLAN_TEST_STOP_COMMIT_AFTER"
STOP_EXIT = 86
INTERRUPT_ENV = "ZHUANLAN_TEST_INTERRUPT_COMMIT_AFTER"  # a real SIGINT (Ctrl+C) at that step instead


class InterruptedWhileCommitting(KeyboardInterrupt):
    """Ctrl+C came while the build's files were being moved into place. The move was finished from
    the journal first, so output/ holds this build whole (not the previous one, as after an
    interruption at any other moment)."""


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
        self.schedule: list[str] = ["", ""]  # when the published/scheduled split holds (schedule.py)
        self._use(_read_json(path) or _files_only(path))

    def _use(self, data: dict | None) -> None:
        """Take the manifest's data, when it has the right shape (anything else is no manifest:
        the next build writes every file, and removes nothing)."""
        if data is None:
            return
        self.entries = data["files"]  # a bad path in it is never removed (remove_ours)
        self.pages, self.inputs, self.warnings = data["pages"], data["inputs"], data["warnings"]
        self.stories, self.scanned, self.stages = data["stories"], data["scanned"], data["stages"]
        self.schedule = data["schedule"]

    @staticmethod
    def data(entries: dict[str, str], pages: dict[str, str], inputs: str, warnings: list, stories: int,
             scanned: int, stages: dict[str, str], schedule: tuple[str, str] = ("", "")) -> dict:
        """What the manifest file holds."""
        return {"files": entries, "pages": pages, "inputs": inputs, "warnings": warnings, "stories": stories,
                "scanned": scanned, "stages": stages, "schedule": list(schedule)}

    @property
    def marker(self) -> Path:
        return self.path.with_suffix(".staging")

    @property
    def journal(self) -> Path:
        """The next manifest, while a commit moves files into place (see the module docstring)."""
        return self.path.with_suffix(".commit")

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
        data = self.data(entries, pages, inputs, warnings, stories, scanned, stages, schedule)
        _write_json(self.path, data)
        self._use(data)


# The manifest's keys and the type each value must have.
_SHAPE = {"files": dict, "pages": dict, "inputs": str, "warnings": list, "stories": int, "scanned": int,
          "stages": dict, "schedule": list}


def _read_json(path: Path) -> dict | None:
    """A manifest (or journal) file's data, or None when it is missing, damaged or of another shape."""
    data = cachepaths.read_json(path)
    if not isinstance(data, dict) or not all(isinstance(data.get(key), kind) for key, kind in _SHAPE.items()):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for name in ("files", "pages", "stages")
               for k, v in data[name].items()):
        return None
    if not all(isinstance(w, list) and len(w) == 6 for w in data["warnings"]):
        return None
    if len(data["schedule"]) != 2 or not all(isinstance(t, str) for t in data["schedule"]):
        return None
    return data


def _files_only(path: Path) -> dict | None:
    """From a manifest damaged elsewhere, the list of files the last build wrote, when that part is
    whole: without it a file whose name changed (a poster after base_url did) would stay forever,
    since only files a manifest names are ever removed. The rest counts as missing."""
    try:
        files = json.loads(path.read_text("utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        return None
    return Manifest.data(files, {}, "", [], 0, 0, {})


def _write_json(path: Path, data: dict, durable: bool = False) -> None:
    """`durable`: on the disk before this returns (the journal: the renames that follow it must
    not reach the disk before it does, or a power cut would leave a mix nothing can finish)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(data, ensure_ascii=False, sort_keys=True))
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(temp, path)
    if durable and os.name == "posix":  # the rename itself lives in the folder (Windows cannot open one)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def safe_rel(rel: str) -> bool:
    """A path under the output folder, as a manifest may name one: relative, no "..", no NUL."""
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and "\x00" not in rel and "\\" not in rel \
        and all(part not in ("", ".", "..") for part in parts)


def finish_interrupted_commit(manifest: Manifest, out_dir: Path) -> bool:
    """If a build was killed while committing into out_dir, finish its commit: the rest of its
    files into place, what it no longer has removed, its manifest saved. True when there was one.

    Every build and serve calls this before looking at output/ (under output_lock), and so must
    anything else that reads output/ by its manifest (deploy)."""
    journal = manifest.journal
    if not journal.exists():
        return False
    data = _read_json(journal)
    if data is None:  # cannot be: the journal is written whole before anything is swapped
        journal.unlink(missing_ok=True)
        return False
    out = str(out_dir)
    new = data["files"]
    failed = []
    for rel in new:
        target = os.path.join(out, rel)
        if safe_rel(rel) and os.path.lexists(target + TEMP_SUFFIX):
            try:
                os.replace(target + TEMP_SUFFIX, target)
            except OSError:  # a folder in the way, say: the manifest lists what is there instead
                failed.append(rel)
                _remove_temp(target + TEMP_SUFFIX, out_dir)
    for rel in failed:
        if rel in manifest.entries:
            new[rel] = manifest.entries[rel]
        else:
            del new[rel]
    for rel in set(manifest.entries) - set(new):
        remove_ours(out_dir, rel)
    if failed:
        _write_json(journal, data)
    os.replace(journal, manifest.path)
    manifest._use(data)
    return True


def remove_ours(out_dir: Path, rel: str) -> bool:
    """Remove a file a manifest says a build wrote, never anything outside the output folder
    (a ".." in a damaged manifest, or a folder in output/ that is a link to elsewhere)."""
    if not safe_rel(rel):
        return False
    target = out_dir / rel
    real_out = os.path.realpath(out_dir)
    if os.path.commonpath([real_out, os.path.realpath(target.parent)]) != real_out:
        return False
    try:
        target.unlink()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return False
    _prune_empty_dirs(target.parent, out_dir)
    return True


def output_refusal(out_dir: Path, site_dir: Path, sources: list[Path], allowed: list[Path] = ()) -> str | None:
    """Why `out_dir` must not be a build's output folder, or None. Writing there would mix the
    site's files with its sources, and a later build would remove them: a filesystem root, the
    site folder or a folder holding it, and a folder in, or holding, one of `sources` (content/,
    themes/…) are refused; `allowed` are exceptions inside them (serve's own output in .cache/)."""
    out = Path(os.path.realpath(out_dir))
    if any(out == Path(os.path.realpath(a)) for a in allowed):
        return None
    if out.parent == out:
        return f"输出文件夹不能是磁盘的根目录（{out_dir}）：生成会把网站文件写满整个磁盘的顶层。请换一个专用的文件夹，例如默认的 output/"
    site = Path(os.path.realpath(site_dir))
    if out == site or out in site.parents:
        return (f"输出文件夹 {out_dir} 就是网站文件夹或包含了它：生成的文件会和 site.yaml、content/ 混在一起，"
                f"以后的生成还可能删掉它们。请换一个专用的文件夹，例如默认的 output/")
    for source in sources:
        real = Path(os.path.realpath(source))
        if out == real or real in out.parents or out in real.parents:
            return (f"输出文件夹 {out_dir} 与源文件夹 {source} 重叠：生成的文件会和文章、图片、模板混在一起，"
                    f"以后的生成还可能删掉源文件。请换一个专用的文件夹，例如默认的 output/")
    return None


@contextmanager
def output_lock(out_dir: Path):
    """Only one build at a time may write into one output folder (another waits its turn)."""
    key = hashlib.sha1(str(out_dir).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"zhuanlan-{key}.lock"
    with open(path, "a+") as handle:
        if not _lock(handle, wait=False):
            print(f"另一个生成正在写入 {out_dir}，等待它完成……", file=sys.stderr, flush=True)
            _lock(handle, wait=True)
        try:
            yield
        finally:
            _unlock(handle)


if os.name == "nt":  # Windows has no flock: msvcrt locks the file's first byte instead
    import msvcrt
    import time

    def _lock(handle, wait: bool) -> bool:
        while True:
            handle.seek(0)
            try:
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
                return True
            except OSError:
                if not wait:
                    return False
                time.sleep(0.2)

    def _unlock(handle) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(handle, wait: bool) -> bool:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            return False
        return True

    def _unlock(handle) -> None:
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
        finish_interrupted_commit(self.manifest, self.out_dir)  # a previous build was killed while committing
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
            _make_folder(folder)
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
        """Move the staged files into place and remove what this build no longer has, with the
        new manifest written first as the journal (see the module docstring)."""
        stats = WriteStats()
        new_entries = {item.rel: item.stamp for item in staged}
        data = self.manifest.data(new_entries, pages or {}, inputs, warnings or [], stories, scanned, stages or {},
                                  schedule)
        _write_json(self.manifest.journal, data, durable=True)
        stop = _Stop()
        try:
            for item in staged:
                if item.temp is None:
                    stats.unchanged += 1
                else:
                    os.replace(item.temp, item.temp[: -len(TEMP_SUFFIX)])
                    stats.written += 1
                    stats.changed.append(item.rel)
                    stop.step()
            for rel in set(self.manifest.entries) - set(new_entries):
                if remove_ours(self.out_dir, rel):
                    stats.removed += 1
                    stats.changed.append(rel)
                stop.step()
        except BaseException as exc:
            # Interrupted (Ctrl+C) or failed mid-way: finish from the journal rather than leave
            # a mix; if even that fails, the next start finishes it.
            finish_interrupted_commit(self.manifest, self.out_dir)
            self.manifest.marker.unlink(missing_ok=True)
            if isinstance(exc, KeyboardInterrupt):
                raise InterruptedWhileCommitting from exc
            raise
        os.replace(self.manifest.journal, self.manifest.path)
        self.manifest._use(data)
        self.manifest.marker.unlink(missing_ok=True)
        return stats

    def discard(self, staged: list[Staged]) -> None:
        """Remove what this build staged (and folders it made that are left empty): the files
        it knows of, then any others (staged by a worker or a stage that failed part-way). The
        marker stays if some could not be removed, so that the next build sweeps them."""
        left = False
        for item in staged:
            if item.temp:
                left |= not _remove_temp(item.temp, self.out_dir)
        left |= not sweep_temporaries(self.out_dir)
        if not left:
            self.manifest.marker.unlink(missing_ok=True)


def _make_folder(folder: str) -> None:
    """os.makedirs(folder, exist_ok=True) in one system call where the parent is there (a page's
    folder, mostly: makedirs looks at the parent first, 3,000 extra calls in a cold build)."""
    try:
        os.mkdir(folder)
    except FileNotFoundError:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise


class _Stop:
    """The test hooks: STOP_ENV ends the process at once, as a kill would end it; INTERRUPT_ENV
    presses Ctrl+C."""

    def __init__(self) -> None:
        self.after = int(os.environ.get(STOP_ENV, "-1"))
        self.interrupt = int(os.environ.get(INTERRUPT_ENV, "-1"))
        self.done = 0
        self._check()

    def step(self) -> None:
        self.done += 1
        self._check()

    def _check(self) -> None:
        if self.done == self.after:
            os._exit(STOP_EXIT)
        if self.done == self.interrupt:
            import signal

            os.kill(os.getpid(), signal.SIGINT)  # Python raises KeyboardInterrupt at the next bytecode


def _remove_temp(temp: str, out_dir: Path) -> bool:
    """False when the file is still there."""
    try:
        os.unlink(temp)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    _prune_empty_dirs(Path(temp).parent, out_dir)
    return True


def sweep_temporaries(out_dir: Path) -> bool:
    """Remove every temporary file under out_dir; False when some could not be removed."""
    removed = True
    for folder, _, files in os.walk(out_dir, topdown=False):
        for name in files:
            if name.endswith(TEMP_SUFFIX):
                removed &= _remove_temp(os.path.join(folder, name), out_dir)
    return removed


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
