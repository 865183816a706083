"""The 展评 deck (/brands/<id>/slides/): its slides follow the brand's data; the file, opened from
file:// in headless Chromium as an officer opens it from a USB stick, moves slide by slide, draws
every picture from inside itself, asks no host for anything, and prints one slide to a page."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from conftest import REPO, run_cli
from htmlcheck import PageInfo, read_page

SHOTS = REPO / "test-artifacts"
DECK_JS = REPO / "themes" / "default" / "templates" / "deck" / "deck.js"
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#b3121b"/></svg>'

RICH_BRAND = """\
---
name: 五彩
slogan: 五彩口号
logo: ../images/logo.svg
color: "#b3121b"
owner: 中共某镇委员会
标识释义: 外圈象征凝聚力。
内涵:
  - {名称: 红色铸魂, 释义: 把理论学习办到田间地头。}
  - {名称: 金色兴业}
工作法:
  - 名称: 五单工作法
    简介: 把为民服务拆成五张清单。
    步骤: [群众点单, 支部派单, 党员接单, 群众评单, 组织晒单]
  - 名称: 楼道议事会
    步骤: [{名称: 摸清意见, 说明: 上门听意见}, 楼道协商]
阵地: [{名称: 党群服务中心, 地址: 人民路 1 号}]
成效: [{数值: 630, 单位: 人次, 说明: 累计帮助困难群众}]
荣誉:
{honours}
大事记: [{日期: 2021-06-28, 事件: 品牌发布}]
---
品牌介绍。
"""


def deck_of(output, brand: str) -> BeautifulSoup:
    return BeautifulSoup((output / "brands" / brand / "slides" / "index.html").read_text("utf-8"), "html.parser")


def kinds(soup: BeautifulSoup) -> list[str]:
    return [next(c for c in s["class"] if c.startswith("slide-"))[6:] for s in soup.select("section.slide")]


def test_slides_follow_the_brand_data_in_order(make_site):
    honours = "\n".join(f"  - {{年份: {2010 + i}, 名称: 荣誉{i}}}" for i in range(8))
    site = make_site({"content/brands/wucai.md": RICH_BRAND.replace("{honours}", honours),
                      "content/images/logo.svg": LOGO})
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    soup = deck_of(site / "output", "wucai")
    assert kinds(soup) == ["cover", "logo", "values", "brands", "method", "method", "venues", "results", "honours",
                           "honours", "milestones", "story", "end"]
    titles = [h.get_text() for h in soup.select(".slide-title")]
    assert titles[:6] == ["标识释义", "品牌内涵", "品牌矩阵", "五单工作法", "楼道议事会", "服务阵地"]
    assert titles[7:9] == ["所获荣誉", "所获荣誉（续）"]  # eight honours: four and four
    matrix = soup.select("section.slide-brands .card")  # the sub-brand 鼎麟, with its story count
    assert [(c.h3.get_text(), c.select_one(".sub-count").get_text()) for c in matrix] == [("鼎麟", "1 篇案例")]
    assert [len(s.select(".rows li")) for s in soup.select("section.slide-honours")] == [4, 4]
    methods = soup.select("section.slide-method")
    assert [n.get_text() for n in methods[0].select(".step-name")] == ["群众点单", "支部派单", "党员接单", "群众评单",
                                                                       "组织晒单"]
    assert "steps-across" in methods[0].select_one(".steps")["class"]  # short steps run across
    assert methods[1].select_one(".step-note").get_text() == "上门听意见"
    cover = soup.select_one("section.slide-cover")
    assert cover.h1.get_text() == "五彩" and "五彩口号" in cover.get_text() and "中共某镇委员会" in cover.get_text()
    assert cover.img["src"].startswith("data:image/svg+xml;base64,")
    assert soup.select_one("section.slide-story .slide-title").get_text() == "第一篇"
    numbers = [n.get_text() for n in soup.select(".slide-number")]
    assert numbers[0] == "2 / 13" and numbers[-1] == "13 / 13"  # the cover shows none
    # a brand without a showcase: its cover, its stories and the closing slide, nothing empty
    assert kinds(deck_of(site / "output", "dinglin")) == ["cover", "story", "end"]
    assert "/slides/" not in (site / "output" / "sitemap.xml").read_text("utf-8")  # its brand page is listed


def test_every_deck_carries_everything_inside_it(example_output):
    for folder in sorted((example_output / "brands").glob("*/slides")):
        html = (folder / "index.html").read_text("utf-8")
        info = PageInfo(html)
        assert info.resources and all(url.startswith("data:") for url in info.resources), folder
        assert not info.links, folder  # no link leads off the stick
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.select("link[rel=stylesheet], script[src]")
        assert soup.select_one(".slide-end svg path[stroke]"), "the QR code of the brand page"
        assert len(html.encode()) < 1_000_000, folder  # the example's photos: about 100–250 KB a deck
    brand = read_page(example_output, "/dangjian/brands/wucai-linhu/")
    assert "/dangjian/brands/wucai-linhu/slides/" in brand.links


@pytest.fixture
def desk(browser):
    """A venue's computer: a 1280×720 window that records every request."""
    context = browser.new_context(viewport={"width": 1280, "height": 720}, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def current(page) -> tuple[str, str]:
    return tuple(page.evaluate("[document.querySelector('.slide.current').id, document.querySelector('.deck-count').textContent]"))


def test_deck_from_a_usb_stick_moves_slide_by_slide_and_asks_no_host(desk, example_output, tmp_path):
    stick = tmp_path / "U盘"
    stick.mkdir()
    deck = stick / "五彩麟湖-展评.html"
    shutil.copy(example_output / "brands/wucai-linhu/slides/index.html", deck)  # the file alone, renamed
    desk.goto(deck.as_uri())
    total = desk.locator(".slide").count()
    assert total >= 10
    assert not desk.locator(".deck-save").is_visible()  # opened from the disk: it is saved already
    for number in range(1, total + 1):
        assert current(desk) == (f"slide-{number}", f"{number} / {total}")
        assert desk.locator(f"#slide-{number}").is_visible()
        assert desk.locator(".slide:visible").count() == 1
        desk.keyboard.press("ArrowRight")
    assert current(desk)[0] == f"slide-{total}"  # stays on the last
    for key, expected in (("Home", 1), ("PageDown", 2), ("Space", 3), ("Shift+Space", 2), ("ArrowDown", 3),
                          ("ArrowLeft", 2), ("PageUp", 1), ("End", total), ("ArrowUp", total - 1)):
        desk.keyboard.press(key)
        assert current(desk)[0] == f"slide-{expected}", key
    desk.keyboard.press("Home")
    desk.mouse.click(1000, 360)  # a click moves on; on the left third, back
    assert current(desk)[0] == "slide-2"
    desk.mouse.click(100, 360)
    assert current(desk)[0] == "slide-1"
    desk.click(".deck-next")
    assert current(desk)[0] == "slide-2"
    swipe = """dx => { const t = (x) => new Touch({identifier: 1, target: document.body, clientX: x, clientY: 300});
      document.body.dispatchEvent(new TouchEvent('touchstart', {touches: [t(700)], changedTouches: [t(700)], bubbles: true}));
      document.body.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [t(700 + dx)], bubbles: true})); }"""
    desk.evaluate(swipe, -200)
    assert current(desk)[0] == "slide-3"
    desk.evaluate(swipe, 200)
    assert current(desk)[0] == "slide-2"
    desk.reload()  # the slide is kept in the address
    assert current(desk)[0] == "slide-2"

    images = desk.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth])")
    assert images and all(done and width > 0 for done, width in images)
    # the text of every slide fits it, and stays large: 32 px body text on 720 px, never under 60 %
    fits = desk.evaluate("""[...document.querySelectorAll('.slide-body')].map(b =>
        [b.scrollHeight <= b.clientHeight + 1, parseFloat(getComputedStyle(b).fontSize)])""")
    assert all(ok and size >= 19 for ok, size in fits), fits
    assert {urlsplit(url).scheme for url in desk.requests} <= {"file", "data"}
    assert [url for url in desk.requests if url.startswith("file:")] == [deck.as_uri()] * 2  # itself, and reloaded
    SHOTS.mkdir(exist_ok=True)
    for number in (1, 5, total):
        desk.evaluate(f"location.hash = '#{number}'")
        desk.mouse.move(10, 10)
        desk.screenshot(path=str(SHOTS / f"deck-{number}.png"))


def test_deck_goes_full_screen_with_f_and_the_button(desk, example_output):
    desk.goto((example_output / "brands/wangge-lianxin/slides/index.html").as_uri())
    full = desk.locator(".deck-full")
    assert full.inner_text() == "全屏"
    desk.keyboard.press("f")
    desk.wait_for_function("document.fullscreenElement === document.documentElement")
    assert full.inner_text() == "退出全屏"
    full.click()
    desk.wait_for_function("document.fullscreenElement === null")
    assert full.inner_text() == "全屏"
    # the deck fills the window it is in: a 16:9 slide in a 16:10 window keeps its shape
    desk.set_viewport_size({"width": 1440, "height": 900})
    box = desk.locator(".slide.current").bounding_box()
    assert abs(box["width"] - 1440) < 1 and abs(box["height"] - 810) < 1


def test_deck_prints_one_slide_to_a_landscape_page(desk, example_output):
    desk.goto((example_output / "brands/wucai-linhu/slides/index.html").as_uri())
    total = desk.locator(".slide").count()
    handout = PdfReader(io.BytesIO(desk.pdf(prefer_css_page_size=True, print_background=True)))  # as "save as PDF"
    assert len(handout.pages) == total
    for page in handout.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width / height - 16 / 9) < 0.01 and width == 960  # 13.33 × 7.5 in, PowerPoint's 16:9
    on_a4 = PdfReader(io.BytesIO(desk.pdf(format="A4", landscape=True)))  # a printer's own paper
    assert len(on_a4.pages) == total
    assert "谢谢观看" in handout.pages[-1].extract_text()


def test_deck_without_script_shows_every_slide(browser, example_output):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, java_script_enabled=False)
    page = context.new_page()
    page.goto((example_output / "brands/dinglin/slides/index.html").as_uri())
    assert page.locator(".slide").count() == page.locator(".slide:visible").count() > 3
    assert not page.locator(".deck-bar").is_visible()
    context.close()


def test_deck_script_is_es5(example_output, tmp_path):
    """The deck's script, as written and as inlined into a built deck, parses as ES5 (old browsers)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the script tests: apt-get install nodejs"
    soup = deck_of(example_output, "wucai-linhu")
    inline = [script.string for script in soup.find_all("script")]
    assert len(inline) == 2  # the class set before the first paint, and deck.js
    built = tmp_path / "deck-inline.js"
    built.write_text("\n;\n".join(inline), "utf-8")
    result = subprocess.run([node, str(REPO / "tests/js/es5.js"), str(DECK_JS), str(built)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_brand_page_offers_the_deck_and_poster_at_360_px(phone, example_server, example_output):
    phone.goto(example_server + "brands/wucai-linhu/")
    actions = phone.locator(".brand-action")
    assert actions.all_inner_texts() == ["展示模式", "保存海报"]
    for index in range(2):
        box = actions.nth(index).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    SHOTS.mkdir(exist_ok=True)
    phone.locator(".brand-hero").screenshot(path=str(SHOTS / "brand-actions-360.png"))
    poster = phone.get_attribute(".brand-action >> nth=1", "href")
    response = phone.request.get(urlsplit(example_server)._replace(path=poster).geturl())
    assert response.ok and response.headers["content-type"] == "image/png"
    actions.first.click()
    # the deck writes the slide number into the address as soon as its script runs (…/slides/#1)
    phone.wait_for_url(re.compile(r"/brands/wucai-linhu/slides/(#1)?$"))
    assert phone.locator(".slide.current h1").inner_text() == "五彩麟湖·五美党建"
    save = phone.locator(".deck-save")  # on the website: download the file to take to the hall
    assert save.is_visible() and save.get_attribute("download") == "五彩麟湖·五美党建-展评.html"
    with phone.expect_download() as download:
        save.click()
    assert download.value.suggested_filename == "五彩麟湖·五美党建-展评.html"
    assert Path(download.value.path()).read_bytes() == (example_output / "brands/wucai-linhu/slides/index.html").read_bytes()
    assert {urlsplit(url).netloc for url in phone.requests} == {urlsplit(example_server).netloc}


def test_deck_has_no_serious_accessibility_violation(desk, example_output):
    axe = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
    assert axe.is_file(), "axe-core is missing: run `npm ci --prefix tests/js` (see .ci/run)"
    # Without motion the controls are either shown or gone: axe must not catch them half faded
    # (they fade out 2.5 s after the last move, and a page of axe can take that long).
    desk.emulate_media(reduced_motion="reduce")
    desk.goto((example_output / "brands/wucai-linhu/slides/index.html").as_uri())
    found = {}
    for number in range(1, desk.locator(".slide").count() + 1):
        desk.evaluate(f"location.hash = '#{number}'")
        desk.add_script_tag(path=str(axe))
        violations = desk.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                                   ".filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.nodes.map(n => n.html.slice(0, 100)).join(' | '))")
        if violations:
            found[number] = violations
    assert not found, found
