"""Worker processes for the stages that use all cores.

Workers are forked, so they inherit the site graph instead of receiving it pickled. Before the
fork, every object is moved out of the garbage collector's reach (gc.freeze): a collection in a
worker would otherwise write to every object's header and copy the parent's memory page by page.
Also here: what keeps the process itself small between stages (one_heap, give_back), since every
worker forked from it counts its memory again where they differ.
"""
from __future__ import annotations

import gc
import os
import sys
from contextlib import contextmanager
from functools import lru_cache

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
CHUNK = 64  # files handed to a worker at a time


def count(requested: int) -> int:
    """Worker processes to use: as asked, or one per core; one where processes cannot be forked
    (Windows), since workers inherit the site graph rather than receive it."""
    if not hasattr(os, "fork"):
        return 1
    return requested if requested > 0 else (os.cpu_count() or 1)


@contextmanager
def fork_pool(processes: int):
    import multiprocessing  # here: a build with little to do starts no pool and need not import it

    frozen = gc.get_freeze_count()  # a build freezes what it holds after the link stage (pipeline.validate)
    gc.collect()
    gc.freeze()
    try:
        # workers collect as usual, also when forked while the parent holds the collector off (build.py)
        with multiprocessing.get_context("fork").Pool(processes, initializer=gc.enable) as pool:
            yield pool
    finally:
        if not frozen:  # else left so: unfrozen, the next pool's collection went through it all again
            gc.unfreeze()


@lru_cache(maxsize=1)
def _glibc():
    """The C library when it is glibc (it has malloc_trim and mallopt), else None (musl, macOS)."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        libc = ctypes.CDLL(None)
    except (OSError, TypeError):
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def one_heap() -> None:
    """Let threads started from now on allocate from the main heap, not from an arena each:
    glibc gives each thread its own (up to eight per core), whose freed memory stays with the
    process; the search stage's threads left some 12 MB so to the end of the build (2,000 stories).
    The search stage's sorting threads are no slower for sharing one."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(-8, 1)  # M_ARENA_MAX


def give_back() -> None:
    """Hand the memory a finished stage freed back to the system: glibc's malloc keeps freed pages
    for later use, so a stage's peak would stay with the process (and be counted again in every
    worker forked from it) to the end of the build. Nothing to do elsewhere than on glibc."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


class Inherited:
    """What forked workers need (a renderer, a word list…), handed over by inheritance instead
    of pickling: set in the parent just before the pool starts, read in the workers, and let go
    of afterwards.

        STATE = Inherited()
        with STATE.holding(value), fork_pool(n) as pool: pool.map(work, items)  # work reads STATE.value
    """

    def __init__(self, empty=None):
        self.empty = self.value = empty

    @contextmanager
    def holding(self, value):
        self.value = value
        try:
            yield
        finally:
            self.value = self.empty
