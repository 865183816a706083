"""适老化 and accessibility of the default theme, proved in headless Chromium at 360×740 and 1280×800:
axe-core, measured contrast of every piece of text, touch targets, the font size and contrast
settings, keyboard use, read aloud (with a stubbed speech engine), print, the QR code (read back
from a screenshot), copy link, the page budget. Screenshots go to test-artifacts/."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from conftest import REPO, run_cli, serve

SHOTS = REPO / "test-artifacts"
AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CANONICAL = "https://www.linhu.example.gov.cn/dangjian/"
STORY = "stories/wu-dan-gong-zuo-fa/"

PAGES = {
    "home": "",
    "brand": "brands/wucai-linhu/",
    "sub-brand": "brands/dinglin/",  # another colour, written with the English keys
    "column": "columns/banshishi/",
    "story": STORY,
    "tag": "tags/zhi-yuan-fu-wu/",
    "search": "search/?q=" + quote("帮帮团"),
    "sitemap": "sitemap/",
    "404": "no-such-page/",
}
VIEWPORTS = {"phone": (360, 740), "wide": (1280, 800)}

# -- helpers run in the page -------------------------------------------------------------------

# Contrast of every visible piece of text against what is really behind it (backgrounds
# composited up the tree), and of input placeholders. WCAG 2.x relative luminance.
CONTRAST_JS = r"""
() => {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;  // text over an image: not measurable here
      const c = parse(style.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let result = [255, 255, 255, 1];  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return result;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const label = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const out = [];
  let checked = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const text = walker.currentNode;
    const el = text.parentElement;
    if (!text.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (style.visibility !== 'visible' || rect.width < 2 || rect.height < 2 || el.closest('[hidden], .visually-hidden, .skip-link, svg')) continue;
    if (parseFloat(style.opacity) === 0) continue;
    const bg = background(el);
    if (!bg) continue;
    const fg = over(parse(style.color), bg);
    const r = ratio(fg, bg);
    checked++;
    if (r < 4.5) out.push({el: label(el), text: text.textContent.trim().slice(0, 30), ratio: Math.round(r * 100) / 100, color: style.color, background: 'rgb(' + bg.slice(0, 3).join(',') + ')'});
  }
  for (const input of document.querySelectorAll('input[placeholder]')) {
    const rect = input.getBoundingClientRect();
    if (!rect.width) continue;
    const bg = background(input);
    const fg = over(parse(getComputedStyle(input, '::placeholder').color), bg);
    const r = ratio(fg, bg);
    checked++;
    if (r < 4.5) out.push({el: 'placeholder of #' + input.id, ratio: Math.round(r * 100) / 100});
  }
  return {checked, failures: out};
}
"""

# Every control outside running text must be at least 44×44 CSS px (links inside a sentence are
# exempt, as in WCAG 2.5.5).
TARGETS_JS = r"""
() => {
  const small = [];
  let checked = 0;
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    if (!rect.width || !rect.height || style.visibility !== 'visible' || el.closest('[hidden]') || el.classList.contains('skip-link')) continue;
    const block = el.parentElement.closest('p, li, td, th, dd, figcaption, blockquote, .prose, .footnotes');
    const inSentence = style.display === 'inline' && block && block.textContent.trim().length > el.textContent.trim().length;
    if (inSentence || el.closest('.prose, .search-result-excerpt')) continue;
    checked++;
    if (rect.width < 44 - 0.01 || rect.height < 44 - 0.01) {
      small.push({el: el.tagName.toLowerCase() + '.' + el.className, text: (el.textContent || el.value || '').trim().slice(0, 20), width: Math.round(rect.width), height: Math.round(rect.height)});
    }
  }
  return {checked, small};
}
"""

SPEECH_STUB = r"""
(() => {
  const calls = [];
  class Utterance { constructor(text) { this.text = text; this.lang = ''; this.voice = null; } }
  const synth = {
    speaking: false, paused: false, pending: false, current: null,
    speak(u) { calls.push(['speak', u.text, u.lang]); this.current = u; this.speaking = true; },
    pause() { calls.push(['pause']); this.paused = true; },
    resume() { calls.push(['resume']); this.paused = false; },
    cancel() {
      calls.push(['cancel']);
      const u = this.current; this.current = null; this.speaking = false; this.paused = false;
      if (u && u.onerror) u.onerror({error: 'canceled'});
    },
    getVoices() { return [{lang: 'en-US', name: 'English'}, {lang: 'zh-CN', name: '普通话'}]; },
    end() { const u = this.current; this.current = null; this.speaking = false; if (u && u.onend) u.onend({}); },
  };
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
  Object.defineProperty(window, 'SpeechSynthesisUtterance', {value: Utterance, configurable: true});
  window.__speech = {calls, synth};
})();
"""

NO_SPEECH = """
Object.defineProperty(window, 'speechSynthesis', {value: undefined, configurable: true});
Object.defineProperty(window, 'SpeechSynthesisUtterance', {value: undefined, configurable: true});
"""


@pytest.fixture
def viewport(browser):
    """viewport(name or (w, h), **context options) -> a fresh page; contexts are closed afterwards.

    Pages prefer reduced motion unless told otherwise, so that colours are measured at once, not
    halfway through a transition."""
    contexts = []

    def make(size="phone", **options):
        width, height = VIEWPORTS[size] if isinstance(size, str) else size
        mobile = width < 720
        options.setdefault("reduced_motion", "reduce")
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                      device_scale_factor=2 if mobile else 1, is_mobile=mobile, has_touch=mobile,
                                      **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()


def open_page(page, root: str, kind: str) -> None:
    page.goto(root + PAGES[kind])
    if kind == "search":
        page.wait_for_function("document.getElementById('search-status').textContent.indexOf('找到') >= 0")
        page.wait_for_function("document.querySelectorAll('#search-results > li').length > 0")


def run_axe(page) -> list[dict]:
    assert AXE.is_file(), f"axe-core is missing: run `npm ci --prefix tests/js` (see .ci/run); looked for {AXE}"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => JSON.stringify((await axe.run(document, {resultTypes: ['violations']})).violations)")
    return json.loads(result)


def serious(violations: list[dict]) -> list[str]:
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:4]}"
            for v in violations if v["impact"] in ("serious", "critical")]


def open_prefs(page) -> None:
    """On a phone the settings are folded behind 阅读设置: open it, as a reader does."""
    toggle = page.get_by_role("button", name="阅读设置")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()


def set_pref(page, font: str | None = None, contrast: bool | None = None) -> None:
    """Choose a setting as a reader does: by clicking its button."""
    open_prefs(page)
    if font:
        page.locator(f".pref-font[data-font-choice='{font}']").click()
    if contrast is not None and (page.evaluate("document.documentElement.dataset.contrast === 'high'") != contrast):
        page.locator(".pref-contrast").click()


# -- axe, contrast, targets, overflow -------------------------------------------------------------

@pytest.mark.parametrize("size", VIEWPORTS)
def test_axe_finds_no_serious_violation_on_any_page_type(viewport, example_server, size):
    SHOTS.mkdir(exist_ok=True)
    page = viewport(size)
    problems = {}
    for kind in PAGES:
        for contrast in (False, True):
            open_page(page, example_server, kind)
            set_pref(page, contrast=contrast)
            found = serious(run_axe(page))
            if found:
                problems[f"{kind}{' 高对比度' if contrast else ''}"] = found
            page.screenshot(path=str(SHOTS / f"a11y-{kind}-{VIEWPORTS[size][0]}{'-high' if contrast else ''}.png"),
                            full_page=True)
        set_pref(page, contrast=False)
    assert not problems, problems
    assert not page.errors, page.errors


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_text_has_contrast_of_at_least_4_5(viewport, example_server, size):
    page = viewport(size)
    for contrast in (False, True):
        for kind in PAGES:
            open_page(page, example_server, kind)
            set_pref(page, contrast=contrast)
            if kind == "story":  # the line being read aloud is highlighted
                page.evaluate("document.querySelector('.story-body p').classList.add('reading-now')")
            result = page.evaluate(CONTRAST_JS)
            assert result["checked"] > 20, (kind, result)
            assert not result["failures"], (kind, "高对比度" if contrast else "标准", result["failures"])
            # and what hovering shows
            for selector in (".site-nav a", ".story-link", ".chip", ".tool", ".pref-font", ".pagination a",
                             ".prev-next a", ".footer-links a", ".brand-card"):
                target = page.locator(selector).first
                if target.count() and target.is_visible():
                    target.hover()
                    hovered = page.evaluate(CONTRAST_JS)
                    assert not hovered["failures"], (kind, selector, "hover", hovered["failures"])
        set_pref(page, contrast=False)


@pytest.mark.parametrize("size", VIEWPORTS)
def test_touch_targets_are_at_least_44_px(viewport, example_server, size):
    page = viewport(size)
    for font in ("small", "medium", "large"):
        for kind in PAGES:
            open_page(page, example_server, kind)
            set_pref(page, font=font)
            result = page.evaluate(TARGETS_JS)
            assert result["checked"] >= 10, (kind, result)
            assert not result["small"], (kind, font, result["small"])


def test_nothing_overflows_a_320_px_screen_at_any_font_size(viewport, example_server):
    page = viewport((320, 640))
    for font in ("large", "medium", "small"):
        for kind in PAGES:
            open_page(page, example_server, kind)
            set_pref(page, font=font)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (kind, font)
            if kind == "story" and font == "large":
                page.screenshot(path=str(SHOTS / "a11y-story-320-large.png"), full_page=True)


# -- the reader's settings ------------------------------------------------------------------------

def body_text(page) -> dict:
    return page.evaluate("""() => {
        const p = document.querySelector('.prose p, .site-intro, .lead, .story-summary');
        const s = getComputedStyle(p);
        return {size: parseFloat(s.fontSize), line: parseFloat(s.lineHeight)};
    }""")


def test_large_font_gives_20_px_body_text_and_stays_on_across_pages(viewport, example_server):
    page = viewport("phone")
    # Applied before the first paint: when <body> appears, the root already has the setting (and the
    # render-blocking stylesheet sizes the text by it).
    page.add_init_script("""
        new MutationObserver((records, observer) => {
            if (document.body) {
                window.__fontAtFirstBody = document.documentElement.getAttribute('data-font');
                observer.disconnect();
            }
        }).observe(document, {childList: true, subtree: true});
    """)
    page.goto(example_server + STORY)
    medium = body_text(page)
    assert medium["size"] >= 18  # the default already meets the 18 px floor of the 适老化 rules
    assert page.locator(".pref-font[data-font-choice='medium']").get_attribute("aria-pressed") == "true"

    open_prefs(page)
    page.locator(".pref-font", has_text="大").click()
    large = body_text(page)
    assert large["size"] >= 20 and large["line"] >= 1.5 * large["size"], large
    assert page.locator(".pref-font[data-font-choice='large']").get_attribute("aria-pressed") == "true"
    assert page.locator(".pref-font[data-font-choice='medium']").get_attribute("aria-pressed") == "false"
    headline = page.locator("h1").evaluate("h => parseFloat(getComputedStyle(h).fontSize)")
    assert headline > large["size"]

    # Navigate: by the breadcrumb to the column, then to another story.
    page.locator(".breadcrumb a").nth(1).click()
    page.wait_for_url("**/columns/banshishi/")
    assert page.evaluate("window.__fontAtFirstBody") == "large"
    assert page.locator(".pref-font[data-font-choice='large']").get_attribute("aria-pressed") == "true"
    page.locator(".story-list a.story-link").nth(1).click()
    page.wait_for_load_state()
    story = body_text(page)
    assert story["size"] >= 20 and story["line"] >= 1.5 * story["size"], story
    page.screenshot(path=str(SHOTS / "a11y-story-360-large.png"), full_page=False)

    open_prefs(page)
    page.locator(".pref-font", has_text="小").click()
    small = body_text(page)
    assert 14 <= small["size"] < medium["size"] and small["line"] >= 1.5 * small["size"]
    page.reload()
    assert body_text(page)["size"] == small["size"]
    open_prefs(page)
    page.locator(".pref-font", has_text="中").click()
    page.reload()
    assert body_text(page)["size"] == medium["size"]
    assert page.evaluate("localStorage.getItem('zl-font')") is None


def test_high_contrast_toggles_and_is_remembered(viewport, example_server):
    page = viewport("phone")
    page.goto(example_server)
    normal = page.evaluate("getComputedStyle(document.body).backgroundColor")
    open_prefs(page)
    button = page.locator(".pref-contrast")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    assert page.evaluate("document.documentElement.dataset.contrast") == "high"
    assert button.get_attribute("aria-pressed") == "true"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(255, 255, 255)"
    page.locator(".header-tool", has_text="菜单").click()  # opening the menu closes the settings
    assert page.locator(".pref-contrast").is_hidden()
    page.locator(".site-nav a").nth(1).click()
    page.wait_for_load_state()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(0, 0, 0)"
    page.screenshot(path=str(SHOTS / "a11y-column-360-high-top.png"))
    open_prefs(page)
    page.locator(".pref-contrast").click()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == normal
    page.reload()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == normal


def test_settings_work_where_storage_is_blocked(viewport, example_server):
    """Private browsing in some phone browsers throws on localStorage: the buttons still work."""
    page = viewport("phone")
    page.add_init_script("Object.defineProperty(window, 'localStorage', {get() { throw new Error('blocked'); }});")
    page.goto(example_server + STORY)
    open_prefs(page)
    page.locator(".pref-font", has_text="大").click()
    assert body_text(page)["size"] >= 20
    assert not page.errors, page.errors


def test_reduced_motion_is_honoured(viewport, example_server):
    page = viewport("phone", reduced_motion="no-preference")
    page.goto(example_server)
    duration = "getComputedStyle(document.querySelector('.site-nav a')).transitionDuration"
    assert page.evaluate(duration) != "0s"
    page.emulate_media(reduced_motion="reduce")
    assert set(page.evaluate(duration).split(", ")) == {"0s"}


def test_without_javascript_the_controls_are_hidden_and_reading_works(browser, example_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.goto(example_server + STORY)
    assert not page.locator(".reading-prefs").is_visible()
    assert not page.locator(".story-tools").is_visible()
    assert page.locator(".share-qr svg").is_visible()  # made at build time, needs no script
    assert page.locator(".prose p").count() > 3
    context.close()


# -- keyboard -------------------------------------------------------------------------------------

FOCUSED_JS = """() => {
    const el = document.activeElement;
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    return {tag: el.tagName.toLowerCase(), id: el.id, cls: el.className, text: (el.textContent || '').trim().slice(0, 30),
            href: el.getAttribute('href'), outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
            visible: r.bottom > 0 && r.top < innerHeight && r.width > 0};
}"""


def tab_until(page, match, limit: int) -> list[dict]:
    """Press Tab until match(focused) holds; every element on the way must show a focus ring."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        seen.append(focused)
        assert focused["outline"] != "none" and focused["width"] >= 2, f"no visible focus on {focused}"
        assert focused["visible"], f"focused element off screen: {focused}"
        if match(focused):
            return seen
    raise AssertionError(f"not reached in {limit} Tab presses: {[f['text'] or f['id'] for f in seen]}")


def test_keyboard_alone_reaches_search_and_the_first_story(viewport, example_server):
    page = viewport("wide")
    page.goto(example_server)
    seen = tab_until(page, lambda f: f["id"] == "site-search", 10)
    assert seen[0]["cls"] == "skip-link" and seen[0]["text"] == "跳到正文"
    page.keyboard.type("帮帮团")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    page.wait_for_function("document.getElementById('search-status').textContent.indexOf('找到') >= 0")

    page.goto(example_server)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")  # 跳到正文
    assert page.evaluate("document.activeElement.id") == "main"
    first_story = page.locator(".story-list a.story-link").first.get_attribute("href")
    seen = tab_until(page, lambda f: f["href"] == first_story, 15)
    assert all(f["tag"] != "button" for f in seen)  # past the header: nothing of it on the way
    page.keyboard.press("Enter")
    page.wait_for_url("**" + first_story)
    # On a story page the reading tools come right after the headline.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    tab_until(page, lambda f: "read-toggle" in f["cls"] or "print-page" in f["cls"], 8)


# -- story tools ----------------------------------------------------------------------------------

def speech_calls(page) -> list:
    return page.evaluate("window.__speech.calls")


def test_read_aloud_speaks_pauses_resumes_and_stops(viewport, example_server):
    page = viewport("phone")
    page.add_init_script(SPEECH_STUB)
    page.goto(example_server + STORY)
    toggle, stop = page.locator(".read-toggle"), page.locator(".read-stop")
    assert toggle.is_visible() and toggle.inner_text() == "朗读全文" and not stop.is_visible()
    title = page.locator("h1").inner_text()

    toggle.click()
    calls = speech_calls(page)
    assert ["cancel"] in calls  # clears what another page left queued
    speaks = [c for c in calls if c[0] == "speak"]
    assert speaks == [["speak", title, "zh-CN"]]
    assert toggle.inner_text() == "暂停朗读" and stop.is_visible()
    assert page.locator("h1.reading-now").count() == 1

    page.evaluate("window.__speech.synth.end()")  # the engine finished the headline
    first_paragraph = page.locator(".story-body p").first.inner_text()
    speaks = [c for c in speech_calls(page) if c[0] == "speak"]
    assert len(speaks) == 2 and first_paragraph.startswith(speaks[1][1][:10]), speaks
    assert page.locator(".story-body p").first.evaluate("p => p.classList.contains('reading-now')")

    toggle.click()
    assert speech_calls(page)[-1] == ["pause"] and toggle.inner_text() == "继续朗读"
    toggle.click()
    assert speech_calls(page)[-1] == ["resume"] and toggle.inner_text() == "暂停朗读"

    # Reading goes on to the end, piece by piece, then stops by itself.
    for _ in range(200):
        if toggle.inner_text() == "朗读全文":
            break
        page.evaluate("window.__speech.synth.end()")
    spoken = "".join(c[1] for c in speech_calls(page) if c[0] == "speak")
    assert "单子不怕多，就怕接了不办" in spoken and "生活帮扶" in spoken  # the last paragraph, the table
    assert max(len(c[1]) for c in speech_calls(page) if c[0] == "speak") <= 200  # short pieces
    page.wait_for_function("document.getElementById('tool-status').textContent === '朗读完毕'")
    assert page.locator(".reading-now").count() == 0

    toggle.click()
    before = len(speech_calls(page))
    stop.click()
    assert speech_calls(page)[-1] == ["cancel"]
    assert toggle.inner_text() == "朗读全文" and not stop.is_visible()
    assert page.locator(".reading-now").count() == 0
    assert [c for c in speech_calls(page)[before:] if c[0] == "speak"] == []  # a cancel does not read on
    assert not page.errors, page.errors


def test_read_aloud_reads_everything_once_in_short_pieces(viewport, make_site):
    long = "".join(f"第{i}句话讲的是麟湖镇党员志愿服务队的一件小事，大家都说好。" for i in range(12))
    site = make_site({"content/stories/first.md": f"""---
title: 朗读测试
date: 2022-03-15
---
{long}

- 外层一
  - 内层甲
  - 内层乙
- 外层二

| 项目 | 数量 |
|---|---|
| 走访 | 12 |
"""})
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    server = serve(site / "output", "/dangjian/")
    try:
        page = viewport("phone")
        page.add_init_script(SPEECH_STUB)
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/dangjian/stories/first/")
        page.locator(".read-toggle").click()
        for _ in range(100):
            if page.locator(".read-toggle").inner_text() == "朗读全文":
                break
            page.evaluate("window.__speech.synth.end()")
        pieces = [c[1] for c in speech_calls(page) if c[0] == "speak"]
    finally:
        server.shutdown()
    assert pieces[0] == "朗读测试"
    assert "".join(p for p in pieces if p.startswith("第")) == long  # split, nothing lost or repeated
    assert all(len(p) <= 120 for p in pieces) and len([p for p in pieces if p.startswith("第")]) >= 3
    assert [p for p in pieces if p.startswith(("外层", "内层"))] == ["外层一", "内层甲", "内层乙", "外层二"]
    assert pieces[-4:] == ["项目", "数量", "走访", "12"]


def test_read_aloud_is_hidden_without_speech_synthesis(viewport, example_server):
    page = viewport("phone")
    page.add_init_script(NO_SPEECH)
    page.goto(example_server + STORY)
    assert not page.locator(".read-toggle").is_visible()
    assert page.locator(".print-page").is_visible() and page.locator(".copy-link").is_visible()
    assert not page.errors, page.errors


def test_read_aloud_only_on_story_pages(viewport, example_server):
    page = viewport("phone")
    page.add_init_script(SPEECH_STUB)
    for kind in ("home", "column", "search"):
        open_page(page, example_server, kind)
        assert page.locator(".read-toggle").count() == 0


def test_copy_link_puts_the_page_address_on_the_clipboard(viewport, example_server):
    page = viewport("wide", permissions=["clipboard-read", "clipboard-write"])
    page.goto(example_server + STORY)
    page.locator(".copy-link").click()
    page.wait_for_function("document.getElementById('tool-status').textContent.indexOf('已复制') >= 0")
    assert page.evaluate("navigator.clipboard.readText()") == CANONICAL + STORY


def test_copy_link_without_clipboard_access_shows_the_address_to_copy(viewport, example_server):
    page = viewport("phone")
    page.add_init_script("""
        Object.defineProperty(Navigator.prototype, 'clipboard', {get() { return undefined; }});
        document.execCommand = () => false;
    """)
    page.goto(example_server + STORY)
    page.locator(".copy-link").click()
    field = page.locator(".copy-fallback")
    assert field.input_value() == CANONICAL + STORY
    assert page.evaluate("document.activeElement.className") == "copy-fallback"
    page.wait_for_function("document.getElementById('tool-status').textContent.indexOf('长按') >= 0")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_print_leaves_out_navigation_and_footer(viewport, example_server):
    page = viewport("phone")
    page.goto(example_server + STORY)
    page.emulate_media(media="print")
    for selector in (".site-header", ".site-nav", ".site-footer", ".breadcrumb", ".story-tools", ".prev-next",
                     ".related", ".reading-prefs", ".search-box"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.locator("h1").is_visible() and page.locator(".story-body").is_visible()
    assert page.locator(".share-qr svg").is_visible()  # a printed page still leads back to the page
    assert CANONICAL + STORY in page.locator(".print-url").inner_text()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    page.screenshot(path=str(SHOTS / "a11y-story-print.png"), full_page=True)
    page.emulate_media(media="screen")
    assert page.locator(".site-header").is_visible() and not page.locator(".print-url").is_visible()


def test_print_button_opens_the_print_dialog(viewport, example_server):
    page = viewport("phone")
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")
    page.goto(example_server + STORY)
    page.locator(".print-page").click()
    assert page.evaluate("window.__printed") == 1


# -- QR code, share image, structure, budget ------------------------------------------------------

def test_qr_code_on_wide_screens_reads_back_as_the_page_address(viewport, example_server):
    import zxingcpp
    from PIL import Image

    wide = viewport("wide")
    wide.goto(example_server + STORY)
    figure = wide.locator(".share-qr")
    assert figure.is_visible() and "扫码在手机上阅读" in figure.inner_text()
    svg = figure.locator("svg")
    assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
    box = svg.bounding_box()
    assert box["width"] >= 120 and abs(box["width"] - box["height"]) < 1
    image = Image.open(io.BytesIO(svg.screenshot()))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [CANONICAL + STORY]
    assert wide.locator("link[rel=canonical]").get_attribute("href") == CANONICAL + STORY

    phone = viewport("phone")
    phone.goto(example_server + STORY)
    assert phone.locator(".share-qr svg").count() == 1 and not phone.locator(".share-qr").is_visible()


def test_share_image_is_the_first_image_and_costs_no_download(viewport, example_server):
    page = viewport("phone")
    loaded = []
    page.on("response", lambda r: loaded.append(urlsplit(r.url).path))
    page.goto(example_server + STORY)
    page.wait_for_load_state("networkidle")
    first = page.locator("img").first
    assert first.evaluate("img => !!img.closest('.share-image')")
    assert int(first.get_attribute("width")) >= 300 and int(first.get_attribute("height")) >= 300
    og = page.locator("meta[property='og:image']").get_attribute("content")
    assert og == "https://www.linhu.example.gov.cn" + first.get_attribute("src")
    assert first.get_attribute("src") not in loaded


def test_landmarks_language_and_alt_text(viewport, example_server):
    page = viewport("phone")
    for kind in PAGES:
        open_page(page, example_server, kind)
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        for role in ("banner", "main", "contentinfo"):
            assert page.get_by_role(role).count() == 1, (kind, role)
        # on a phone the menu and the header's search box are folded behind labelled buttons
        menu = page.locator(".header-tool", has_text="菜单")
        assert menu.get_attribute("aria-controls") == "site-nav" and menu.get_attribute("aria-expanded") == "false"
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        assert page.get_by_role("navigation", name="主导航").count() == 1
        page.locator(".header-tool", has_text="搜索").click()
        assert page.get_by_role("search").count() == 1  # one search box, the page's own on search and 404
        without_alt = page.evaluate("[...document.images].filter(i => !i.hasAttribute('alt')).map(i => i.src)")
        assert not without_alt, (kind, without_alt)
        if kind == "story":
            assert page.locator(".story-body img").first.get_attribute("alt") == "党员在接单墙前认领群众心愿"
        headings = page.evaluate("[...document.querySelectorAll('h1')].length")
        assert headings == 1, kind
    wide = viewport("wide")  # nothing folded
    for kind in PAGES:
        open_page(wide, example_server, kind)
        assert wide.get_by_role("navigation", name="主导航").count() == 1
        assert wide.get_by_role("search").count() == 1, kind


def test_story_page_fits_the_50_kb_budget_and_stays_on_its_host(viewport, example_server, example_output):
    """HTML + CSS + JS of the largest story page, as a phone downloads them (before compression)."""
    largest = max((example_output / "stories").glob("*/index.html"), key=lambda p: p.stat().st_size)
    page = viewport("phone")
    sizes: dict[str, int] = {}

    def count(response):
        if response.request.resource_type in ("document", "stylesheet", "script"):
            sizes[response.url] = len(response.body())

    page.on("response", count)
    page.goto(example_server + largest.parent.relative_to(example_output).as_posix() + "/")
    page.wait_for_load_state("networkidle")
    total = sum(sizes.values())
    kinds = {urlsplit(u).path.rsplit("/", 1)[-1] or "html" for u in sizes}
    assert {"site.css", "reader.js"} <= kinds
    assert total <= 50 * 1024, {u: s for u, s in sizes.items()}
    (SHOTS / "a11y-budget.json").write_text(json.dumps({"page": largest.parent.name, "bytes": sizes,
                                                        "total": total}, indent=1))
    hosts = {urlsplit(u).netloc for u in sizes}
    assert hosts == {urlsplit(example_server).netloc}


def test_no_theme_file_names_another_host():
    """Scripts and styles of the theme load nothing from elsewhere (a CDN, web fonts)."""
    for path in (REPO / "themes" / "default").rglob("*"):
        if path.suffix in (".css", ".js", ".html"):
            text = path.read_text("utf-8")
            for url in re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"')]*", text):
                assert "beian" in url, f"{path.name} names {url}"  # only the footer's legal links
