"""Run a command and measure wall time and peak memory of its whole process tree.

Peak memory is the largest sum of proportional set sizes (PSS) of the process and all its
descendants, sampled every 20 ms from /proc. Worker processes count (getrusage would miss them),
and pages a forked worker shares with its parent are counted once, not once per process.
"""
from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


_ASIDE: list[Path] = []


def set_aside(path: Path) -> None:
    """Move a folder out of the way (a rename beside it) and delete it when the benchmark ends.

    Deleting it at once would time the delete, not the tool that runs next: ext4 without a
    journal (as on the benchmark machine) does not reuse an inode for up to five minutes after it
    was freed, and every file created in that time scans past the freed ones. Right after
    deleting a 10,000-story output, creating a file took many times as long."""
    if not path.exists():
        return
    aside = path.with_name(f".{path.name}.aside-{len(_ASIDE)}-{os.getpid()}")
    os.replace(path, aside)
    _ASIDE.append(aside)


@atexit.register
def _empty_aside() -> None:
    for path in _ASIDE:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Run:
    seconds: float
    peak_mb: float
    returncode: int
    output: str


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        total += _pss_kb(pid)
        stack.extend(tree.get(pid, ()))
    return total


def run(command: list[str], cwd: str | None = None, env: dict | None = None) -> Run:
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_kb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = process.communicate()[0].decode("utf-8", "replace")
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    return Run(seconds, peak / 1024, process.returncode, output)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, rule, *body])
