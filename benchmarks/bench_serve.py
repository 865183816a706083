"""Serve mode: time from saving a story to the open page showing the change, in Chromium.

    python benchmarks/bench_serve.py --sizes 1000 10000 --saves 7

Starts `python build.py serve` on a generated corpus, opens a story in headless Chromium,
then repeatedly appends a sentence to that story's file and measures until the page — reloaded
by the live-reload script, not by us — contains it (serve writes the saved story's own page first,
see Builder.preview), and until the full build after it has finished; the next save comes after
that. Prints medians. (A save made while a full build is still running waits for that build.)
"""
from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import corpus  # noqa: E402
from measure import median, table  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench(size: int, saves: int) -> list[str]:
    from playwright.sync_api import sync_playwright

    site = corpus(size)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--site", str(site), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        started = time.perf_counter()
        for line in server.stdout:
            if "正在预览" in line:
                break
        first_build = time.perf_counter() - started
        builds = {"done": 0}

        def count_builds() -> None:  # each full build ends with its one-line summary
            for line in server.stdout:
                if line.startswith("完成："):
                    builds["done"] += 1

        threading.Thread(target=count_builds, daemon=True).start()
        story = site / "content/stories/s00/s00011.md"
        original = story.read_text("utf-8")
        times, full = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(f"http://127.0.0.1:{port}/dangjian/stories/s00011/")
            for n in range(saves):
                marker = f"基准测试第{n}次保存"
                built = builds["done"]
                saved = time.perf_counter()
                story.write_text(original.rstrip("\n") + f"\n\n{marker}。\n", "utf-8")
                page.wait_for_function(f"document.body && document.body.innerText.includes('{marker}')", timeout=60000)
                times.append(time.perf_counter() - saved)
                while builds["done"] == built:  # the full build after the save, then a moment to read
                    time.sleep(0.05)
                full.append(time.perf_counter() - saved)
                time.sleep(0.5)
            browser.close()
        story.write_text(original, "utf-8")
    finally:
        server.terminate()
        server.wait(10)
    return [f"{size:,}", f"{first_build:.1f}", f"{median(times) * 1000:.0f}", f"{max(times) * 1000:.0f}",
            f"{median(full):.2f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--saves", type=int, default=7)
    args = parser.parse_args()
    rows = [bench(size, args.saves) for size in args.sizes]
    print(table(["stories", "first build (s)", "save → page shows it (ms, median)", "slowest (ms)",
                 "save → full build done (s)"], rows))


if __name__ == "__main__":
    main()
