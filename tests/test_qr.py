"""QR codes of story and brand page URLs: drawn at build time, once per URL, cached in .cache/qr.sqlite across
builds and across the forked render workers. (The browser test reads a code back from a
screenshot: tests/test_a11y_browser.py.)"""
from __future__ import annotations

import collections
import random
import re
import sqlite3
import xml.etree.ElementTree as ET
from urllib.parse import quote

import numpy as np
import pytest
import zxingcpp

from conftest import run_cli
from zhuanlan import qr, qrmask

BASE = "https://example.gov.cn/dangjian/"


@pytest.fixture
def drawn(monkeypatch):
    """URLs drawn in this process (forked workers draw in their own copy: see the parallel test)."""
    urls: list[str] = []
    real = qr.draw

    def counting(url: str) -> str:
        urls.append(url)
        return real(url)

    monkeypatch.setattr(qr, "draw", counting)
    return urls


def cached(site) -> dict[str, str]:
    with sqlite3.connect(site / ".cache" / "qr.sqlite") as db:
        return dict(db.execute("SELECT url, svg FROM codes"))


def story_svg(site, slug: str) -> str:
    html = (site / "output" / "stories" / slug / "index.html").read_text("utf-8")
    found = re.findall(r"<svg class=\"qr-code\".*?</svg>", html, re.S)
    assert len(found) == 1
    return found[0]


def test_a_story_shows_the_code_of_its_own_address(make_site, drawn):
    site = make_site()
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    svg = story_svg(site, "first")
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and root.get("aria-label") == "本文网址的二维码"
    assert root.get("viewBox") and not root.get("width")  # sized by the stylesheet
    # each code once: the brand pages' codes serve their 展评 decks too
    codes = [BASE + "brands/dinglin/", BASE + "brands/wucai/", BASE + "stories/first/"]
    assert sorted(drawn) == codes and sorted(cached(site)) == codes
    assert svg.split(">", 1)[1] == qr.draw(BASE + "stories/first/").split(">", 1)[1]
    # story and brand pages carry one, lists do not
    assert "qr-code" not in (site / "output" / "index.html").read_text("utf-8")
    brand = (site / "output" / "brands" / "wucai" / "index.html").read_text("utf-8")
    assert re.search(r'<svg class="qr-code" focusable="false" role="img" aria-label="品牌页网址的二维码"', brand)
    deck = (site / "output" / "brands" / "wucai" / "slides" / "index.html").read_text("utf-8")
    assert cached(site)[BASE + "brands/wucai/"] in deck


def test_codes_are_drawn_once_and_forgotten_when_the_story_goes(make_site, drawn):
    site = make_site()
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    first = story_svg(site, "first")
    story = site / "content/stories/first.md"
    story.write_text(story.read_text("utf-8") + "\n又一段。\n", "utf-8")  # the page is rendered again
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    assert "又一段" in (site / "output/stories/first/index.html").read_text("utf-8")
    assert story_svg(site, "first") == first
    brands = [BASE + "brands/dinglin/", BASE + "brands/wucai/"]
    assert sorted(drawn) == [*brands, BASE + "stories/first/"]  # looked up, not drawn again

    story.rename(site / "content/stories/renamed.md")
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    assert drawn[-1] == BASE + "stories/renamed/" and len(drawn) == 4
    assert sorted(cached(site)) == [*brands, BASE + "stories/renamed/"]

    assert run_cli("--site", str(site), "--jobs", "1", "--clean") == 0  # --clean trusts no cache
    assert sorted(drawn[4:]) == [*brands, BASE + "stories/renamed/"]


def test_a_damaged_cache_is_only_a_lost_speed_up(make_site, drawn):
    site = make_site()
    (site / ".cache").mkdir()
    (site / ".cache" / "qr.sqlite").write_bytes(b"not a database" * 100)
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    assert story_svg(site, "first")
    assert BASE + "stories/first/" in cached(site)


def test_codes_drawn_in_forked_workers_are_cached_by_the_parent(make_site, monkeypatch):
    stories = {f"content/stories/s{i:03d}.md": f"---\ntitle: 第{i}篇\ndate: 2023-01-01\n---\n正文{i}。\n"
               for i in range(200)}
    site = make_site(stories)
    assert run_cli("--site", str(site), "--jobs", "2") == 0  # ≥ 200 pages: rendered by a pool
    codes = cached(site)
    assert len(codes) == 203 and BASE + "stories/s123/" in codes
    assert story_svg(site, "s123").split(">", 1)[1] == codes[BASE + "stories/s123/"].split(">", 1)[1]

    def refuse(url):
        raise AssertionError(f"drew {url} again")

    monkeypatch.setattr(qr, "draw", refuse)  # forked workers inherit it
    yaml = site / "site.yaml"
    yaml.write_text(yaml.read_text("utf-8").replace("测试站", "改名的站"), "utf-8")  # every page again
    assert run_cli("--site", str(site), "--jobs", "2") == 0
    assert "改名的站" in (site / "output/stories/s123/index.html").read_text("utf-8")


def test_the_cache_class_alone():
    codes = qr.QrCodes(None)
    svg = codes.svg("https://example.gov.cn/a/", "标签")
    assert svg.startswith('<svg class="qr-code" focusable="false" role="img" aria-label="标签" ')
    assert codes.svg("https://example.gov.cn/a/") .endswith("</svg>") and codes.drawn == 1
    assert 'aria-hidden="true"' in codes.svg("https://example.gov.cn/a/")
    assert list(codes.take_new()) == ["https://example.gov.cn/a/"] and codes.take_new() == {}



def path_modules(svg: str) -> list[list[bool]]:
    """Read the dark modules back out of a drawn code's path (M/m moves and h runs)."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    grid = [[False] * side for _ in range(side)]
    d = re.search(r'stroke="#000" d="([^"]+)"', svg).group(1)
    x = y = 0.0
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", d):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            for col in range(int(x), int(x) + int(a)):
                assert not grid[int(y)][col], "runs never overlap"
                grid[int(y)][col] = True
            x += int(a)
    return grid


@pytest.mark.parametrize("url", [
    "https://a.cn/",
    BASE + "stories/wu-dan-gong-zuo-fa/",
    BASE + "stories/2023-03-15-wu-dan-gong-zuo-fa-rang-qun-zhong-de-xiao-xin-yuan-you-ren-jie-you-hui-yin/",
    BASE + "tags/%E5%85%9A%E5%BB%BA/?q=网格连心",
    BASE + "tags/" + quote("网格连心") + "/",
    BASE + "stories/" + quote("在习近平新时代中国特色社会主义思想指引下党建引领基层治理的十个故事") + "/",  # version 11
])
def test_the_drawn_path_is_the_code_and_reads_back_as_the_url(url):
    from PIL import Image

    svg = qr.draw(url)
    grid = np.array(path_modules(svg))
    border = qr.BORDER
    assert not grid[:border].any() and not grid[-border:].any()  # the quiet zone is drawn white
    assert not grid[:, :border].any() and not grid[:, -border:].any()
    assert (grid[border:-border, border:-border] == qr.modules(url)).all()
    pixels = np.where(grid, 0, 255).astype(np.uint8).repeat(8, axis=0).repeat(8, axis=1)
    found = zxingcpp.read_barcodes(Image.fromarray(pixels))
    assert [(r.text, r.ec_level) for r in found] == [(url, qr.ERROR)]


# -- the mask: qrmask picks zxing-cpp's own, for less --------------------------------------------------

SYLLABLES = ("dang", "jian", "wu", "dan", "gong", "zuo", "fa", "hong", "se", "yin", "qing", "xian", "feng", "fu",
             "qun", "zhong", "wang", "ge", "lian", "xin", "zhi", "bu", "shu", "ji", "she", "qu", "cun", "xiang",
             "zhen", "jie", "dao", "xue", "xiao", "ke", "yan", "ling", "hang")
HANZI = "党建网格连心红色引擎先锋服务群众支部书记社区乡村振兴学习强国"


def site_urls(count: int) -> list[str]:
    """URLs of the shapes the site makes (stories, brands, column pages, tags in pinyin or
    percent-encoded Chinese, a search), 13 to about 320 bytes long: QR versions 1 to 13."""
    rnd = random.Random(20)
    hosts = ["https://a.cn", "http://dj.cn", "HTTP://DJ.CN", "https://example.gov.cn/dangjian",
             "https://www.dw.example.edu.cn/zhuanlan/dangjian", "HTTPS://EXAMPLE.GOV.CN/DJ"]

    def slug(most: int) -> str:
        return "-".join(rnd.choice(SYLLABLES) for _ in range(rnd.randint(1, most)))

    def chinese(most: int) -> str:
        return quote("".join(rnd.choice(HANZI) for _ in range(rnd.randint(1, most))))

    shapes = [
        lambda: "/",
        lambda: f"/stories/{slug(60)}/",
        lambda: f"/stories/{rnd.randint(2015, 2026)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}-{slug(30)}/",
        lambda: f"/stories/{chinese(30)}/",
        lambda: f"/brands/{slug(4)}/",
        lambda: f"/columns/{slug(3)}/page/{rnd.randint(2, 99)}/",
        lambda: f"/tags/{slug(4).replace('-', '')}/",
        lambda: f"/tags/{chinese(12)}/",
        lambda: f"/search/?q={chinese(20)}",
    ]
    return [rnd.choice(hosts) + rnd.choice(shapes)() for _ in range(count)]


def zxing_modules(url: str, **options) -> np.ndarray:
    code = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level=qr.ERROR, **options)
    return np.asarray(code.to_image(scale=1, add_quiet_zones=False)) < 128


def test_each_code_is_the_one_zxing_cpp_draws_with_the_mask_it_chooses():
    urls = site_urls(2500)
    sides = collections.Counter()
    differ = []
    codes = {}
    for url in urls:
        theirs = codes[url] = zxing_modules(url)  # zxing-cpp (Zint) scores the eight masks itself
        ours = qr.modules(url)
        sides[theirs.shape[0]] += 1
        if ours.shape != theirs.shape or (ours != theirs).any():
            differ.append(url)
    assert not differ, f"{len(differ)} of {len(urls)} codes differ, first {differ[:3]}"
    versions = {(side - 17) // 4 for side in sides}
    assert set(range(1, 13)) <= versions  # 12 and up: wider than a bitboard, drawn by zxing-cpp alone
    assert min(sides[17 + 4 * version] for version in range(2, 12)) >= 20

    # every mask is chosen by some of them: a scoring that favoured some masks would show
    chosen = collections.Counter()
    for url in urls[:300]:
        chosen.update(mask for mask in range(8) if (zxing_modules(url, data_mask=mask) == codes[url]).all())
    assert sorted(chosen) == list(range(8))


def plain_penalty(symbol: np.ndarray) -> int:
    """The four penalty rules written plainly, one symbol at a time, with Zint's conventions: a
    finder-like pattern counts once even with light on both sides, and beyond the edge is light."""
    side = len(symbol)
    lines = ["".join("1" if dark else "0" for dark in line) for line in (*symbol.tolist(), *symbol.T.tolist())]
    runs = sum(len(run) - 2 for line in lines for run in re.findall(r"0{5,}|1{5,}", line))
    grid = symbol.tolist()
    blocks = sum(3 for r in range(side - 1) for c in range(side - 1)
                 if grid[r][c] == grid[r][c + 1] == grid[r + 1][c] == grid[r + 1][c + 1])
    finders = 0
    for line in lines:
        padded = "0000" + line + "0000"
        for at in range(4, side - 2):
            if padded[at:at + 7] == "1011101" and "0000" in (padded[at - 4:at], padded[at + 7:at + 11]):
                finders += 40
    balance = 10 * int(abs(100.0 * symbol.sum() / (side * side) - 50.0) / 5.0)
    return runs + blocks + finders + balance


def test_the_mask_penalties_count_by_the_rules():
    """qrmask's bit tricks against the rules written plainly, on random symbols of every width it
    scores, from mostly light to mostly dark (rule 4 is seldom what decides between real masks)."""
    rnd = np.random.default_rng(20)
    for side in range(21, 65, 4):
        symbols = np.stack([rnd.random((side, side)) < rnd.uniform(0.15, 0.85) for _ in range(6)]
                           + [np.zeros((side, side), bool), np.ones((side, side), bool)])
        assert list(qrmask.penalties(qrmask.bitboards(symbols), side)) == [plain_penalty(s) for s in symbols]
