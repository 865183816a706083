"""The example site in headless Chromium at a phone viewport, as a reader uses it."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_home_to_column_to_story_on_a_phone(phone, example_server):
    SHOTS.mkdir(exist_ok=True)
    phone.goto(example_server)
    assert phone.title() == "五彩麟湖·五美党建"
    assert no_horizontal_overflow(phone)
    phone.screenshot(path=str(SHOTS / "home-360.png"), full_page=True)

    phone.get_by_role("navigation", name="主导航").get_by_role("link", name="我为群众办实事").click()
    phone.wait_for_url("**/columns/banshishi/")
    assert phone.locator("h1").inner_text() == "我为群众办实事"
    assert no_horizontal_overflow(phone)
    phone.screenshot(path=str(SHOTS / "column-360.png"), full_page=True)

    phone.locator(".story-list a.story-link").first.click()
    phone.wait_for_url("**/stories/wu-dan-gong-zuo-fa/")
    assert "五单工作法" in phone.locator("h1").inner_text()
    assert no_horizontal_overflow(phone)
    assert phone.locator("table.gov-info").is_visible()
    body_size = phone.evaluate("parseFloat(getComputedStyle(document.querySelector('.prose p')).fontSize)")
    assert body_size >= 16
    phone.screenshot(path=str(SHOTS / "story-360.png"), full_page=True)

    hosts = {urlsplit(url).netloc for url in phone.requests}
    assert hosts == {urlsplit(example_server).netloc}, hosts


def test_every_page_type_fits_a_360px_screen(phone, example_server):
    for path in ["brands/wucai-linhu/", "tags/zhi-yuan-fu-wu/", "archive/", "archive/2023/", "sitemap/", "about/",
                 "contact/", "search/", "stories/gong-fu-gong-fang/", "no-such-page/"]:
        phone.goto(example_server + path)
        assert no_horizontal_overflow(phone), path
    assert "页面未找到" in phone.locator("h1").inner_text()  # the 404 page, styled, under the sub-path


def test_reading_needs_no_javascript(browser, example_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(example_server + "stories/lin-hu-bang-bang-tuan/")
    assert "麟湖帮帮团" in page.locator("h1").inner_text()
    assert page.locator(".prose p").count() > 3
    context.close()
