"""What cleaning raw HTML costs (zhuanlan/sanitize.py): Markdown → HTML of every story of the corpus,
as written (no raw HTML: nothing to clean) and with a block of pasted HTML added to each, cleaned
or not (html.sanitize: false).

    python benchmarks/bench_sanitize.py                 # 1,000 stories, 7 runs
    python benchmarks/bench_sanitize.py --size 400 --runs 9

CPU time of this process (time.process_time), the best of the runs: the machine is often shared.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_build import corpus  # noqa: E402
from measure import table  # noqa: E402

from zhuanlan import markdown  # noqa: E402
from zhuanlan.frontmatter import decode, split  # noqa: E402
from zhuanlan.sanitize import HtmlPolicy  # noqa: E402

# What an officer pastes from a web editor: styles the allowlist trims, a table, an image with a handler.
PASTE = ('\n\n<p style="text-align:center"><span style="color:#c00;font-size:18px;font-family:宋体">红色的字</span></p>\n'
         '<table border="1"><tr><td>村</td><td colspan="2">户数</td></tr><tr><td>甲</td><td>1</td><td>2</td></tr></table>\n'
         '\n<img src="../images/x.jpg" alt="图" onerror="alert(1)">\n')
CASES = [("as written, cleaned", HtmlPolicy(), ""), ("as written, not cleaned", HtmlPolicy(sanitize=False), ""),
         ("+ pasted HTML, cleaned", HtmlPolicy(), PASTE),
         ("+ pasted HTML, not cleaned", HtmlPolicy(sanitize=False), PASTE)]


def bodies(site: Path) -> list[tuple[str, str]]:
    found = []
    for path in sorted((site / "content/stories").rglob("*.md")):
        found.append((path.relative_to(site / "content").as_posix(), split(decode(path.read_bytes()))[2]))
    return found


def seconds(stories: list[tuple[str, str]], policy: HtmlPolicy, extra: str, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        for rel, body in stories:
            markdown.render(body + extra, rel, 1, policy)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    stories = bodies(corpus(args.size))
    markdown.render(PASTE, "stories/x.md")  # parser and cleaner made before timing
    rows = []
    for label, policy, extra in CASES:
        total = seconds(stories, policy, extra, args.runs)
        rows.append([label, f"{total * 1000:.0f}", f"{total / len(stories) * 1e6:.0f}"])
    print(f"{len(stories)} stories")
    print(table(["Markdown → HTML", "ms", "µs per story"], rows))


if __name__ == "__main__":
    main()
