"""Worker processes for the stages that use all cores.

Workers are forked, so they inherit the site graph instead of receiving it pickled. Before the
fork, every object is moved out of the garbage collector's reach (gc.freeze): a collection in a
worker would otherwise write to every object's header and copy the parent's memory page by page.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from contextlib import contextmanager


def count(requested: int) -> int:
    """Worker processes to use: as asked, or one per core."""
    return requested if requested > 0 else (os.cpu_count() or 1)


@contextmanager
def fork_pool(processes: int):
    gc.collect()
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            yield pool
    finally:
        gc.unfreeze()
