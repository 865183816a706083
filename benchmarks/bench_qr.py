"""What the story pages' QR codes cost a build: the same corpus built with and without them.

    python benchmarks/bench_qr.py                  # 10,000 stories, 3 runs each
    python benchmarks/bench_qr.py --size 1000 --runs 5
    python benchmarks/bench_qr.py --code-only      # only the time to draw one code, no builds

Two site folders share the corpus's story files (hard links: the build refuses a content/ that is a
symlink out of the site folder) and differ only in their theme: "qr" is the default story page,
"no qr" a site theme whose story.html drops the share_qr block. Builds:

- cold: no .cache/, a new output folder: every code is drawn (in the render workers);
- all stories again: a theme edit re-renders every story page; the codes come from .cache/qr.sqlite;
- one edit: one story changed.

Prints medians of wall time, CPU time of the build's process tree, and peak memory; and the
time to draw one code.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_build import build, corpus, edit_one_story  # noqa: E402
from measure import median, run, set_aside, table  # noqa: E402

STORY_TEMPLATE = {
    "qr": '{% extends "default/story.html" %}{# round ROUND #}\n',
    "no qr": '{% extends "default/story.html" %}{# round ROUND #}{% block share_qr %}{% endblock %}\n',
}


def variant(site: Path, name: str) -> Path:
    folder = site.parent / f"{site.name}-qr-bench" / name.replace(" ", "-")
    folder.mkdir(parents=True, exist_ok=True)
    text = (site / "site.yaml").read_text("utf-8")
    (folder / "site.yaml").write_text(text.replace("theme: default", "") + "\ntheme: bench\n", "utf-8")
    content = folder / "content"
    if content.is_symlink():  # made by an older version of this script
        content.unlink()
    if not content.exists():  # linked, not copied: an edit (written in place) reaches both variants
        shutil.copytree(site / "content", content, copy_function=os.link)
    set_round(folder, name, 0)
    return folder


def set_round(folder: Path, name: str, number: int) -> None:
    template = folder / "themes" / "bench" / "templates" / "story.html"
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_text(STORY_TEMPLATE[name].replace("ROUND", str(number)), "utf-8")


def timed(command: list[str]):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"build failed:\n{result.output}")
    result.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def draw_time() -> float:
    from zhuanlan import qr

    times = []
    for i in range(200):
        started = time.perf_counter()
        qr.draw(f"https://bench.example.gov.cn/dangjian/stories/s{i // 100:02d}/s{i:05d}/")
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--code-only", action="store_true", help="only the time to draw one code")
    args = parser.parse_args()
    if args.code_only:
        print(f"one code: {draw_time() * 1000:.3f} ms")
        return
    site = corpus(args.size)
    folders = {name: variant(site, name) for name in STORY_TEMPLATE}
    phases = ("cold", "all stories again", "one edit")
    results: dict[tuple[str, str], list] = {(n, p): [] for n in folders for p in phases}
    cache_bytes = 0
    for attempt in range(args.runs):
        for index, (name, folder) in enumerate(folders.items()):  # interleaved: load changes hit both alike
            out = folder / "out"
            shutil.rmtree(folder / ".cache", ignore_errors=True)
            set_aside(out)  # not deleted here: that would slow the cold build that follows (measure.py)
            results[(name, "cold")].append(timed(build(folder, out)))
            set_round(folder, name, attempt + 1)
            results[(name, "all stories again")].append(timed(build(folder, out)))
            edit_one_story(folder, attempt * len(folders) + index)  # the content is shared: a new edit each time
            results[(name, "one edit")].append(timed(build(folder, out)))
            if name == "qr":
                database = folder / ".cache" / "qr.sqlite"
                cache_bytes = database.stat().st_size
                with sqlite3.connect(database) as db:
                    codes = db.execute("SELECT COUNT(*) FROM codes").fetchone()[0]
            print(f"  round {attempt + 1} {name}: " + ", ".join(
                f"{p} {results[(name, p)][-1].seconds:.1f} s" for p in phases), file=sys.stderr)
    rows = []
    for phase in phases:
        for name in folders:
            rs = results[(name, phase)]
            rows.append([phase, name, f"{median([r.seconds for r in rs]):.2f}", f"{median([r.cpu for r in rs]):.1f}",
                         f"{median([r.peak_mb for r in rs]):.0f}"])
        base, with_qr = (median([r.seconds for r in results[(n, phase)]]) for n in ("no qr", "qr"))
        rows.append([phase, "difference", f"{with_qr - base:+.2f}", "", ""])
    print(f"{args.size:,} stories, {args.runs} runs, {os.cpu_count()} cores; one code: {draw_time() * 1000:.1f} ms; "
          f"cache: {codes:,} codes, {cache_bytes / 1024 / 1024:.1f} MB")
    print(table(["build", "story pages", "wall s (median)", "CPU s (median)", "peak MB"], rows))


if __name__ == "__main__":
    main()
