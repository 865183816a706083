"""Lighthouse (mobile) on the example site: performance and accessibility of the home, column and
story pages.

    npm ci --prefix benchmarks              # once: Lighthouse into benchmarks/node_modules
    python benchmarks/lighthouse.py         # 3 runs per page, medians
    python benchmarks/lighthouse.py --runs 5 --json benchmarks/results/lighthouse.json

Builds the example site into a temporary folder, serves it on 127.0.0.1 under its base path
(/dangjian/), and runs Lighthouse's default mobile setup (an emulated mid-range phone, simulated
slow 4G, 4× CPU slowdown) in headless Debian Chromium. Scores depend on the machine's load (on a
busy 2-core machine performance can drop by several points), so this is a benchmark, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from measure import table

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = Path(__file__).resolve().parent / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update"
BASE_PATH = "/dangjian/"
PAGES = {"首页": "", "专栏页": "columns/banshishi/", "文章页": "stories/wu-dan-gong-zuo-fa/"}
METRICS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP", "total-blocking-time": "TBT",
           "cumulative-layout-shift": "CLS", "speed-index": "SI"}


def build_example(folder: Path) -> Path:
    for name in ("site.yaml", "content"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, folder / name)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(folder)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(f"示例网站生成失败：\n{result.stderr}")
    return folder / "output"


def lighthouse(url: str) -> dict:
    command = [str(LIGHTHOUSE), url, "--output=json", "--output-path=stdout", "--quiet",
               "--only-categories=performance,accessibility", f"--chrome-flags={CHROME_FLAGS}"]
    result = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CHROME_PATH": CHROMIUM})
    if result.returncode != 0:
        raise SystemExit(f"Lighthouse 运行失败（{url}）：\n{result.stderr[-2000:]}")
    return json.loads(result.stdout)


def summary(report: dict) -> dict:
    audits = report["audits"]
    failed = sorted(key for key, audit in audits.items()
                    if audit.get("scoreDisplayMode") == "binary" and audit.get("score") == 0
                    and key in {a["id"] for a in report["categories"]["accessibility"]["auditRefs"]})
    return {
        "performance": round(report["categories"]["performance"]["score"] * 100),
        "accessibility": round(report["categories"]["accessibility"]["score"] * 100),
        **{name: audits[key]["numericValue"] for key, name in METRICS.items()},
        "failed_accessibility_audits": failed,
        "lighthouse": report["lighthouseVersion"],
        "chromium": report["environment"]["hostUserAgent"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write every run's numbers to this file")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        raise SystemExit("没有找到 Lighthouse：请先运行 npm ci --prefix benchmarks")
    sys.path[:0] = [str(REPO), str(REPO / "tests")]
    from conftest import serve  # the same static server the tests use

    runs: dict[str, list[dict]] = {name: [] for name in PAGES}
    with tempfile.TemporaryDirectory() as folder:
        server = serve(build_example(Path(folder)), BASE_PATH)
        root = f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
        try:
            for attempt in range(args.runs):
                for name, path in PAGES.items():  # interleaved, so load changes hit every page alike
                    runs[name].append(summary(lighthouse(root + path)))
                    print(f"  第 {attempt + 1} 轮 {name}: 性能 {runs[name][-1]['performance']}，"
                          f"无障碍 {runs[name][-1]['accessibility']}", file=sys.stderr)
        finally:
            server.shutdown()

    rows = []
    for name, results in runs.items():
        def med(key: str) -> float:
            return statistics.median(r[key] for r in results)

        failed = sorted({a for r in results for a in r["failed_accessibility_audits"]})
        rows.append([name, f"{med('performance'):.0f}", f"{med('accessibility'):.0f}",
                     f"{min(r['performance'] for r in results)}–{max(r['performance'] for r in results)}",
                     f"{med('FCP') / 1000:.1f} s", f"{med('LCP') / 1000:.1f} s", f"{med('TBT'):.0f} ms",
                     f"{med('CLS'):.3f}", "、".join(failed) or "无"])
    first = next(iter(runs.values()))[0]
    print(f"Lighthouse {first['lighthouse']}，移动设备默认设置，每页 {args.runs} 次取中位数")
    print(table(["页面", "性能", "无障碍", "性能（最低–最高）", "FCP", "LCP", "TBT", "CLS", "未通过的无障碍检查"], rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(runs, ensure_ascii=False, indent=1), "utf-8")


if __name__ == "__main__":
    main()
