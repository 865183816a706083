"""The output writer: every changed file is first written as a temporary file beside its target
and moved into place with os.replace (atomic) only when the whole build has succeeded.
Unchanged files are not rewritten; files a previous build made and this one did not are removed.

A manifest of what each build wrote (path → content hash or source stamp) lives in the site's
cache folder, never in output/, so it is not uploaded with the site. A marker beside it says a
build is staging; if a build was killed mid-way, the next one sweeps its temporary files away.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

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

    @property
    def marker(self) -> Path:
        return self.path.with_suffix(".staging")

    def save(self, entries: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_suffix(".tmp")
        temp.write_text(json.dumps(entries, ensure_ascii=False, sort_keys=True), "utf-8")
        os.replace(temp, self.path)
        self.entries = entries


@dataclass
class Stager:
    """Stages files beside their targets in output/, so that committing is only renames."""

    out_dir: Path
    manifest: Manifest
    _out: str = field(init=False)

    def __post_init__(self) -> None:
        self._out = str(self.out_dir)
        if self.manifest.marker.exists():
            sweep_temporaries(self.out_dir)  # a previous build was interrupted while staging
        self.manifest.marker.parent.mkdir(parents=True, exist_ok=True)
        self.manifest.marker.touch()
        self.out_dir.mkdir(parents=True, exist_ok=True)

    def _unchanged(self, rel: str, stamp: str, target: str) -> bool:
        return self.manifest.entries.get(rel) == stamp and os.path.isfile(target)

    def _temp_for(self, target: str) -> str:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        return target + TEMP_SUFFIX

    def stage_bytes(self, rel: str, data: bytes) -> Staged:
        stamp = digest(data)
        target = os.path.join(self._out, rel)
        if self._unchanged(rel, stamp, target):
            return Staged(rel, stamp, None)
        temp = self._temp_for(target)
        with open(temp, "wb") as handle:
            handle.write(data)
        return Staged(rel, stamp, temp)

    def stage_copy(self, rel: str, source: Path) -> Staged:
        info = source.stat()
        stamp = f"{info.st_size}:{info.st_mtime_ns}"
        target = os.path.join(self._out, rel)
        if self._unchanged(rel, stamp, target):
            return Staged(rel, stamp, None)
        temp = self._temp_for(target)
        shutil.copyfile(source, temp)
        return Staged(rel, stamp, temp)

    def commit(self, staged: list[Staged]) -> WriteStats:
        stats = WriteStats()
        new_entries: dict[str, str] = {}
        for item in staged:
            new_entries[item.rel] = item.stamp
            if item.temp is None:
                stats.unchanged += 1
            else:
                os.replace(item.temp, item.temp[: -len(TEMP_SUFFIX)])
                stats.written += 1
        for rel in set(self.manifest.entries) - set(new_entries):
            target = self.out_dir / rel
            try:
                target.unlink()
                stats.removed += 1
            except FileNotFoundError:
                continue
            _prune_empty_dirs(target.parent, self.out_dir)
        self.manifest.save(new_entries)
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
