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

    phone.get_by_role("button", name="菜单").click()  # on a phone the menu is folded
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


def test_brand_showcase_fits_phones_at_every_font_and_its_links_work(browser, example_server):
    SHOTS.mkdir(exist_ok=True)
    brand = example_server + "brands/wucai-linhu/"
    for width in (320, 360):
        for font in ("medium", "large"):
            context = browser.new_context(viewport={"width": width, "height": 740}, device_scale_factor=2,
                                          is_mobile=True, has_touch=True, locale="zh-CN")
            page = context.new_page()
            if font == "large":
                page.add_init_script("localStorage.setItem('zl-font', 'large')")
            page.goto(brand)
            assert page.evaluate("document.documentElement.getAttribute('data-font')") == (
                "large" if font == "large" else None)
            assert no_horizontal_overflow(page), (width, font)
            for section in (".logo-note", ".idea-cards", ".steps", ".figures", ".honours", ".timeline", ".venues",
                            ".sub-brands"):
                box = page.locator(section).first.bounding_box()
                assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (section, width, font, box)
            if width == 360:
                page.screenshot(path=str(SHOTS / f"brand-360-{font}.png"), full_page=True)
            context.close()


def test_brand_timeline_leads_to_its_stories_and_venues_can_be_called(phone, example_server):
    phone.goto(example_server + "brands/wucai-linhu/")
    assert phone.locator("nav.site-nav a[aria-current=page]").inner_text() == "品牌矩阵"
    dates = phone.locator(".timeline time").evaluate_all("els => els.map(e => e.getAttribute('datetime'))")
    assert dates == sorted(dates) and len(dates) >= 5
    phone.locator(".timeline a.timeline-event", has_text="正式发布").click()
    phone.wait_for_url("**/stories/wu-cai-lin-hu-pin-pai-fa-bu/")
    assert "品牌正式发布" in phone.locator("h1").inner_text()
    phone.go_back()
    phone_link = phone.locator(".venue-phone").first
    assert phone_link.get_attribute("href") == "tel:057100000000" and phone_link.inner_text() == "0571-00000000"
    assert phone_link.is_visible()
    steps = phone.locator(".method").first.locator(".step-name").all_inner_texts()
    assert steps == ["群众点单", "支部派单", "党员接单", "群众评单", "组织晒单"]
    # the sub-brand page: its own colour and counts, its parent in the facts
    phone.locator(".sub-brands .brand-card", has_text="鼎麟").click()
    phone.wait_for_url("**/brands/dinglin/")
    assert phone.locator(".brand-facts a").inner_text() == "五彩麟湖·五美党建"
    assert phone.locator("nav.site-nav a[aria-current=page]").inner_text() == "品牌矩阵"


def test_brand_showcase_needs_no_javascript_and_prints(browser, example_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=False)
    page = context.new_page()
    page.goto(example_server + "brands/wangge-lianxin/")
    for section in (".logo-note", ".idea-cards", ".steps", ".figures", ".honours", ".timeline", ".venues"):
        assert page.locator(section).first.is_visible(), section
    page.emulate_media(media="print")
    assert not page.locator(".site-nav").is_visible()
    assert page.locator(".print-url").inner_text().endswith("/dangjian/brands/wangge-lianxin/")
    # backgrounds are not printed: the step numbers keep a black outline and black digits
    circle = page.locator(".steps li").first.evaluate(
        "li => { const s = getComputedStyle(li, '::before'); return [s.color, s.borderTopStyle, s.borderTopColor]; }")
    assert circle == ["rgb(0, 0, 0)", "solid", "rgb(0, 0, 0)"]
    page.screenshot(path=str(SHOTS / "brand-print.png"), full_page=True)
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2
    context.close()
