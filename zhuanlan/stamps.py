"""File stamps and digests: how every cache and manifest tells whether something changed.

A stamp is "size:mtime_ns", the cheap test (no read); a digest is a 16-byte BLAKE2b of the bytes
(hex), the sure one. Every stamp and digest the build keeps is made here, so the parse cache, the
output manifest, the image cache and the page fingerprints agree on what a file's stamp is and
a digest kept by one build is valid for the next.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import re
from pathlib import Path

from . import ENGINE_VERSION

# File times come from a coarse clock, so a file changed twice within one tick keeps its stamp
# ("racy git"). A stamp is trusted only when the file is older than the last scan by this margin;
# younger files are hashed again.
RACY_MARGIN_NS = 2_000_000_000


def stamp_of(info: os.stat_result) -> str:
    return f"{info.st_size}:{info.st_mtime_ns}"


def file_stamp(path: str | os.PathLike) -> str:
    """The stamp of a file (raises OSError when it cannot be looked at)."""
    return stamp_of(os.stat(path))


def stamp_fields(stamp: str) -> list[int]:
    """[size, mtime_ns] of a stamp (the image cache's sources.json keeps stamps in this form)."""
    size, mtime = stamp.rsplit(":", 1)
    return [int(size), int(mtime)]


def stamp_mtime(stamp: str) -> int:
    return int(stamp.rsplit(":", 1)[1])


def digest(data: bytes, size: int = 16) -> str:
    """BLAKE2b of bytes, hex; `size` bytes long (shorter ones name files, see images)."""
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def text_digest(*parts: str, size: int = 16) -> str:
    """digest() of text parts joined by a unit separator (lone surrogates from file names allowed)."""
    return digest("\x1f".join(parts).encode("utf-8", "surrogatepass"), size)


@functools.cache
def engine_key() -> str:
    """ENGINE_VERSION and a digest of the package's own source code: every cache and manifest is
    keyed by it, so a build never reads what other code wrote (a pickled record whose class has
    changed shape, a page fingerprint that no longer covers what the code renders), even where
    nobody bumped ENGINE_VERSION or two branches bumped it to the same value. About 2 ms, once a
    process (the package's 64 files, 0.5 MB)."""
    package = Path(__file__).resolve().parent
    parts = hashlib.blake2b(digest_size=8)
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                parts.update(os.path.relpath(path, package).encode("utf-8", "surrogatepass") + b"\x1f")
                with open(path, "rb") as handle:
                    parts.update(handle.read())
    return f"{ENGINE_VERSION}+{parts.hexdigest()}"


def installed_version(module: str, distribution: str) -> str | None:
    """The installed version of `distribution` (which provides `module`), for cache keys; None when
    the module is not installed. Read from the name of its .dist-info folder beside the module:
    importlib.metadata took 30–100 ms to import and search sys.path, paid by every build.
    Falls back to it for other layouts (an egg, an editable install)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    folder = os.path.dirname(spec.origin)
    if spec.submodule_search_locations:  # a package: its folder's parent holds the .dist-info
        folder = os.path.dirname(folder)
    prefix = re.sub(r"[-_.]+", "_", distribution).lower() + "-"
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        if name.endswith(".dist-info") and name.lower().startswith(prefix):
            return name[len(prefix):-len(".dist-info")]
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
