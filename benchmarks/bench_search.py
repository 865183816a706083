"""Search benchmark: our index against Pagefind's extended (Chinese) build, side by side.

    python benchmarks/bench_search.py                    # everything, 10,000 and 1,000 stories
    python benchmarks/bench_search.py --skip-pagefind    # only our own numbers
    python benchmarks/bench_search.py --runs 3

Needs `pip install -r benchmarks/requirements.txt` (Pagefind's extended build) and Debian's chromium. Prints
Markdown tables:
  1. index build time on the 10,000-story site: our tokenising (done in the parse stage's worker
     processes and cached per story; timed in one process and spread over the workers as the
     build does it) plus our index stage (shards, records, writing), against Pagefind's run on
     the same output (story pages, title and body only); wall and CPU seconds;
  1b. the index stage after one story is edited and after one is added (the last build's index
     updated in place), and how many search files those builds wrote;
  2. bytes moved per query on that site in headless Chromium, first visit with an empty cache,
     search.js included (and, separately, with the page's HTML and CSS);
  3. milliseconds from the last keystroke to results on screen (our 150 ms debounce included);
  4. recall and precision of both tools against exact containment on a 1,000-story site.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from bench_build import corpus  # noqa: E402
from conftest import serve as serve_dir, with_texts  # noqa: E402  (the tests' helpers)
from corpus import story_body  # noqa: E402
from measure import median, set_aside, table  # noqa: E402

from zhuanlan import searchindex  # noqa: E402
from zhuanlan.search.grams import analyse_many  # noqa: E402
from zhuanlan.search.normalization import normalize, searchable  # noqa: E402
from zhuanlan.pipeline import CHUNK, BuildOptions, build  # noqa: E402
from zhuanlan.workers import count as worker_count, fork_pool  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
QUERIES = ["党员", "麟湖", "周家村", "刘红梅", "帮帮团", "河道", "网格连心", "志愿服务", "河道水质", "群众满意"]
PAGEFIND_ROOT = ["--root-selector", "article.story", "--exclude-selectors", ".story-meta, .story-taxonomy, .story-footer"]


class _SearchClock:
    """Wall and CPU seconds of the search index stage (CPU: this process and any child process)."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self.real = searchindex.stage_index

    def __enter__(self):
        def timed(*args, **kwargs):
            wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
            try:
                return self.real(*args, **kwargs)
            finally:
                self.wall = time.perf_counter() - wall
                self.cpu = time.process_time() - cpu + _children_cpu() - children

        searchindex.stage_index = timed
        return self

    def __exit__(self, *exc):
        searchindex.stage_index = self.real


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def our_build(site: Path, out: Path) -> dict:
    """A cold build in this process; returns stage timings and the site."""
    set_aside(out)  # see measure.set_aside: deleting 27,000 files here slowed every file the build then made
    shutil.rmtree(site / ".cache", ignore_errors=True)
    with _SearchClock() as clock:
        result = build(BuildOptions(site, out))
    stories = with_texts(result.site.stories)  # builds do not keep the text: parse it again
    _FORKED[:] = [stories]
    started, cpu = time.perf_counter(), time.process_time()
    _tokenise(stories, 0, len(stories))  # what the parse stage spent on search, measured alone
    tokenise, tokenise_cpu = time.perf_counter() - started, time.process_time() - cpu
    # ... and spread over the build's worker processes, as the parse stage does it
    workers = worker_count(0)
    bounds = [len(stories) * k // workers for k in range(workers + 1)]
    started = time.perf_counter()
    with fork_pool(workers) as pool:
        pool.starmap(_tokenise_in_worker, zip(bounds[:-1], bounds[1:]))
    return {"search": clock.wall, "search_cpu": clock.cpu, "tokenise": tokenise, "tokenise_cpu": tokenise_cpu,
            "tokenise_workers": time.perf_counter() - started, "workers": workers,
            "total": result.seconds, "site": result.site}


_FORKED: list = []  # the stories a forked worker tokenises (inherited, not pickled)


def _tokenise(stories, low: int, high: int) -> None:
    """What the parse workers do: a chunk of stories at a time (analyse_many)."""
    for start in range(low, high, CHUNK):
        analyse_many([(story.title, story.text) for story in stories[start:min(high, start + CHUNK)]])


def _tokenise_in_worker(low: int, high: int) -> None:
    _tokenise(_FORKED[0], low, high)


EDITED = "content/stories/s03/s03456.md"
ADDED = "content/stories/zz/bench-new.md"


def our_updates(site: Path, out: Path) -> list[dict]:
    """After a build: edit one story's text, then add a story, timing the index stage of each
    build; then put the corpus back (two more builds, not reported)."""
    edited = site / EDITED
    original = edited.read_text("utf-8")
    added = site / ADDED
    rows = []
    try:
        for name in ("one story edited", "one story added"):
            if name == "one story edited":
                edited.write_text(original.replace("。", "。网格员老周说，变化真大。", 1), "utf-8")
            else:
                added.parent.mkdir(exist_ok=True)
                added.write_text("---\ntitle: 新发布：网格连心又有新做法\ndate: 2025-01-01 09:00\nbrand: brand01\n"
                                 "columns: [column01]\n---\n" + story_body(random.Random(5), 1, 10), "utf-8")
            before = dict(_search_stamps(site, out))
            with _SearchClock() as clock:
                result = build(BuildOptions(site, out))
            after = _search_stamps(site, out)
            written = sum(1 for rel, stamp in after.items() if before.get(rel) != stamp)
            rows.append({"name": name, "search": clock.wall, "search_cpu": clock.cpu, "total": result.seconds,
                         "written": written, "files": len(after)})
    finally:
        edited.write_text(original, "utf-8")
        added.unlink(missing_ok=True)
        if added.parent.is_dir():
            added.parent.rmdir()
        build(BuildOptions(site, out))
    return rows


def _search_stamps(site: Path, out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in (out / "search").rglob("*") if p.is_file()}


def pagefind(out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of Pagefind's run on the output."""
    set_aside(out / "pagefind")
    started, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out), "--glob", "stories/**/*.html",
                           *PAGEFIND_ROOT, "--quiet"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pagefind failed:\n{done.stdout}\n{done.stderr}")
    return seconds, _children_cpu() - cpu


def _server(out: Path):
    server = serve_dir(out, "/dangjian/")
    return server, f"http://127.0.0.1:{server.server_address[1]}/dangjian/"


def _browser():
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    return manager, manager.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def _page(browser):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.requests = []
    page.on("requestfinished", lambda request: page.requests.append(request))
    return context, page


def moved(page, since: int = 0) -> list[tuple[str, int]]:
    """(url, bytes on the wire: headers and body) of every finished request, read before closing."""
    out = []
    for request in page.requests[since:]:
        try:
            sizes = request.sizes()
        except Exception:  # a request cut off by the page closing
            continue
        out.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))
    return out


WAIT_OURS = ("() => { const s = document.getElementById('search-status').textContent;"
             " return s.indexOf('找到') >= 0 || s.indexOf('未找到') >= 0; }")


def bytes_and_latency(browser, root: str) -> list[list[str]]:
    rows = []
    for query in QUERIES:
        context, page = _page(browser)
        page.goto(root + "search/?q=" + quote(query))
        page.wait_for_function(WAIT_OURS)
        page.wait_for_function("() => document.querySelectorAll('#search-results > li').length > 0 || "
                               "document.getElementById('search-status').textContent.indexOf('未找到') >= 0")
        page.wait_for_timeout(300)  # let the result records finish
        sizes = moved(page)
        total = sum(size for _, size in sizes)
        page_only = sum(size for url, size in sizes if "/search/?" in url or url.endswith(".css"))
        status = page.locator("#search-status").inner_text()
        context.close()
        latency = _latency(browser, root, query)
        rows.append([query, str(len(query)), status.split("篇")[0].replace("找到 ", ""),
                     f"{(total - page_only) / 1024:.1f}", f"{total / 1024:.1f}", f"{latency:.0f}"])
    return rows


def _latency(browser, root: str, query: str) -> float:
    """Type the query into a loaded page (index metadata fetched, no shard cached) and time
    from the last keystroke to the first result rendered."""
    context, page = _page(browser)
    page.goto(root + "search/")
    page.wait_for_timeout(300)
    page.locator("#search-input").type(query[:-1], delay=30)
    page.wait_for_timeout(400)
    ms = page.evaluate("""(last) => new Promise(resolve => {
        const input = document.getElementById('search-input'), list = document.getElementById('search-results');
        const status = document.getElementById('search-status');
        const started = performance.now();
        input.value += last;
        input.dispatchEvent(new Event('input'));
        (function poll() {
          const s = status.textContent;
          const want = input.value;
          if ((s.indexOf('“' + want + '”') >= 0 && (list.children.length || s.indexOf('未找到') >= 0)))
            return resolve(performance.now() - started);
          requestAnimationFrame(poll);
        })();
    })""", query[-1])
    context.close()
    return ms


def pagefind_bytes(browser, root: str) -> list[list[str]]:
    rows = []
    for query in QUERIES:
        context, page = _page(browser)
        page.goto(root + "search/")
        before = len(page.requests)
        urls = _pagefind_urls(page, root, query, fetch_all=False)
        total = sum(size for _, size in moved(page, before))
        context.close()
        rows.append([query, str(len(urls)), f"{total / 1024:.1f}"])
    return rows


def _pagefind_urls(page, root: str, query: str, fetch_all: bool = True) -> list[str]:
    """Pagefind's results for a query (loading the fragments of the first 10, or of all)."""
    return page.evaluate("""async ([root, q, all]) => {
        const pf = await import(root + 'pagefind/pagefind.js');
        const found = await pf.search(q);
        const wanted = all ? found.results : found.results.slice(0, 10);
        const data = await Promise.all(wanted.map(r => r.data()));
        return all ? data.map(d => d.url) : found.results.map(r => r.id);
    }""", [root, query, fetch_all])


def recall_precision(browser, site: Path, out: Path, site_data, root: str, with_pagefind: bool) -> list[list[str]]:
    rng = random.Random(3)
    stories = searchindex.doc_order(site_data.stories)  # document numbers are positions in this order
    texts = [(normalize(s.title), normalize(s.text)) for s in stories]
    queries = ["网格连心", "五单工作法", "刘红梅", "党员带头"]
    while len(queries) < 60:
        story = rng.choice(stories)
        text = story.text.replace("\n", "")
        length = rng.randint(2, 6)
        start = rng.randint(0, len(text) - length)
        piece = text[start:start + length]
        if searchable(normalize(piece)) and all(c.strip() for c in piece):
            queries.append(piece)
    urls = [s.url for s in stories]
    exact = []
    for q in queries:
        nq = normalize(q)
        exact.append({"/dangjian/" + urls[i] for i, (a, b) in enumerate(texts) if nq in a or nq in b})
    ours = _ours_in_node(out, queries)
    ours = [{"/dangjian/" + urls[d] for d in docs} for docs in ours]
    rows = [_scores("zhuanlan", queries, exact, ours)]
    if with_pagefind:
        context, page = _page(browser)
        page.goto(root + "search/")
        theirs = [set(_pagefind_urls(page, root, q)) for q in queries]
        context.close()
        rows.append(_scores("Pagefind (extended)", queries, exact, theirs))
        one = queries.index("网格连心")
        rows.append(_scores("Pagefind, 网格连心 only", [queries[one]], [exact[one]], [theirs[one]]))
    return rows


def _scores(name: str, queries, exact, found) -> list[str]:
    true_pos = sum(len(e & f) for e, f in zip(exact, found))
    recall = true_pos / max(1, sum(len(e) for e in exact))
    precision = true_pos / max(1, sum(len(f) for f in found))
    perfect = sum(1 for e, f in zip(exact, found) if e == f)
    return [name, str(len(queries)), f"{recall:.1%}", f"{precision:.1%}", f"{perfect}/{len(queries)}"]


def _ours_in_node(out: Path, queries: list[str]) -> list[list[int]]:
    """The real search.js, run in Node against the built files."""
    script = """
const core = require(process.argv[1]); const fs = require('fs'); const path = require('path');
const root = path.join(process.argv[2], 'search'); const queries = JSON.parse(fs.readFileSync(0, 'utf8'));
const load = (url, kind, cb) => fs.readFile(path.join(root, url.split('?')[0]), (err, data) => {
  if (err) return cb(err.code === 'ENOENT' ? {missing: true} : err);
  cb(null, kind === 'bin' ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : JSON.parse(data));
});
const searcher = new core.Searcher(load); const out = [];
(function next(i) {
  if (i === queries.length) return process.stdout.write(JSON.stringify(out));
  searcher.search(queries[i], (err, r) => { if (err) throw err; out.push(r.hits.map(h => h.doc)); next(i + 1); });
})(0);
"""
    done = subprocess.run(["node", "-e", script, str(REPO / "themes/default/static/js/search.js"), str(out)],
                          input=json.dumps(queries), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--skip-pagefind", action="store_true")
    parser.add_argument("--skip-build", action="store_true", help="reuse the 10,000-story output of a previous run")
    args = parser.parse_args()
    with_pagefind = not args.skip_pagefind

    big = corpus(10000)
    out = big / "runs" / "search-out"
    if args.skip_build:
        builds, theirs, updates = [], [], []
    else:
        builds, theirs, updates = [], [], []
        for _ in range(args.runs):  # ours and theirs in turn, so that both see the same load
            builds.append(our_build(big, out))
            updates.append(our_updates(big, out))
            if with_pagefind:
                theirs.append(pagefind(out))
    if builds:
        _print_build(builds, theirs, out, with_pagefind)
        _print_updates(updates, builds)
    _rest(out, with_pagefind)


def _print_build(builds, theirs, out: Path, with_pagefind: bool) -> None:
    def both(key: str) -> tuple[float, float]:
        return median([b[key] for b in builds]), median([b[key + "_cpu"] for b in builds])

    tokenise, stage = both("tokenise"), both("search")
    spread = median([b["tokenise_workers"] for b in builds])
    total = (spread + stage[0], tokenise[1] + stage[1])
    rows = [["zhuanlan: tokenising, one process (parse stage, cached per story)", f"{tokenise[0]:.2f}", f"{tokenise[1]:.2f}"],
            [f"zhuanlan: tokenising, as the build does it ({builds[0]['workers']} worker processes)", f"{spread:.2f}", ""],
            ["zhuanlan: index stage (shards, records, writing)", f"{stage[0]:.2f}", f"{stage[1]:.2f}"],
            ["zhuanlan: both (tokenising in workers + index stage)", f"{total[0]:.2f}", f"{total[1]:.2f}"],
            ["zhuanlan: whole cold build, for scale", f"{median([b['total'] for b in builds]):.2f}", ""]]
    if with_pagefind:
        wall, cpu = median([t[0] for t in theirs]), median([t[1] for t in theirs])
        rows.append(["Pagefind extended, same output (story pages)", f"{wall:.2f}", f"{cpu:.2f}"])
        rows.append(["ratio zhuanlan (both) / Pagefind", f"{total[0] / wall:.2f}", f"{total[1] / cpu:.2f}"])
        rows.append(["ratio zhuanlan (tokenising in one process + index stage) / Pagefind",
                     f"{(tokenise[0] + stage[0]) / wall:.2f}", ""])
        rows.append(["ratio zhuanlan index stage / Pagefind", f"{stage[0] / wall:.2f}", f"{stage[1] / cpu:.2f}"])
    print("\n## Index build, 10,000 stories\n")
    print(table(["what", "wall seconds (median)", "CPU seconds (median)"], rows))
    index_bytes = sum(p.stat().st_size for p in (out / "search").rglob("*") if p.is_file())
    index_files = sum(1 for p in (out / "search").rglob("*") if p.is_file())
    print(f"\nindex size: {index_bytes / 1e6:.1f} MB in {index_files} files")
    if with_pagefind:
        pf = out / "pagefind"
        print(f"Pagefind: {sum(p.stat().st_size for p in pf.rglob('*') if p.is_file()) / 1e6:.1f} MB "
              f"in {sum(1 for p in pf.rglob('*') if p.is_file())} files")



def _print_updates(updates, builds) -> None:
    rows = [["cold build (for comparison)", f"{median([b['search'] for b in builds]):.2f}",
             f"{median([b['search_cpu'] for b in builds]):.2f}", "", "all"]]
    for i, name in enumerate(("one story edited", "one story added")):
        runs = [u[i] for u in updates]
        rows.append([name, f"{median([r['search'] for r in runs]):.2f}", f"{median([r['search_cpu'] for r in runs]):.2f}",
                     f"{median([r['total'] for r in runs]):.2f}", f"{median([r['written'] for r in runs]):.0f} of {runs[0]['files']}"])
    print("\n## Index stage after a change, 10,000 stories\n")
    print(table(["build", "index stage wall s", "index stage CPU s", "whole build wall s", "search files written"], rows))


def _rest(out: Path, with_pagefind: bool) -> None:
    server, root = _server(out)
    manager, browser = _browser()
    try:
        print("\n## Bytes moved and time to results, 10,000 stories (headless Chromium, 360×740)\n")
        print(table(["query", "chars", "results", "KB moved (script + index + results)", "KB with page HTML/CSS",
                     "ms from last keystroke"], bytes_and_latency(browser, root)))
        if with_pagefind:
            print("\n## Pagefind, same queries (its JS, WASM and index; first 10 results loaded)\n")
            print(table(["query", "results", "KB moved"], pagefind_bytes(browser, root)))
    finally:
        server.shutdown()

    small = corpus(1000)
    small_out = small / "runs" / "search-out"
    small_build = our_build(small, small_out)
    if with_pagefind:
        pagefind(small_out)
    server, root = _server(small_out)
    try:
        print("\n## Recall and precision against exact containment, 1,000 stories\n")
        print(table(["tool", "queries", "recall", "precision", "queries exactly right"],
                    recall_precision(browser, small, small_out, small_build["site"], root, with_pagefind)))
    finally:
        server.shutdown()
        browser.close()
        manager.stop()


if __name__ == "__main__":
    main()
