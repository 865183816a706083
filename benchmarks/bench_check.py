"""What the text rules cost: the build's error rules per build, and a whole `check` run.

    python benchmarks/bench_check.py                 # 1,000 and 10,000 stories, 3 runs each
    python benchmarks/bench_check.py --sizes 1000 --runs 5

Uses the corpus of bench_build.py. The build hook (textrules.file_errors, which the parse stage
runs on every file) is timed in this process over the story files, reading each one included,
with no word list and with a 60-term one; `check`
and `build` are timed as processes (wall seconds and peak memory of the process tree).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_build import REPO, build, corpus  # noqa: E402
from measure import median, run, table  # noqa: E402

from zhuanlan import textrules  # noqa: E402
from zhuanlan.config import load_config  # noqa: E402
from zhuanlan.sources import scan_content  # noqa: E402
from zhuanlan.problems import Problems  # noqa: E402

WORDS = textrules.WordList(
    forbidden=tuple(f"禁用词{n}" for n in range(30)),
    wording=tuple((f"错误提法{n}", f"正确提法{n}") for n in range(30)),
)


def hook_seconds(site: Path, words: textrules.WordList, runs: int) -> float:
    problems = Problems()
    config = load_config(site, problems)
    paths = [str(path) for path, rel, _ in scan_content(config.content_dir, problems).documents
             if rel.startswith("stories/")]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        for path in paths:
            textrules.file_errors(path, words)
        times.append(time.perf_counter() - started)
    return median(times)


def bench(size: int, runs: int) -> list[list[str]]:
    site = corpus(size)
    rows = []
    for label, words in (("build hook, no word list", textrules.NO_WORDS), ("build hook, 60-term word list", WORDS)):
        rows.append([f"{size:,}", label, f"{hook_seconds(site, words, runs):.2f}", "—"])
    out = site / "runs" / "out"
    builds = [run(build(site, out)) for _ in range(runs)]
    checks = [run([sys.executable, str(REPO / "build.py"), "check", "--site", str(site), "--format", "json"])
              for _ in range(runs)]
    shutil.rmtree(site / "runs", ignore_errors=True)
    for label, results in (("build (for comparison)", builds), ("check (all rules)", checks)):
        rows.append([f"{size:,}", label, f"{median([r.seconds for r in results]):.2f}",
                     f"{median([r.peak_mb for r in results]):.0f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        rows += bench(size, args.runs)
    print(table(["stories", "what", "seconds (median)", "peak MB (median)"], rows))


if __name__ == "__main__":
    main()
