"""The phone's first screen shows the page, not our header (issue 19), measured in headless Chromium
at 360×740 (is_mobile, device scale factor 2): where `main` starts at the normal and the large font
on each page type, with the example's menu and with a long one; no sideways scrolling at 320 px;
the folded menu, search and reading settings by touch, keyboard and screen reader, and without
JavaScript; the main colour, the favicon and the home page's banner. Screenshots go to
test-artifacts/first-screen-*.png."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from conftest import REPO, run_cli, serve
from test_a11y_browser import run_axe, serious

SHOTS = REPO / "test-artifacts"
PAGE_TYPES = {"home": "", "brand": "brands/wucai-linhu/", "column": "columns/banshishi/",
              "story": "stories/wu-dan-gong-zuo-fa/"}
NORMAL_LIMIT, LARGE_LIMIT = 200, 280  # CSS px from the top of the screen to the top of main


def phone_page(browser, width: int = 360, font: str = "medium", **options):
    context = browser.new_context(viewport={"width": width, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", reduced_motion="reduce", **options)
    page = context.new_page()
    if font != "medium":
        page.add_init_script(f"localStorage.setItem('zl-font', '{font}')")
    return context, page


def main_top(page) -> float:
    return page.evaluate("document.querySelector('main').getBoundingClientRect().top")


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture(scope="module")
def long_menu_site(tmp_path_factory):
    """A site whose menu has 首页, 品牌矩阵, 7 columns (工作动态 and six more) and 2 pages: four rows of links before."""
    from conftest import MINIMAL_SITE, write_site

    files = dict(MINIMAL_SITE)
    names = ["党建引领基层治理", "我为群众办实事", "七讲七比·争先攀高", "红色物业", "乡村振兴", "志愿服务"]
    for number, name in enumerate(names):
        files[f"content/columns/c{number}.md"] = f"---\ntitle: {name}\norder: {number}\n---\n{name}的介绍。\n"
    files["content/brands/other.md"] = "---\nname: 另一个品牌\n---\n第二个根品牌。\n"
    files["content/pages/about.md"] = "---\ntitle: 关于我们\n---\n关于。\n"
    files["content/pages/contact.md"] = "---\ntitle: 联系我们\n---\n联系。\n"
    files["content/stories/first.md"] = MINIMAL_SITE["content/stories/first.md"].replace(
        "columns: [news]", "columns: [news, c1]")
    site = write_site(tmp_path_factory.mktemp("menu") / "site", files)
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    server = serve(site / "output", "/dangjian/")
    yield f"http://127.0.0.1:{server.server_address[1]}/dangjian/"
    server.shutdown()


# -- where main starts ------------------------------------------------------------------------------

def test_main_starts_on_the_first_screen_of_every_page_type(browser, example_server):
    SHOTS.mkdir(exist_ok=True)
    tops = {}
    for font, limit in (("medium", NORMAL_LIMIT), ("large", LARGE_LIMIT)):
        context, page = phone_page(browser, font=font)
        for kind, path in PAGE_TYPES.items():
            page.goto(example_server + path)
            assert page.evaluate("document.documentElement.getAttribute('data-font')") == (
                None if font == "medium" else font)
            tops[kind, font] = main_top(page)
            page.screenshot(path=str(SHOTS / f"first-screen-{kind}-360-{font}.png"))
        context.close()
        assert all(top <= limit for (_, f), top in tops.items() if f == font), tops
    # the story's headline is on the first screen, well above its middle
    context, page = phone_page(browser, font="large")
    page.goto(example_server + PAGE_TYPES["story"])
    assert page.locator("h1").bounding_box()["y"] < 370
    context.close()
    wide = browser.new_page(viewport={"width": 1280, "height": 800})
    for kind, path in PAGE_TYPES.items():
        wide.goto(example_server + path)
        wide.screenshot(path=str(SHOTS / f"first-screen-{kind}-1280.png"))
    wide.close()


def test_a_long_menu_does_not_push_the_page_down(browser, long_menu_site):
    for font, limit in (("medium", NORMAL_LIMIT), ("large", LARGE_LIMIT)):
        context, page = phone_page(browser, font=font)
        for path in ("", "columns/c3/", "stories/first/", "about/"):
            page.goto(long_menu_site + path)
            assert main_top(page) <= limit, (path, font, main_top(page))
        page.goto(long_menu_site)
        page.locator(".header-tool", has_text="菜单").click()
        links = page.locator("#site-nav a")
        assert links.count() == 11 and all(links.nth(i).is_visible() for i in range(11))
        page.screenshot(path=str(SHOTS / f"first-screen-long-menu-open-360-{font}.png"))
        context.close()


def test_nothing_scrolls_sideways_at_320_px(browser, example_server, long_menu_site):
    for font in ("medium", "large"):
        context, page = phone_page(browser, width=320, font=font)
        for root, paths in ((example_server, [*PAGE_TYPES.values(), "search/", "no-such-page/"]),
                            (long_menu_site, ["", "columns/c1/"])):
            for path in paths:
                page.goto(root + path)
                for tool in ("", "菜单", "搜索", "阅读设置"):
                    if tool:
                        page.locator(".header-tool", has_text=tool).click()
                    assert fits(page), (path, font, tool)
        context.close()


# -- the folded header -------------------------------------------------------------------------------

def test_the_menu_opens_one_part_at_a_time_and_every_destination_works(browser, long_menu_site):
    context, page = phone_page(browser)
    page.goto(long_menu_site)
    menu, search, prefs = (page.locator(".header-tool", has_text=t) for t in ("菜单", "搜索", "阅读设置"))
    assert not page.locator("#site-nav").is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true" and page.locator("#site-nav").is_visible()
    prefs.click()  # another part closes the menu
    assert menu.get_attribute("aria-expanded") == "false" and not page.locator("#site-nav").is_visible()
    assert prefs.get_attribute("aria-expanded") == "true" and page.locator(".pref-contrast").is_visible()
    prefs.click()
    assert prefs.get_attribute("aria-expanded") == "false" and not page.locator(".pref-contrast").is_visible()
    menu.click()
    hrefs = page.locator("#site-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(hrefs) == 11
    for href in hrefs:
        page.goto(urlsplit(long_menu_site)._replace(path=href.split("#")[0]).geturl())
        assert page.locator("h1").count() == 1 and "页面未找到" not in page.locator("h1").inner_text(), href
    assert search.count() == 1
    context.close()


def test_the_menu_works_by_keyboard_and_says_its_state(browser, example_server):
    context, page = phone_page(browser)
    page.goto(example_server + PAGE_TYPES["story"])
    for _ in range(3):  # 跳到正文, the site's title, 菜单
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "菜单"
    page.keyboard.press("Enter")
    menu = page.locator(".header-tool", has_text="菜单")
    assert menu.get_attribute("aria-expanded") == "true" and menu.get_attribute("aria-controls") == "site-nav"
    for _ in range(3):  # past 搜索 and 阅读设置 to the first link of the menu
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('nav') && document.activeElement.textContent") == "首页"
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.textContent.trim()") == "菜单"
    context.close()


@pytest.mark.parametrize("path", [*PAGE_TYPES.values(), "tags/zhi-yuan-fu-wu/", "archive/", "search/", "no-such-page/"])
def test_search_is_one_tap_away_on_every_page(browser, example_server, path):
    context, page = phone_page(browser)
    page.goto(example_server + path)
    page.locator(".header-tool", has_text="搜索").tap()
    focused = page.evaluate("[document.activeElement.type, document.activeElement.name]")
    assert focused == ["search", "q"], path
    assert page.locator("input[type=search]:focus").is_visible()
    assert page.locator("input[type=search]").count() == 1  # one search box on the page
    page.keyboard.type("帮帮团")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('search-status').textContent.indexOf('找到') >= 0")
    context.close()


def test_reading_settings_are_a_labelled_button_on_the_first_screen(browser, example_server):
    context, page = phone_page(browser)
    page.goto(example_server + PAGE_TYPES["story"])
    button = page.get_by_role("button", name="阅读设置")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= NORMAL_LIMIT and box["height"] >= 44
    assert page.evaluate("parseFloat(getComputedStyle(document.querySelector('.header-tool')).fontSize)") >= 18
    button.click()
    page.get_by_role("button", name="大").click()
    assert page.evaluate("document.documentElement.getAttribute('data-font')") == "large"
    page.get_by_role("button", name="高对比度").click()
    assert page.evaluate("document.documentElement.getAttribute('data-contrast')") == "high"
    page.screenshot(path=str(SHOTS / "first-screen-settings-open-360-high.png"))
    context.close()


def test_axe_finds_nothing_serious_with_each_part_open(browser, example_server):
    context, page = phone_page(browser)
    problems = {}
    for kind in ("home", "story"):
        for tool in ("菜单", "搜索", "阅读设置"):
            page.goto(example_server + PAGE_TYPES[kind])
            page.locator(".header-tool", has_text=tool).click()
            found = serious(run_axe(page))
            if found:
                problems[kind, tool] = found
    assert not problems, problems
    context.close()


def test_without_javascript_the_menu_and_search_are_plain_and_work(browser, example_server):
    context, page = phone_page(browser, java_script_enabled=False)
    page.goto(example_server + PAGE_TYPES["story"])
    assert not page.locator(".header-tools").is_visible()  # the buttons need the script
    links = page.locator("#site-nav a")
    assert links.count() >= 5 and all(links.nth(i).is_visible() for i in range(links.count()))
    assert page.locator("#site-search").is_visible()
    page.locator("#site-nav a", has_text="我为群众办实事").click()
    page.wait_for_url("**/columns/banshishi/")
    context.close()


# -- what every page brings ------------------------------------------------------------------------

def test_every_page_links_its_icon_so_no_browser_asks_the_host_for_favicon_ico(browser, example_server,
                                                                                 example_output):
    """Browsers ask for /favicon.ico at the host's root only when a page links no icon; under a
    sub-path that root is not the site's, so the link is what counts, and no favicon.ico is written."""
    context, page = phone_page(browser)
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    for path in [*PAGE_TYPES.values(), "search/", "no-such-page/"]:
        page.goto(example_server + path)
        page.wait_for_load_state("networkidle")
        href = page.locator("link[rel=icon]").get_attribute("href")
        assert href.startswith("/dangjian/images/site-logo.") and href.endswith(".svg")  # the site's logo
        assert page.locator("link[rel=icon]").get_attribute("type") == "image/svg+xml"
    icon = page.request.get(urlsplit(example_server)._replace(path=href).geturl())
    assert icon.ok and icon.headers["content-type"] == "image/svg+xml"
    assert failed == [example_server + "no-such-page/"], failed  # only the page that is missing on purpose
    assert not (example_output / "favicon.ico").exists() and not (example_output / "favicon.svg").exists()
    context.close()


def test_the_main_colour_reaches_every_page_and_a_site_theme_keeps_its_head(browser, make_site):
    site = make_site({
        "site.yaml": "title: 测试站\nbase_url: https://example.gov.cn/\n主色: \"#1a5fb4\"\n"
                     "footer:\n  主办单位: 测试单位\n",
        "themes/default/templates/base.html":
            '{% extends "default/base.html" %}{% block head %}<meta name="site-theme" content="own">{% endblock %}',
    })
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    server = serve(site / "output", "/")
    root = f"http://127.0.0.1:{server.server_address[1]}/"
    context, page = phone_page(browser)
    for path in ("", "columns/news/", "search/", "brands/wucai/", "stories/first/", "404.html"):
        page.goto(root + path)
        header = page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
        assert header == "rgb(26, 95, 180)", path
        assert page.locator("meta[name=site-theme]").count() == 1, path  # not replaced by the page's own head
    page.goto(root)
    page.screenshot(path=str(SHOTS / "first-screen-home-360-blue.png"), full_page=True)
    # no logo: the default icon, drawn in the main colour; at the host's root also /favicon.ico
    assert page.locator("link[rel=icon]").get_attribute("href") == "/favicon.svg"
    assert "#1a5fb4" in page.request.get(root + "favicon.svg").text()
    ico = page.request.get(root + "favicon.ico")
    assert ico.ok and ico.body()[:4] == b"\x00\x00\x01\x00"
    context.close()
    server.shutdown()
