"""How well the mojibake rule finds and repairs garbled text, and how often it cries wolf.

    python benchmarks/bench_mojibake.py               # 300 samples per kind of damage
    python benchmarks/bench_mojibake.py --samples 1000 --seed 2

Clean Chinese paragraphs (the example site's content, docs/*.md, the benchmark corpus generator's
text) are damaged the ways real pipelines damage text: UTF-8 read as GBK (as browsers and Windows
read it, as Python's errors="replace" does, with `?` for what could not be read), the same with a
byte dropped, GBK read as UTF-8 and as Latin-1, UTF-8 read as Latin-1, and twice over; either a
short run of 2–12 characters inside clean text or a whole paragraph. For each kind the table says
how often the damage was found (a run reported where it is), repaired exactly, repaired with the
lost characters marked “�” (the rest exact, and reported), and how often a repair said something
the original did not (wrong characters put in; the rest of the damage is reported as 乱码).
False alarms are runs reported in clean text (example site, docs, corpus, and the corpus in
traditional characters). With ftfy installed, its fix_text is measured on the same samples.
"""
from __future__ import annotations

import argparse
import codecs
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import corpus  # noqa: E402
from measure import table  # noqa: E402

from zhuanlan import hanzi  # noqa: E402
from zhuanlan import textrules  # noqa: E402
from zhuanlan.textrules import mojibake  # noqa: E402
from zhuanlan.textrules.prose import HAN, prose_view  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

codecs.register_error("bench-browser", lambda e: ("\u20ac" if e.object[e.start] == 0x80 else "\ufffd", e.start + 1))
codecs.register_error("bench-question", lambda e: ("?", e.start + 1))


def sloppy_1252(data: bytes) -> str:
    """Windows-1252 as browsers read it: its five holes become the C1 control of the same number."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in data)


def as_gbk(data: bytes, errors: str = "bench-browser") -> str:
    return data.decode("gbk", errors=errors)


def drop_byte(data: bytes, rng: random.Random) -> bytes:
    cut = rng.randrange(1, len(data) - 1) if len(data) > 2 else 0
    return data[:cut] + data[cut + 1:]


DAMAGES = {
    "UTF-8 当 GBK 读（浏览器、Windows）": lambda s, rng: as_gbk(s.encode("utf-8")),
    "UTF-8 当 GBK 读（Python replace）": lambda s, rng: as_gbk(s.encode("utf-8"), "replace"),
    "UTF-8 当 GBK 读（读不出的写成 ?）": lambda s, rng: as_gbk(s.encode("utf-8"), "bench-question"),
    "UTF-8 当 GBK 读，丢一个字节": lambda s, rng: as_gbk(drop_byte(s.encode("utf-8"), rng)),
    "UTF-8 当 GBK 读两次": lambda s, rng: as_gbk(as_gbk(s.encode("utf-8")).encode("utf-8")),
    "UTF-8 当 Latin-1 读": lambda s, rng: sloppy_1252(s.encode("utf-8")),
    "UTF-8 当 Latin-1 读，丢一个字节": lambda s, rng: sloppy_1252(drop_byte(s.encode("utf-8"), rng)),
    "UTF-8 当 Latin-1 读两次": lambda s, rng: sloppy_1252(sloppy_1252(s.encode("utf-8")).encode("utf-8")),
    "GBK 当 Latin-1 读": lambda s, rng: sloppy_1252(s.encode("gbk", errors="replace")),
    "GBK 当 UTF-8 读": lambda s, rng: s.encode("gbk", errors="replace").decode("utf-8", errors="replace"),
}


# ---------------------------------------------------------------- clean text

def _paragraphs_of(text: str) -> list[str]:
    """Lines of prose with enough Chinese in them, markup blanked out and squeezed."""
    found = []
    for line in prose_view(text).split("\n"):
        line = re.sub(r"\s{2,}", " ", line).strip()
        if len(HAN.findall(line)) >= 20:
            found.append(line)
    return found


def example_site_files() -> list[Path]:
    return sorted((REPO / "content").rglob("*.md"))


def clean_paragraphs(rng: random.Random, corpus_count: int) -> dict[str, list[str]]:
    site = [p for path in example_site_files() for p in _paragraphs_of(path.read_text("utf-8"))]
    docs = [p for path in sorted((REPO / "docs").glob("*.md")) for p in _paragraphs_of(path.read_text("utf-8"))]
    generated = [corpus.paragraph(rng) for _ in range(corpus_count)]
    return {"示例网站": site, "docs/*.md": docs, "基准语料": generated}


# ---------------------------------------------------------------- measuring

def _matches_with_losses(result: str, original: str) -> bool:
    """`result` is `original` with some characters replaced by one “�” each run (and nothing else)."""
    if "\ufffd" not in result:
        return False
    pattern = "".join(".{1,4}?" if c == "\ufffd" else re.escape(c) for c in result)
    return re.fullmatch(pattern, original, re.S) is not None


def measure(paragraphs: list[str], damage, whole: bool, samples: int, rng: random.Random, fixer=None):
    counts = dict(n=0, found=0, exact=0, marked=0, wrong=0)
    for _ in range(samples):
        text = rng.choice(paragraphs)
        if whole:
            start, end = 0, len(text)
        else:
            length = rng.randint(2, 12)
            han = [i for i, c in enumerate(text[:len(text) - length]) if HAN.match(c)]
            start = rng.choice(han)
            end = start + length
        garbled = damage(text[start:end], rng)
        if garbled == text[start:end]:
            continue
        damaged = text[:start] + garbled + text[end:]
        counts["n"] += 1
        if fixer is None:
            runs = mojibake.find_runs(damaged)
            if any(r.start < start + len(garbled) and r.end > start for r in runs):
                counts["found"] += 1
            result, left = mojibake.repair(damaged)
            wrong = any(r.repaired is not None and not _said_in(r.repaired, text) for r in runs)
        else:
            result, left = fixer(damaged), []
            counts["found"] += result != damaged
            wrong = result != damaged and result != text
        if result == text:
            counts["exact"] += 1
        elif _matches_with_losses(result, text) and (left or fixer):
            counts["marked"] += 1
        counts["wrong"] += wrong
    return counts


def _said_in(repaired: str, original: str) -> bool:
    """A repair says what the original said there (U+FFFD standing for what was lost)."""
    pattern = "".join(".{1,4}?" if c == "\ufffd" else re.escape(c) for c in repaired)
    return re.search(pattern, original, re.S) is not None


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def false_alarms(name: str, texts: list[str], whole_files: bool = False) -> list[str]:
    runs = changed = 0
    for text in texts:
        if whole_files:
            runs += sum(1 for f in textrules.scan(text) if f.rule == textrules.MOJIBAKE)
        else:
            runs += len(mojibake.find_runs(text))
        changed += mojibake.repair_mojibake(text) != text
    return [name, str(len(texts)), str(runs), str(changed)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=300, help="samples per kind of damage and scope")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--corpus", type=int, default=3000, help="corpus paragraphs for false alarms")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    clean = clean_paragraphs(rng, args.corpus)
    pool = [p for group in clean.values() for p in group]
    try:
        import ftfy
    except ImportError:
        ftfy = None

    rows = []
    for name, damage in DAMAGES.items():
        for whole in (False, True):
            c = measure(pool, damage, whole, args.samples, random.Random(f"{args.seed}{name}{whole}"))
            row = [name, "整段" if whole else "2–12 字", str(c["n"]), percent(c["found"], c["n"]),
                   percent(c["exact"], c["n"]), percent(c["marked"], c["n"]), percent(c["wrong"], c["n"])]
            if ftfy is not None:
                f = measure(pool, damage, whole, args.samples, random.Random(f"{args.seed}{name}{whole}"), ftfy.fix_text)
                row.append(percent(f["exact"], f["n"]))
            rows.append(row)
    headers = ["损坏方式", "范围", "样本", "检出", "完全还原", "还原且丢字已标出", "改错"]
    if ftfy is not None:
        headers.append(f"ftfy {ftfy.__version__} 完全还原")
    print(table(headers, rows))
    print()
    alarms = [false_alarms("示例网站（整个文件，check 的规则）", [p.read_text("utf-8") for p in example_site_files()], True)]
    alarms += [false_alarms(name, texts) for name, texts in clean.items()]
    alarms.append(false_alarms("基准语料转成繁体", [hanzi._converter("s2t").convert(p) for p in clean["基准语料"][:1000]]))
    print(table(["干净文字", "段落（文件）", "误报", "被改动"], alarms))


if __name__ == "__main__":
    main()
