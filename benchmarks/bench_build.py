"""Build-time benchmark: cold build, rebuild with nothing changed, rebuild after one edit.

    python benchmarks/bench_build.py                 # 1,000 and 10,000 stories, 3 runs each
    python benchmarks/bench_build.py --sizes 1000 --runs 5

Each cold build writes into a fresh output folder with no cache. Prints a Markdown table of
medians (wall seconds, peak memory of the whole process tree).
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate  # noqa: E402
from measure import median, run, table  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(__file__).resolve().parent / "corpus"


def corpus(size: int) -> Path:
    site = CORPUS_DIR / f"{size}"
    marker = site / ".generated"
    if not marker.exists():
        generate(site, size)
        marker.write_text("ok")
    return site


def build(site: Path, out: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out)]


def edit_one_story(site: Path, round_: int) -> None:
    story = site / "content/stories/s00/s00007.md"
    # a sentence readers see (and search finds), as an officer's edit would be; the last one replaced
    text = story.read_text("utf-8").rstrip("\n").rsplit("\n\n补记：", 1)[0]
    story.write_text(f"{text}\n\n补记：第{round_ + 1}次修改后，志愿服务队又走访了{round_ + 3}户困难群众。\n", "utf-8")


def bench(size: int, runs: int) -> list[list[str]]:
    site = corpus(size)
    results: dict[str, list] = {"cold": [], "unchanged": [], "one edit": []}
    scratch = site / "runs"
    for attempt in range(runs):
        out = scratch / f"out{attempt}"
        shutil.rmtree(site / ".cache", ignore_errors=True)
        for phase in ("cold", "unchanged", "one edit"):
            if phase == "one edit":
                edit_one_story(site, attempt)
            result = run(build(site, out))
            if result.returncode != 0:
                raise SystemExit(f"build failed:\n{result.output}")
            results[phase].append(result)
    shutil.rmtree(scratch, ignore_errors=True)
    return [[f"{size:,}", phase, f"{median([r.seconds for r in rs]):.2f}", f"{median([r.peak_mb for r in rs]):.0f}"]
            for phase, rs in results.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        rows += bench(size, args.runs)
    print(table(["stories", "build", "seconds (median)", "peak MB (median)"], rows))


if __name__ == "__main__":
    main()
