"""Worker processes for the stages that use all cores.

Workers are forked, so they inherit the site graph instead of receiving it pickled. Before the
fork, every object is moved out of the garbage collector's reach (gc.freeze): a collection in a
worker would otherwise write to every object's header and copy the parent's memory page by page.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager

PARALLEL_MIN_FILES = 200  # below this, starting worker processes costs more than it saves
CHUNK = 64  # files handed to a worker at a time


def count(requested: int) -> int:
    """Worker processes to use: as asked, or one per core."""
    return requested if requested > 0 else (os.cpu_count() or 1)


@contextmanager
def fork_pool(processes: int):
    import multiprocessing  # here: a build with little to do starts no pool and need not import it

    gc.collect()
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            yield pool
    finally:
        gc.unfreeze()


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
