"""The interface every target speaks, and the record of hashes kept on SFTP servers and folders.

A transport lists what the target holds (rel → MD5), puts a file, deletes files, and at the end
records what it holds. S3 needs no record: its listing carries each object's MD5 (the ETag of a
whole-file upload). A server or folder has no such thing, so a deploy writes a manifest of hashes
there (MANIFEST_NAME) when it finishes, and trusts an entry only while the file's size still
matches. Only files that manifest lists are ever deleted: a folder may hold other things.

A deploy cut off half-way (network, power, Ctrl+C) has not written its manifest yet. So each
finished upload and deletion is also appended to a journal in the site's .cache; the next run
applies it, and uploads nothing that is already there.
"""
from __future__ import annotations

import json
import posixpath
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Protocol

from .local import LocalFile
from .plan import Upload

MANIFEST_NAME = ".zhuanlan-deploy.json"
TEMP_SUFFIX = ".zhuanlan-tmp"  # an upload in progress; renamed into place when complete


class DeployError(Exception):
    """A failure to explain to the user (in Chinese); never a traceback."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Counters:
    """Requests made and bytes sent (for the benchmark), from any number of threads."""

    requests: int = 0
    bytes_sent: int = 0
    operations: dict[str, int] = field(default_factory=dict)  # requests by kind (ListObjectsV2, PutObject…)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def add(self, requests: int = 1, sent: int = 0, operation: str = "") -> None:
        with self._lock:
            self.requests += requests
            self.bytes_sent += sent
            if operation:
                self.operations[operation] = self.operations.get(operation, 0) + requests


class Transport(Protocol):
    counters: Counters

    def remote_state(self, local: Iterable[str]) -> dict[str, str]:
        """rel → MD5 ("" if unknown) of every file the deploy may compare with or delete."""

    def put(self, upload: Upload, source: Path) -> None: ...

    def delete(self, rels: list[str]) -> None: ...

    def finish(self, files: dict[str, LocalFile]) -> None:
        """Called once everything is uploaded and deleted: the target now holds `files`."""

    def close(self) -> None: ...


class Journal:
    """Uploads and deletions since the target's manifest `base` was written, one line each."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._handle = None

    def read(self, base: str) -> tuple[dict[str, tuple[str, int]], set[str]]:
        """(uploaded rel → (MD5, size), deleted rels) recorded against manifest `base`."""
        uploaded: dict[str, tuple[str, int]] = {}
        deleted: set[str] = set()
        try:
            lines = self.path.read_text("utf-8").split("\n")
        except (OSError, UnicodeDecodeError):
            return uploaded, deleted
        if not lines or lines[0] != f"base\t{base}":
            return uploaded, deleted  # written against another state of the target: no longer true
        for line in lines[1:]:
            parts = line.split("\t")
            if len(parts) == 4 and parts[0] == "+" and parts[2].isdigit():
                uploaded[parts[3]] = (parts[1], int(parts[2]))
                deleted.discard(parts[3])
            elif len(parts) == 2 and parts[0] == "-":
                deleted.add(parts[1])
                uploaded.pop(parts[1], None)
        return uploaded, deleted

    def start(self, base: str) -> None:
        """Go on with the journal for `base`, or begin a new one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            first = self.path.read_text("utf-8").split("\n", 1)[0]
        except (OSError, UnicodeDecodeError):
            first = ""
        self._handle = open(self.path, "a" if first == f"base\t{base}" else "w", encoding="utf-8")
        if first != f"base\t{base}":
            self._write(f"base\t{base}")

    def uploaded(self, upload: Upload) -> None:
        self._write(f"+\t{upload.md5}\t{upload.size}\t{upload.rel}")

    def deleted(self, rel: str) -> None:
        self._write(f"-\t{rel}")

    def _write(self, line: str) -> None:
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()  # a killed process keeps what was flushed

    def close(self, done: bool = False) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
        if done:
            self.path.unlink(missing_ok=True)


class ManifestTarget:
    """The part of SFTP and folder targets that keeps the manifest of hashes on the target.

    Subclasses provide _read(name), _write(name, data) (atomic), _sizes(folders) and _put/_remove.
    """

    def __init__(self, journal: Journal):
        self.journal = journal
        self.counters = Counters()
        self._base = ""
        self.leftovers: list[str] = []  # temporaries of an upload that was cut off

    def remote_state(self, local: Iterable[str]) -> dict[str, str]:
        local = set(local)
        recorded, self._base = self._read_manifest()
        uploaded, deleted = self.journal.read(self._base)
        recorded.update(uploaded)
        for rel in deleted:
            recorded.pop(rel, None)
        folders = {posixpath.dirname(rel) for rel in set(recorded) | local}
        sizes = self._sizes(folders)
        state = {}
        for rel, size in sizes.items():
            entry = recorded.get(rel)
            if entry is not None or rel in local:  # other files in the folders are not ours
                state[rel] = entry[0] if entry is not None and entry[1] == size else ""
        self.journal.start(self._base)
        return state

    def _read_manifest(self) -> tuple[dict[str, tuple[str, int]], str]:
        data = self._read(MANIFEST_NAME)
        if data is None:
            return {}, ""
        try:
            parsed = json.loads(data.decode("utf-8"))
            files = {rel: (str(md5), int(size)) for rel, (md5, size) in parsed["files"].items()}
            return files, str(parsed["id"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return {}, ""  # unreadable: every file is compared as unknown, so uploaded again

    def put(self, upload: Upload, source: Path) -> None:
        self._put(upload.rel, source)
        self.counters.add(1, upload.size)
        self.journal.uploaded(upload)

    def delete(self, rels: list[str]) -> None:
        for rel in rels:
            self._remove(rel)
            self.counters.add()
            self.journal.deleted(rel)

    def finish(self, files: dict[str, LocalFile]) -> None:
        data = {"id": uuid.uuid4().hex, "files": {rel: [f.md5, f.size] for rel, f in sorted(files.items())}}
        self._write(MANIFEST_NAME, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self.journal.close(done=True)
        for rel in self.leftovers:
            self._remove(rel, missing_ok=True)

    # -- provided by the transport --
    def _read(self, name: str) -> bytes | None: raise NotImplementedError

    def _write(self, name: str, data: bytes) -> None: raise NotImplementedError

    def _sizes(self, folders: set[str]) -> dict[str, int]: raise NotImplementedError

    def _put(self, rel: str, source: Path) -> None: raise NotImplementedError

    def _remove(self, rel: str, missing_ok: bool = False) -> None: raise NotImplementedError
