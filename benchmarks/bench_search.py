"""Search benchmark: our index against Pagefind's extended (Chinese) build, side by side.

    python benchmarks/bench_search.py                    # everything, 10,000 and 1,000 stories
    python benchmarks/bench_search.py --skip-pagefind    # only our own numbers
    python benchmarks/bench_search.py --runs 3

Needs `pip install 'pagefind[extended]'` (requirements-dev.txt) and Debian's chromium. Prints
Markdown tables:
  1. index build time on the 10,000-story site: our tokenising (done in the parse stage and
     cached per story) plus our index stage (shards, records, writing), against Pagefind's run on
     the same output (story pages, title and body only);
  2. bytes moved per query on that site in headless Chromium, first visit with an empty cache,
     search.js included (and, separately, with the page's HTML and CSS);
  3. milliseconds from the last keystroke to results on screen (our 150 ms debounce included);
  4. recall and precision of both tools against exact containment on a 1,000-story site.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_build import corpus  # noqa: E402
from measure import median, table  # noqa: E402

from zhuanlan import search  # noqa: E402
from zhuanlan.pipeline import BuildOptions, build  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
QUERIES = ["党员", "麟湖", "周家村", "刘红梅", "帮帮团", "河道", "网格连心", "志愿服务", "河道水质", "群众满意"]
PAGEFIND_ROOT = ["--root-selector", "article.story", "--exclude-selectors", ".story-meta, .story-taxonomy, .story-footer"]


def our_build(site: Path, out: Path) -> dict:
    """A cold build in this process; returns stage timings and the site."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(site / ".cache", ignore_errors=True)
    result = build(BuildOptions(site, out))
    started = time.perf_counter()
    for story in result.site.stories:  # what the parse stage spent on search, measured alone
        search.analyse(story.title, story.text)
    tokenise = time.perf_counter() - started
    return {"search": result.timings["search"], "tokenise": tokenise, "total": result.seconds, "site": result.site}


def pagefind(out: Path) -> float:
    shutil.rmtree(out / "pagefind", ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pagefind", "--site", str(out), "--glob", "stories/**/*.html",
                           *PAGEFIND_ROOT, "--quiet"], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pagefind failed:\n{done.stdout}\n{done.stderr}")
    return seconds


def _server(out: Path):
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import serve as serve_dir

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
    stories = site_data.stories
    texts = [(search.normalize(s.title), search.normalize(s.text)) for s in stories]
    queries = ["网格连心", "五单工作法", "刘红梅", "党员带头"]
    while len(queries) < 60:
        story = rng.choice(stories)
        text = story.text.replace("\n", "")
        length = rng.randint(2, 6)
        start = rng.randint(0, len(text) - length)
        piece = text[start:start + length]
        if search.searchable(search.normalize(piece)) and all(c.strip() for c in piece):
            queries.append(piece)
    urls = [s.url for s in stories]
    exact = []
    for q in queries:
        nq = search.normalize(q)
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
        builds, theirs = [], []
    else:
        builds = [our_build(big, out) for _ in range(args.runs)]
        theirs = [pagefind(out) for _ in range(args.runs)] if with_pagefind else []
    if builds:
        _print_build(builds, theirs, out, with_pagefind)
    _rest(out, with_pagefind)


def _print_build(builds, theirs, out: Path, with_pagefind: bool) -> None:
    tokenise, stage = median([b["tokenise"] for b in builds]), median([b["search"] for b in builds])
    rows = [["zhuanlan: tokenising (parse stage, cached per story)", f"{tokenise:.2f}"],
            ["zhuanlan: index stage (shards, records, writing)", f"{stage:.2f}"],
            ["zhuanlan: both", f"{tokenise + stage:.2f}"],
            ["zhuanlan: whole cold build, for scale", f"{median([b['total'] for b in builds]):.2f}"]]
    if with_pagefind:
        rows.append(["Pagefind extended, same output (story pages)", f"{median(theirs):.2f}"])
        rows.append(["ratio zhuanlan / Pagefind", f"{(tokenise + stage) / median(theirs):.2f}"])
    print("\n## Index build, 10,000 stories\n")
    print(table(["what", "seconds (median)"], rows))
    index_bytes = sum(p.stat().st_size for p in (out / "search").rglob("*") if p.is_file())
    index_files = sum(1 for p in (out / "search").rglob("*") if p.is_file())
    print(f"\nindex size: {index_bytes / 1e6:.1f} MB in {index_files} files")
    if with_pagefind:
        pf = out / "pagefind"
        print(f"Pagefind: {sum(p.stat().st_size for p in pf.rglob('*') if p.is_file()) / 1e6:.1f} MB "
              f"in {sum(1 for p in pf.rglob('*') if p.is_file())} files")



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
