"""Site search in headless Chromium at 360×740, as a reader uses it on a phone."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

from conftest import run_cli, serve
from zhuanlan.search.reader import IndexReader

SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def wait_for_status(page, text: str) -> str:
    page.wait_for_function("t => document.getElementById('search-status').textContent.indexOf(t) >= 0", arg=text)
    return page.locator("#search-status").inner_text()


def results(page, count: int | None = None) -> list[str]:
    """The result titles, once `count` results are on screen (records load after the count)."""
    if count is not None:
        page.wait_for_function("n => document.querySelectorAll('#search-results > li').length === n", arg=count)
    return page.locator("#search-results > li a[href]").all_inner_texts()


@contextmanager
def served_site(make_site, bodies: list[str]):
    """A site of one story per body (titled 第i篇, a day apart), built and served at /dangjian/:
    its address and its output folder."""
    site = make_site({f"content/stories/s{i:02d}.md": f"---\ntitle: 第{i}篇\ndate: 2023-01-{i + 1:02d}\n---\n{body}\n"
                      for i, body in enumerate(bodies)})
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    server = serve(site / "output", "/dangjian/")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dangjian/", site / "output"
    finally:
        server.shutdown()


def test_type_see_results_filter_and_click_through(phone, example_server, example_output):
    SHOTS.mkdir(exist_ok=True)
    reader = IndexReader(example_output)
    expected = reader.query("帮帮团")
    assert len(expected) >= 2
    phone.goto(example_server)
    phone.locator(".header-tool", has_text="搜索").click()  # on a phone the header's box is folded
    phone.locator("#site-search").fill("帮帮团")  # the header box on every page submits to /search/?q=
    phone.locator("#site-search").press("Enter")
    phone.wait_for_url("**/search/?q=*")
    status = wait_for_status(phone, "找到")
    assert f"找到 {len(expected)} 篇" in status
    phone.locator("#search-input").fill("")
    phone.locator("#search-input").type("麟湖帮帮团", delay=40)  # results as you type
    expected = reader.query("麟湖帮帮团")
    status = wait_for_status(phone, f"找到 {len(expected)} 篇与“麟湖帮帮团”")
    titles = results(phone, len(expected))
    assert titles[0] == reader.record(expected[0].doc)["t"]  # title matches rank first
    marks = phone.locator("#search-results mark").all_inner_texts()
    assert marks and all(m == "麟湖帮帮团" for m in marks)
    first = phone.locator("#search-results > li").first
    assert first.locator("time").inner_text().startswith("20")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(SHOTS / "search-360.png"), full_page=True)

    # Filter by column: only stories of that column stay.
    phone.locator("#search-input").fill("党员")
    all_hits = reader.query("党员")
    wait_for_status(phone, f"找到 {len(all_hits)} 篇")
    phone.locator("#search-column").select_option(label="我为群众办实事")
    status = wait_for_status(phone, "筛选后")
    column_index = [c[0] for c in reader.meta["columns"]].index("我为群众办实事")
    in_column = [h for h in all_hits if column_index in reader.record(h.doc)["c"]]
    assert f"筛选后 {len(in_column)} 篇" in status
    results(phone, min(len(in_column), reader.meta["page"]))
    phone.screenshot(path=str(SHOTS / "search-filter-360.png"), full_page=True)
    phone.locator("#search-column").select_option(value="")
    brand_names = [b[0] for b in reader.meta["brands"]]
    phone.locator("#search-brand").select_option(index=1 + brand_names.index("网格连心"))
    wait_for_status(phone, "筛选后")
    phone.wait_for_timeout(300)
    for link in phone.locator("#search-results > li a[href]").all():
        assert link.get_attribute("href").startswith("/dangjian/stories/")

    # Click through to the story.
    phone.locator("#search-brand").select_option(value="")
    wait_for_status(phone, f"找到 {len(all_hits)} 篇")
    results(phone, min(len(all_hits), reader.meta["page"]))
    href = phone.locator("#search-results > li a").first.get_attribute("href")
    phone.locator("#search-results > li a").first.click()
    phone.wait_for_url("**" + href)
    assert "党员" in phone.locator("main").inner_text()
    hosts = {urlsplit(url).netloc for url in phone.requests}
    assert hosts == {urlsplit(example_server).netloc}, hosts


def test_a_link_with_q_opens_with_results_and_load_more_reaches_all(phone, make_site):
    with served_site(make_site, [f"{'志愿服务' * (i % 4 + 1)}，第{i}次活动。" for i in range(25)]) as (root, output):
        reader = IndexReader(output)
        hits = reader.query("志愿服务")
        assert len(hits) == 25 and len(hits) > 2 * reader.meta["page"]
        phone.goto(root + "search/?q=" + quote("志愿服务"))
        wait_for_status(phone, "找到 25 篇")
        assert phone.locator("#search-input").input_value() == "志愿服务"
        results(phone, reader.meta["page"])
        assert "还有 15 篇" in phone.locator("#search-more").inner_text()
        while phone.locator("#search-more").is_visible():
            phone.locator("#search-more").click()
            phone.wait_for_timeout(150)
        phone.wait_for_function("n => document.querySelectorAll('#search-results > li').length === n", arg=25)
        hrefs = phone.locator("#search-results > li a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert hrefs == [reader.record(h.doc)["u"] for h in hits]
        counts = [h.count for h in hits]
        assert counts == sorted(counts, reverse=True) and counts[0] == 4  # most occurrences first


def test_a_failed_download_says_so_and_can_be_tried_again(phone, make_site):
    """On a phone network a file of the index, a result record or the next page of results may
    fail to arrive: the page says so in Chinese, and the same search (or 加载更多) tried again
    works once the network is back."""
    with served_site(make_site, [f"网格员第{i}次走访。" for i in range(15)]) as (root, output):
        page_size = IndexReader(output).meta["page"]
        box = phone.locator("#search-input")
        for blocked, message in [("**/search/i2/**", "搜索索引加载失败"), ("**/search/d/**", "搜索结果加载失败")]:
            phone.route(blocked, lambda route: route.abort())
            phone.goto(root + "search/?q=" + quote("走访"))
            wait_for_status(phone, message)
            assert phone.locator("#search-results > li").count() == 0
            phone.unroute(blocked)
            box.press("Enter")  # the same query again
            wait_for_status(phone, "找到 15 篇")
            results(phone, page_size)
        phone.route("**/search/d/**", lambda route: route.abort())  # the next page fails
        phone.locator("#search-more").click()
        wait_for_status(phone, "搜索结果加载失败")
        assert phone.locator("#search-more").is_visible()
        phone.unroute("**/search/d/**")
        phone.locator("#search-more").click()
        results(phone, 15)


def test_back_from_a_story_returns_to_the_same_results_and_place(phone, make_site, example_server):
    """Results are drawn after the page loads, so the browser alone brings a reader back from a
    story to the top of the first ten: the page keeps the results shown (加载更多 included), the
    filters and the scroll position in its history entry and puts them back."""
    with served_site(make_site, [f"网格员第{i}次走访，{'记录民情' * 30}。" for i in range(25)]) as (root, _):
        phone.goto(root + "search/?q=" + quote("走访"))
        wait_for_status(phone, "找到 25 篇")
        results(phone, 10)
        phone.locator("#search-more").click()
        titles = results(phone, 20)
        link = phone.locator("#search-results > li a").nth(17)
        link.scroll_into_view_if_needed()
        phone.wait_for_timeout(600)  # the position is kept a moment after scrolling stops
        y = phone.evaluate("window.pageYOffset")
        assert y > 2000
        link.click()
        phone.wait_for_url("**/stories/**")
        phone.go_back()
        phone.wait_for_function("document.querySelectorAll('#search-results > li').length === 20")
        assert results(phone, 20) == titles
        assert abs(phone.evaluate("window.pageYOffset") - y) <= 2
        assert phone.locator("#search-input").input_value() == "走访"
        assert "还有 5 篇" in phone.locator("#search-more").inner_text()
        phone.locator("#search-input").fill("第3篇")  # a new search starts at the top again
        wait_for_status(phone, "找到 1 篇")
        assert len(results(phone, 1)) == 1

    phone.goto(example_server + "search/?q=" + quote("党员"))
    wait_for_status(phone, "找到")
    phone.locator("#search-column").select_option(label="我为群众办实事")
    status = wait_for_status(phone, "筛选后")
    filtered = results(phone)
    phone.locator("#search-results > li a").first.click()
    phone.wait_for_url("**/stories/**")
    phone.go_back()
    assert wait_for_status(phone, "筛选后") == status
    assert phone.locator("#search-column option:checked").inner_text() == "我为群众办实事"
    assert results(phone, len(filtered)) == filtered


def test_pinyin_being_typed_is_not_searched(phone, example_server, example_output):
    """With a Chinese input method the box holds pinyin ("dang'yuan") until the characters are
    chosen. That is no query: no results, no 未找到, no index files fetched, no ?q= for it; the
    search runs when 党员 arrives."""
    phone.goto(example_server + "search/")
    phone.wait_for_load_state("networkidle")  # meta.json read
    phone.locator("#search-input").focus()
    cdp = phone.context.new_cdp_session(phone)
    fetched = len(phone.requests)
    for text in ["d", "dang", "dang'yuan"]:
        cdp.send("Input.imeSetComposition", {"text": text, "selectionStart": len(text), "selectionEnd": len(text)})
        phone.wait_for_timeout(120)
    phone.wait_for_timeout(600)  # well past the 150 ms wait after the last keystroke
    assert phone.locator("#search-input").input_value() == "dang'yuan"
    assert phone.locator("#search-status").inner_text() == ""
    assert not [url for url in phone.requests[fetched:] if "/search/i" in url]
    assert "q=" not in phone.url
    cdp.send("Input.insertText", {"text": "党员"})
    hits = IndexReader(example_output).query("党员")
    wait_for_status(phone, f"找到 {len(hits)} 篇与“党员”")
    assert "q=" in phone.url


def test_submitting_leaves_the_box_for_the_count(phone, example_server, example_output):
    """On a phone the keyboard covers half the screen while the box has the focus: the search key
    moves the focus to the count (read out by screen readers), and Tab goes on to the first result."""
    hits = IndexReader(example_output).query("党员")
    phone.goto(example_server + "search/")
    phone.locator("#search-input").fill("党员")
    phone.locator("#search-input").press("Enter")
    wait_for_status(phone, f"找到 {len(hits)} 篇")
    results(phone, min(len(hits), 10))
    assert phone.evaluate("document.activeElement.id") == "search-status"
    phone.keyboard.press("Tab")
    first = phone.locator("#search-results > li a").first.get_attribute("href")
    assert phone.evaluate("document.activeElement.getAttribute('href')") == first


def test_search_goes_on_when_the_browser_refuses_history_updates(phone, example_server, example_output):
    """Safari throws on the 101st history.replaceState within 30 seconds (the page calls it for
    every query and to keep the reader's place); searching must not stop there."""
    phone.add_init_script("history.replaceState = function () { throw new Error('SecurityError'); };")
    hits = IndexReader(example_output).query("帮帮团")
    phone.goto(example_server + "search/")
    phone.locator("#search-input").type("帮帮团", delay=40)
    wait_for_status(phone, f"找到 {len(hits)} 篇")
    assert len(results(phone, len(hits))) == len(hits)

def test_traditional_query_finds_simplified_text(phone, example_server, example_output):
    expected = IndexReader(example_output).query("網格連心")
    assert expected
    phone.goto(example_server + "search/?q=" + quote("網格連心"))
    wait_for_status(phone, f"找到 {len(expected)} 篇")
    assert phone.locator("#search-results mark").first.inner_text() == "网格连心"


def test_edge_cases(phone, example_server, example_output):
    reader = IndexReader(example_output)
    phone.goto(example_server + "search/")
    box = phone.locator("#search-input")
    for query, status in [
        ("，。！？", "只有标点符号"),
        ("   ", "请输入要查找的文字"),
        ("👍", "未找到"),
        ("5G党建", "未找到" if not reader.query("5G党建") else "找到"),
        ("x" * 500, "未找到"),
        ("不存在的词语组合", "未找到与“不存在的词语组合”相关的文章"),
    ]:
        box.fill(query)
        wait_for_status(phone, status)
        if status != "找到":
            assert phone.locator("#search-results > li").count() == 0
    box.fill("")
    wait_for_status(phone, "请输入要查找的文字")


def test_query_is_text_never_markup(phone, example_server):
    for query in ["<script>window.__pwned=1</script>", '"><img src=x onerror="window.__pwned=1">']:
        phone.goto(example_server + "search/?q=" + quote(query))
        status = wait_for_status(phone, "未找到")
        assert query.strip() in status  # shown as text
        assert phone.evaluate("window.__pwned") is None
        assert phone.locator("#search-status img, #search-status script, #search-results img").count() == 0
        assert phone.locator("#search-input").input_value() == query


def test_first_result_is_on_the_first_screen_of_a_phone(phone, example_server, example_output):
    """On the search page the header's box gives way to the page's own, and both filters share a
    line, so that the first result's title is read without scrolling at 360×740; at the large
    font the filters go one under the other rather than squeezing their names."""
    phone.goto(example_server)
    phone.locator(".header-tool", has_text="搜索").click()
    assert phone.locator(".site-header .search-box").is_visible()  # every other page has it, one tap away
    hits = IndexReader(example_output).query("党员")
    phone.goto(example_server + "search/?q=" + quote("党员"))
    wait_for_status(phone, f"找到 {len(hits)} 篇")
    results(phone, min(len(hits), 10))
    assert not phone.locator(".site-header .search-box").is_visible()
    title = phone.locator("#search-results > li a").first.bounding_box()
    assert title["y"] + title["height"] <= 740, title
    column, brand = (phone.locator(f"#search-{name}").bounding_box() for name in ("column", "brand"))
    assert column["y"] == brand["y"]  # one line
    phone.get_by_role("button", name="阅读设置").click()
    phone.locator("button[data-font-choice=large]").click()
    phone.wait_for_function("document.getElementById('search-brand').getBoundingClientRect().top >"
                            " document.getElementById('search-column').getBoundingClientRect().bottom")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.screenshot(path=str(SHOTS / "search-first-screen-360.png"))
