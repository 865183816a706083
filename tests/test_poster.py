"""Posters (海报): a brand's PNG drawn at build time and a story's drawn by the 生成海报 button in the
browser both carry a QR code that reads back (zxing-cpp) as their page's address; the brand poster
is cached and published under a content-hashed name; a machine without a Chinese font builds
everything else and says so once (the font search pointed at a folder through ZHUANLAN_FONT_DIRS)."""
from __future__ import annotations

import base64
import io
import json
import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from conftest import REPO, run_cli
from htmlcheck import PageInfo, read_page
from zhuanlan import fonts, poster
from zhuanlan.problems import Problems

SHOTS = REPO / "test-artifacts"
CANONICAL = "https://www.linhu.example.gov.cn/dangjian/"
BASE = "https://example.gov.cn/dangjian/"


def latin_font() -> Path:
    """A font of this machine that has no Chinese (DejaVu, Liberation…)."""
    listed = subprocess.run(["fc-list", ":lang=en", "file"], capture_output=True, text=True).stdout.split("\n")
    for line in sorted(listed):
        path = line.strip().rstrip(":")
        if path.endswith((".ttf", ".otf")) and fonts.chinese_face(path) is None:
            return Path(path)
    pytest.fail("no Latin font found with fc-list")


def system_chinese_font() -> fonts.FontFile:
    found = fonts.find_font(SimpleNamespace(poster_font="", path=Path("site.yaml"), root=Path(".")), Problems())
    assert found, "the tests need a Chinese font: apt-get install fonts-noto-cjk"
    return found


def read_qr(image: Image.Image) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(image)]


def poster_links(output: Path, brand: str) -> list[str]:
    return [url for url in read_page(output, f"/dangjian/brands/{brand}/").links if url.endswith(".png")]


def test_each_brand_poster_reads_back_as_its_page(example_output):
    manifest = json.loads(next((example_output.parent / ".cache").glob("output-*.json")).read_text("utf-8"))
    for brand in ("wucai-linhu", "dinglin", "wangge-lianxin"):
        [link] = poster_links(example_output, brand)
        assert re.fullmatch(rf"/dangjian/brands/{brand}/poster\.[0-9a-f]{{20}}\.png", link)
        rel = link[len("/dangjian/"):]
        assert rel in manifest["files"]  # written by the Stager, removed by it when it goes
        image = Image.open(example_output / rel)
        assert image.format == "PNG" and image.width >= 750 and image.height > image.width
        assert read_qr(image) == [CANONICAL + f"brands/{brand}/"]
    SHOTS.mkdir(exist_ok=True)
    Image.open(example_output / poster_links(example_output, "wucai-linhu")[0][len("/dangjian/"):]).save(
        SHOTS / "poster-brand.png")


def test_a_brand_poster_is_cached_and_drawn_again_only_when_what_it_shows_changes(make_site):
    site = make_site({"content/brands/wucai.md": "---\nname: 五彩\nslogan: 旧口号\n成效: [{数值: 9, 单位: 家, 说明: 共富工坊}]\n---\n介绍。\n"})
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    [first] = poster_links(site / "output", "wucai")
    cached = list((site / ".cache/posters").iterdir())
    assert len(cached) == 2  # both brands
    stamps = {p.name: p.stat().st_mtime_ns for p in cached}
    brand = site / "content/brands/wucai.md"
    brand.write_text(brand.read_text("utf-8").replace("介绍。", "新的介绍。"), "utf-8")  # not on the poster
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    assert poster_links(site / "output", "wucai") == [first]
    assert {p.name: p.stat().st_mtime_ns for p in (site / ".cache/posters").iterdir()} == stamps
    brand.write_text(brand.read_text("utf-8").replace("旧口号", "新口号"), "utf-8")
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    [second] = poster_links(site / "output", "wucai")
    assert second != first
    assert not (site / "output" / first.removeprefix("/dangjian/")).exists()
    assert (site / "output" / second.removeprefix("/dangjian/")).is_file()
    assert len(list((site / ".cache/posters").iterdir())) == 2  # the old one is forgotten
    assert read_qr(Image.open(site / "output" / second.removeprefix("/dangjian/"))) == [BASE + "brands/wucai/"]


def test_posters_drawn_on_several_cores_are_the_ones_drawn_on_one(make_site):
    site = make_site({"content/brands/wangge.md": "---\nname: 网格连心\nparent: wucai\n---\n介绍。\n"})
    assert run_cli("--site", str(site), "--jobs", "2") == 0  # three posters: drawn by forked workers
    assert run_cli("--site", str(site), "--jobs", "1", "--clean", "--output", str(site / "again")) == 0
    for brand in ("wucai", "dinglin", "wangge"):
        [link] = poster_links(site / "output", brand)
        rel = link.removeprefix("/dangjian/")
        assert (site / "output" / rel).read_bytes() == (site / "again" / rel).read_bytes()
        assert read_qr(Image.open(site / "output" / rel)) == [BASE + f"brands/{brand}/"]


def test_a_machine_without_a_chinese_font_builds_everything_else_and_says_so_once(make_site, tmp_path, monkeypatch,
                                                                                 capsys):
    chinese = system_chinese_font().path  # found before the search is pointed elsewhere
    folder = tmp_path / "fonts"
    folder.mkdir()
    os.symlink(latin_font(), folder / "latin.ttf")  # a font, but one that has no Chinese
    monkeypatch.setenv(fonts.FONT_DIRS_ENV, str(folder))
    site = make_site()
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    err = capsys.readouterr().err
    assert err.count("没有找到中文字体") == 1 and "fonts-noto-cjk" in err and "海报字体" in err
    assert "site.yaml: 警告:" in err
    output = site / "output"
    assert not list(output.rglob("*.png"))
    page = (output / "brands/wucai/index.html").read_text("utf-8")
    assert "展示模式" in page and "保存海报" not in page
    assert (output / "brands/wucai/slides/index.html").is_file()  # the deck needs no font of ours

    # the officer installs a font and builds again, nothing else changed: now there are posters
    os.symlink(chinese, folder / "chinese.ttc")
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    assert "没有找到中文字体" not in capsys.readouterr().err
    assert poster_links(output, "wucai") and "保存海报" in (output / "brands/wucai/index.html").read_text("utf-8")


def test_the_font_named_in_site_yaml_is_used_and_a_wrong_one_is_an_error(make_site, tmp_path, monkeypatch, capsys):
    chinese = system_chinese_font().path
    monkeypatch.setenv(fonts.FONT_DIRS_ENV, str(tmp_path / "nothing-here"))  # only what site.yaml names
    config = "title: 测试站\nbase_url: https://example.gov.cn/dangjian/\n海报字体: {}\n"
    site = make_site({"site.yaml": config.format("fonts/missing.ttf")})
    assert run_cli("--site", str(site), "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert re.search(r"site\.yaml:3: 错误: 海报字体 \"fonts/missing\.ttf\" 不存在", err), err
    assert not (site / "output").exists()

    (site / "fonts").mkdir()
    os.symlink(latin_font(), site / "fonts/latin.ttf")
    (site / "site.yaml").write_text(config.format("fonts/latin.ttf"), "utf-8")
    assert run_cli("--site", str(site), "--jobs", "1") == 1
    assert "site.yaml:3: 错误: 海报字体 \"fonts/latin.ttf\" 不是含中文的字体文件" in capsys.readouterr().err

    os.symlink(chinese, site / "fonts/chinese.ttc")
    (site / "site.yaml").write_text(config.format("fonts/chinese.ttc"), "utf-8")
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    assert read_qr(Image.open(site / "output" / poster_links(site / "output", "wucai")[0][len("/dangjian/"):])) == [
        BASE + "brands/wucai/"]


def test_an_svg_logo_is_drawn_without_reading_any_other_file(tmp_path):
    secret = tmp_path / "secret.png"
    Image.new("RGB", (20, 20), (255, 0, 0)).save(secret)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 20 10">'
           f'<rect width="20" height="10" fill="#0000ff"/><image href="{secret}" width="10" height="10"/>'
           f'<image xlink:href="file://{secret}" x="10" width="10" height="10"/></svg>').encode()
    image = poster.rasterise_svg(svg, 200)
    assert image.size == (200, 100)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert not ((pixels[:, 0] > 200) & (pixels[:, 2] < 50)).any()  # nothing red: the file was not read
    assert ((pixels[:, 2] > 200) & (pixels[:, 0] < 50)).mean() > 0.9


def test_lines_never_start_with_a_closing_mark_and_fit_their_width():
    face = system_chinese_font().load(32)
    text = "“五单工作法”一年办结群众需求，群众点单、支部派单、党员接单。群众评单（不满意的退回）、组织晒单！" * 3
    for width in range(200, 700, 37):
        lines = poster.wrap(text, face, width, 99)
        assert "".join(lines) == text
        for line in lines:
            assert line[0] not in "，。、！）”" and line[-1] not in "“（"
            assert face.getlength(line) <= width + face.getlength("，")  # a mark may hang over by one
    assert poster.wrap(text, face, 300, 2)[-1].endswith("…")
    slogan = "红色铸魂 金色兴业 绿色宜居 蓝色善治 紫色暖心"
    assert poster.wrap(slogan, face, 330, 3, phrases=True) == ["红色铸魂 金色兴业", "绿色宜居 蓝色善治", "紫色暖心"]


def test_the_fullest_poster_fits_the_canvas_it_is_drawn_on():
    """The canvas is only as tall as a poster can be (not a fixed 4,000 pixels): the most a poster
    holds (a logo, a two-line name, a three-line slogan, six figures with two-line labels) is
    drawn whole, down to the band at its foot, and its code reads back."""
    long = "网格连心 党群同心 服务暖心 治理用心 " * 4
    figures = tuple((f"{n}00,000", "人次", "群众满意度测评、走访入户、结对帮扶、志愿服务时长合计，" * 2) for n in range(1, 7))
    text = poster.PosterText("临湖镇党建品牌展示", long, long, "中共临湖镇委员会组织办公室（党建工作办公室）",
                             figures, "#1f5fa8", CANONICAL, "logo.png")
    image = poster.draw(text, system_chinese_font(), Image.new("RGBA", (240, 240), (200, 30, 30, 255)))
    band = tuple(int(c) for c in np.asarray(image)[-8, 540])
    assert band == poster.colors.parse(poster.colors.text_color("#1f5fa8"))  # the foot band, not cut off
    assert read_qr(image) == [CANONICAL]
    assert image.height > 2000


# -- the story poster, drawn in the reader's browser ---------------------------------------------------

def make_poster(page) -> Image.Image:
    page.locator(".make-poster").click()
    page.wait_for_selector(".poster-image[src^='data:image/']")
    source = page.get_attribute(".poster-image", "src")
    return Image.open(io.BytesIO(base64.b64decode(source.split(",", 1)[1])))


@pytest.mark.parametrize("story", ["wu-dan-gong-zuo-fa", "hu-pan-ke-tang"])  # with a cover, and without
def test_story_poster_button_draws_a_poster_whose_code_is_the_page(phone, example_server, story):
    phone.goto(example_server + f"stories/{story}/")
    phone.wait_for_load_state("networkidle")
    assert not any("poster.js" in url for url in phone.requests)  # fetched on the first press only
    button = phone.locator(".make-poster")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 360
    has_cover = button.get_attribute("data-cover") is not None
    assert has_cover == (story == "wu-dan-gong-zuo-fa")
    image = make_poster(phone)
    assert image.width >= 750 and image.height > image.width
    assert read_qr(image) == [CANONICAL + f"stories/{story}/"]
    assert phone.locator(".poster-hint").inner_text() == "长按图片保存或发送给朋友"
    assert phone.evaluate("document.activeElement.className") == "poster-hint"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert {urlsplit(url).netloc for url in phone.requests} == {urlsplit(example_server).netloc}
    if has_cover:
        assert any(url.endswith(button.get_attribute("data-cover")) for url in phone.requests)
        SHOTS.mkdir(exist_ok=True)
        image.save(SHOTS / "poster-story.png")
        phone.screenshot(path=str(SHOTS / "poster-story-360.png"))
    phone.locator(".poster-close").click()
    assert not phone.locator(".poster-panel").is_visible()
    assert phone.evaluate("document.activeElement.className").endswith("make-poster")


def test_story_poster_is_drawn_without_its_cover_when_that_cannot_load(phone, example_server):
    phone.route("**/images/cover-wudan-*", lambda route: route.abort())
    phone.goto(example_server + "stories/wu-dan-gong-zuo-fa/")
    image = make_poster(phone)
    assert read_qr(image) == [CANONICAL + "stories/wu-dan-gong-zuo-fa/"]
    red = phone.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--red').trim()")
    top = np.asarray(image.convert("RGB"))[40, 40].astype(int)
    assert np.abs(top - [int(red[i:i + 2], 16) for i in (1, 3, 5)]).max() < 8  # the theme's colour for the cover


def test_story_poster_button_needs_javascript(browser, example_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(example_server + "stories/wu-dan-gong-zuo-fa/")
    assert page.locator(".make-poster").count() == 1 and not page.locator(".make-poster").is_visible()
    context.close()


def test_every_story_page_offers_a_poster(example_output):
    for page in sorted((example_output / "stories").glob("*/index.html")):
        html = page.read_text("utf-8")
        assert 'class="tool make-poster"' in html and 'class="qr-code"' in html, page
        info = PageInfo(html)
        assert not any(url.endswith(".png") and "poster" in url for url in info.resources)  # nothing per story
