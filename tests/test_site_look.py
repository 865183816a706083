"""What site.yaml gives every page (the main colour, the icon, the home banner) and how the pages
read (the date as written, each story once on the home page, one search box on the 404 page), in
the built HTML. The same seen in a browser: tests/test_first_screen.py."""
from __future__ import annotations

import re
from collections import Counter

from PIL import Image

from conftest import run_cli
from imagefiles import png

PAGES = ["index.html", "columns/news/index.html", "search/index.html", "brands/wucai/index.html",
         "stories/first/index.html", "tags/index.html", "404.html"]


def built(make_site, files: dict) -> dict[str, str]:
    site = make_site(files)
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    return site / "output"


def test_the_time_is_shown_only_when_written_and_pubdate_keeps_its_format(make_site):
    site = make_site({"content/stories/second.md": "---\ntitle: 第二篇\ndate: 2026-10-25\n---\n正文。\n"})
    for _ in range(2):  # the second build reads the stories from the parse cache
        assert run_cli("--site", str(site), "--jobs", "1") == 0
        dated = (site / "output/stories/second/index.html").read_text("utf-8")
        assert re.search(r"发布时间：<time datetime=\"2026-10-25T00:00:00\">2026-10-25</time>", dated)
        assert '<meta name="PubDate" content="2026-10-25 00:00">' in dated  # what site monitoring reads
        timed = (site / "output/stories/first/index.html").read_text("utf-8")
        assert "发布时间：<time datetime=\"2022-03-15T09:30:00\">2022-03-15 09:30</time>" in timed
        assert '<meta name="PubDate" content="2022-03-15 09:30">' in timed


def test_the_home_page_shows_each_story_once(example_output):
    html = (example_output / "index.html").read_text("utf-8")
    main = html[html.index("<main"):html.index("</main>")]
    links = Counter(re.findall(r'href="/dangjian/(stories/[^"]+)"', main))
    assert len(links) == 10 and set(links.values()) == {1}, links  # every story of the example, once
    # a column whose stories are all listed above still has its box, leading to the column
    assert main.count('class="column-card"') == 3 and main.count("进入专栏") == 3


def test_the_404_and_search_pages_have_one_search_box(example_output):
    for rel in ("404.html", "search/index.html", "index.html", "stories/wu-dan-gong-zuo-fa/index.html"):
        html = (example_output / rel).read_text("utf-8")
        assert html.count('role="search"') == 1 and html.count('type="search"') == 1, rel


def test_the_main_colour_is_on_every_page_and_a_site_theme_head_block_too(make_site):
    output = built(make_site, {
        "site.yaml": 'title: 站\nbase_url: https://a.gov.cn/dj/\n主色: "#1A5FB4"\n',
        "themes/default/templates/base.html":
            '{% extends "default/base.html" %}{% block head %}<link rel="stylesheet" href="/dj/static/own.css">{% endblock %}',
    })
    for rel in PAGES:
        html = (output / rel).read_text("utf-8")
        assert "<style>:root{--main:#1a5fb4;--main-dark:#144a8c;" in html, rel
        assert html.count('href="/dj/static/own.css"') == 1, rel
    assert 'href="/dj/static/css/search.css"' in (output / "search/index.html").read_text("utf-8")
    assert 'title="工作动态" href="/dj/columns/news/feed.xml"' in (output / "columns/news/index.html").read_text("utf-8")
    assert "--main:" not in (built(make_site, {}) / "index.html").read_text("utf-8")  # the default: site.css alone


def test_a_main_colour_too_light_stops_the_build_at_its_line(make_site, capsys):
    site = make_site({"site.yaml": 'title: 站\nbase_url: https://a.gov.cn/\n主色: "#ffd24d"\n'})
    assert run_cli("--site", str(site), "--jobs", "1") == 1
    err = capsys.readouterr().err
    assert re.search(r'site\.yaml:3: 错误: 主色 "#ffd24d" 太浅了：.*请换深一些的颜色，例如同一色调的 "#[0-9a-f]{6}"', err)
    assert "Traceback" not in err and not (site / "output").exists()


def test_without_a_logo_the_default_icon_and_at_the_host_root_favicon_ico(make_site):
    under = built(make_site, {})  # https://example.gov.cn/dangjian/
    for rel in PAGES:
        assert '<link rel="icon" href="/dangjian/favicon.svg" type="image/svg+xml">' in (under / rel).read_text("utf-8")
    assert (under / "favicon.svg").read_text("utf-8").startswith("<svg") and not (under / "favicon.ico").exists()

    root = built(make_site, {"site.yaml": 'title: 站\nbase_url: https://a.gov.cn\n主色: "#1a5fb4"\n'})
    assert 'fill="#1a5fb4"' in (root / "favicon.svg").read_text("utf-8")
    with Image.open(root / "favicon.ico") as icon:
        assert icon.format == "ICO" and {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])
        assert icon.convert("RGB").getpixel((4, 24)) == (26, 95, 180)  # the tile, in the main colour


def test_a_raster_logo_is_the_icon_and_favicon_ico(make_site):
    output = built(make_site, {"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\nlogo: images/logo.png\n",
                               "content/images/logo.png": png(120, 120, transparent=False)})
    html = (output / "index.html").read_text("utf-8")
    href = re.search(r'<link rel="icon" href="/(images/logo-[^"]+\.(?:png|jpg))" type="image/(?:png|jpeg)">', html)[1]
    with Image.open(output / href) as linked, Image.open(output / "favicon.ico") as icon:
        assert linked.width <= 480
        assert _close(icon.convert("RGB").resize((8, 8)), linked.convert("RGB").resize((8, 8)))  # the logo
    assert not (output / "favicon.svg").exists()


def _close(a: Image.Image, b: Image.Image) -> bool:
    return all(abs(x - y) <= 24 for x, y in zip(a.tobytes(), b.tobytes()))


def test_the_home_banner_is_the_site_yaml_image_or_a_drawn_default(make_site, capsys):
    output = built(make_site, {"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\n横幅: images/banner.png\n",
                               "content/images/banner.png": png(1200, 400, transparent=False)})
    home = (output / "index.html").read_text("utf-8")
    assert re.search(r'<div class="home-banner home-banner-image">\s*<picture><source type="image/webp"', home)
    assert 'class="banner-image"' in home and '<h1 class="visually-hidden">站</h1>' in home
    assert 'class="banner-image" loading="lazy"' not in home  # on the first screen: loaded at once
    default = (built(make_site, {}) / "index.html").read_text("utf-8")
    assert '<svg class="banner-art"' in default and '<h1 class="banner-title">测试站</h1>' in default

    site = make_site({"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\n横幅: images/none.jpg\n"})
    assert run_cli("--site", str(site), "--jobs", "1") == 1
    assert 'site.yaml:3: 错误: 首页横幅 "images/none.jpg" 不存在' in capsys.readouterr().err
