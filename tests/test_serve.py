"""`build.py serve`: build, serve under the base path, rebuild on save, tell the page to reload,
show problems without dying, and never touch the published output."""
from __future__ import annotations

import http.client
import threading
import time
import urllib.error
import urllib.request

import pytest

from zhuanlan.serve import SCRIPT_PATH, serve


@pytest.fixture
def served(make_site):
    site = make_site({"content/stories/wip.md": "---\ntitle: 写作中\ndate: 2022-01-02\ndraft: true\n---\n草稿正文。\n"})
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(site, "127.0.0.1", 0, 1), kwargs={"ready": ready, "stop": stop},
                              daemon=True)
    thread.start()
    assert ready.wait(30)
    yield site, f"http://127.0.0.1:{ready.port}"
    stop.set()
    thread.join(10)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


class EventStream:
    """Reads server-sent events in a background thread."""

    def __init__(self, host_url: str, version: str):
        host = host_url.split("//", 1)[1]
        self.connection = http.client.HTTPConnection(host, timeout=30)
        self.connection.request("GET", f"/__zhuanlan/events?v={version}")
        self.response = self.connection.getresponse()
        self.events: list[tuple[str, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = ""
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    self.events.append((kind, line[6:]))
        except Exception:
            return

    def close(self) -> None:
        self.connection.close()


def test_serves_under_the_base_path_with_drafts_and_live_reload(served):
    site, host = served
    status, html = get(host + "/dangjian/stories/first/")
    assert status == 200 and "第一篇" in html
    assert f'<script src="{SCRIPT_PATH}"' in html  # added while serving…
    built = (site / ".cache/serve/stories/first/index.html").read_text("utf-8")
    assert SCRIPT_PATH not in built  # …never written into files
    assert not (site / "output").exists()  # the published output is not touched
    status, draft = get(host + "/dangjian/stories/wip/")
    assert status == 200 and "草稿" in draft
    status, _ = get(host + "/")
    assert status == 200  # redirected to the base path
    status, missing = get(host + "/dangjian/no-such-page/")
    assert status == 404 and "页面未找到" in missing


def test_a_save_rebuilds_and_reloads_the_page(served):
    site, host = served
    version = get(host + "/dangjian/")[1].split('data-version="')[1].split('"')[0]
    events = EventStream(host, version)
    story = site / "content/stories/first.md"
    story.write_text(story.read_text("utf-8").replace("第一句话。", "第一句话改好了。"), "utf-8")
    wait_for(lambda: "第一句话改好了" in get(host + "/dangjian/stories/first/")[1])
    wait_for(lambda: ("reload", "{}") in events.events)
    events.close()


def test_a_broken_save_shows_problems_and_the_next_good_save_recovers(served):
    site, host = served
    version = get(host + "/dangjian/")[1].split('data-version="')[1].split('"')[0]
    events = EventStream(host, version)
    story = site / "content/stories/first.md"
    good = story.read_text("utf-8")
    story.write_text("---\ntitle: 坏了\n", "utf-8")
    wait_for(lambda: any(kind == "problems" and "first.md:1" in data for kind, data in events.events))
    status, html = get(host + "/dangjian/stories/first/")
    assert status == 200 and "第一篇" in html  # the last good page is still served
    story.write_text(good.replace("第一篇", "修好了"), "utf-8")
    wait_for(lambda: "修好了" in get(host + "/dangjian/stories/first/")[1])
    wait_for(lambda: any(kind == "reload" for kind, _ in events.events[-1:]))
    events.close()


def test_rapid_saves_renames_and_deletions(served):
    site, host = served
    story = site / "content/stories/first.md"
    text = story.read_text("utf-8")
    for n in range(5):  # saved five times in quick succession
        story.write_text(text.replace("第一篇", f"第一篇（第{n}稿）"), "utf-8")
        time.sleep(0.01)
    wait_for(lambda: "第4稿" in get(host + "/dangjian/stories/first/")[1])
    story.rename(site / "content/stories/renamed.md")
    wait_for(lambda: get(host + "/dangjian/stories/renamed/")[0] == 200)
    wait_for(lambda: get(host + "/dangjian/stories/first/")[0] == 404)
    (site / "content/stories/renamed.md").unlink()
    wait_for(lambda: get(host + "/dangjian/stories/renamed/")[0] == 404)


def test_the_open_page_reloads_itself_and_shows_problems_in_the_browser(served, phone):
    site, host = served
    phone.goto(host + "/dangjian/stories/first/")
    assert phone.locator("h1").inner_text() == "第一篇"
    story = site / "content/stories/first.md"
    good = story.read_text("utf-8")
    story.write_text(good.replace("title: 第一篇", "title: 浏览器里看到的新标题"), "utf-8")
    phone.wait_for_function("document.querySelector('h1').textContent.includes('新标题')", timeout=10000)
    story.write_text("---\ntitle: 坏了\n", "utf-8")
    overlay = phone.locator("#zhuanlan-problems")
    overlay.wait_for(timeout=10000)
    assert "first.md:1" in overlay.inner_text() and "没有结束" in overlay.inner_text()
    story.write_text(good, "utf-8")
    phone.wait_for_function("document.querySelector('h1').textContent === '第一篇'", timeout=10000)
    assert phone.locator("#zhuanlan-problems").count() == 0
