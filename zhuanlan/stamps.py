"""File stamps and digests: how every cache and manifest tells whether something changed.

A stamp is "size:mtime_ns", the cheap test (no read); a digest is a 16-byte BLAKE2b of the bytes
(hex), the sure one. Every stamp and digest the build keeps is made here, so the parse cache, the
output manifest, the image cache and the page fingerprints agree on what a file's stamp is and
a digest kept by one build is valid for the next.
"""
from __future__ import annotations

import hashlib
import os

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
