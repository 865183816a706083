"""The output writer: files are staged as temporary files first and moved into place only when
the whole build has succeeded, each with os.replace (atomic). Unchanged files are not rewritten;
files a previous build made and this one did not are removed.

A manifest of what each build wrote (path → content hash or source stamp) lives in the site's
cache folder, never in output/, so it is not uploaded with the site.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


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


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class Manifest:
    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, str] = {}
        try:
            self.entries = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def save(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(entries, ensure_ascii=False, sort_keys=True), "utf-8")
        os.replace(temp, self.path)
        self.entries = entries


@dataclass
class Stager:
    """Stages files into a temporary folder inside output/ (same file system, so moves are atomic)."""

    out_dir: Path
    old: dict[str, str]
    staging: Path = field(init=False)

    def __post_init__(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=".zhuanlan-staging-", dir=self.out_dir))

    def _unchanged(self, rel: str, stamp: str) -> bool:
        return self.old.get(rel) == stamp and (self.out_dir / rel).is_file()

    def stage_bytes(self, rel: str, data: bytes) -> Staged:
        stamp = digest(data)
        if self._unchanged(rel, stamp):
            return Staged(rel, stamp, None)
        fd, temp = tempfile.mkstemp(dir=self.staging)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return Staged(rel, stamp, temp)

    def stage_copy(self, rel: str, source: Path) -> Staged:
        info = source.stat()
        stamp = f"{info.st_size}:{info.st_mtime_ns}"
        if self._unchanged(rel, stamp):
            return Staged(rel, stamp, None)
        fd, temp = tempfile.mkstemp(dir=self.staging)
        os.close(fd)
        shutil.copyfile(source, temp)
        return Staged(rel, stamp, temp)

    def commit(self, staged: list[Staged], manifest: Manifest) -> WriteStats:
        stats = WriteStats()
        new_entries: dict[str, str] = {}
        for item in staged:
            new_entries[item.rel] = item.stamp
            if item.temp is None:
                stats.unchanged += 1
                continue
            target = self.out_dir / item.rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(item.temp, 0o644)
            os.replace(item.temp, target)
            stats.written += 1
        for rel in set(manifest.entries) - set(new_entries):
            target = self.out_dir / rel
            try:
                target.unlink()
                stats.removed += 1
            except FileNotFoundError:
                continue
            _prune_empty_dirs(target.parent, self.out_dir)
        manifest.save(new_entries)
        self.discard()
        return stats

    def discard(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _prune_empty_dirs(folder: Path, stop: Path) -> None:
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
