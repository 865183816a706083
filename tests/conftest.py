"""Shared fixtures: small throwaway sites, the example site built once, a local HTTP server that
serves an output folder under the site's base path, and headless Chromium."""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path
from textwrap import dedent

import pytest

from zhuanlan.cli import main

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

MINIMAL_SITE = {
    "site.yaml": """\
        title: 测试站
        base_url: https://example.gov.cn/dangjian/
        site_id_code: "1234567890"
        footer:
          主办单位: 测试单位
        """,
    "content/brands/wucai.md": """\
        ---
        name: 五彩
        slogan: 五彩口号
        color: "#b3121b"
        ---
        品牌介绍。
        """,
    "content/brands/dinglin.md": """\
        ---
        name: 鼎麟
        parent: wucai
        ---
        子品牌介绍。
        """,
    "content/columns/news.md": """\
        ---
        title: 工作动态
        description: 动态。
        ---
        专栏介绍。
        """,
    "content/stories/first.md": """\
        ---
        title: 第一篇
        date: 2022-03-15 09:30
        brand: dinglin
        columns: [news]
        tags: [志愿服务]
        ---
        第一句话。第二句话！
        """,
}


def write_site(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def make_site(tmp_path):
    """make_site(extra_files, drop=()) → a site folder with the minimal site plus `extra_files`."""

    def make(extra: dict[str, str | bytes] | None = None, drop: tuple[str, ...] = ()) -> Path:
        files = {k: v for k, v in MINIMAL_SITE.items() if k not in drop}
        files.update(extra or {})
        return write_site(tmp_path / "site", files)

    return make


def run_cli(*args: str) -> int:
    try:
        return main(list(args))
    except SystemExit as exc:  # argparse exits
        return int(exc.code or 0)


def tree_digest(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its content hash, for "nothing was touched" checks."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha1(p.read_bytes()).hexdigest() + f":{p.stat().st_mtime_ns}"
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="session")
def example_output(tmp_path_factory) -> Path:
    """The repository's example site, built once into a temporary folder."""
    site = tmp_path_factory.mktemp("example")
    for name in ("site.yaml", "content"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, site / name)
        else:
            shutil.copy(source, site / name)
    assert run_cli("--site", str(site), "--jobs", "1") == 0
    return site / "output"


class _PrefixHandler(http.server.SimpleHTTPRequestHandler):
    prefix = "/"

    def translate_path(self, path: str) -> str:
        if path.startswith(self.prefix):
            path = "/" + path[len(self.prefix):]
        else:
            path = "/__outside_base_path__"
        return super().translate_path(path)

    def send_error(self, code, message=None, explain=None):
        not_found = Path(self.directory) / "404.html"
        if code == 404 and not_found.is_file():  # what a static host does with its 404 page
            body = not_found.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, *args):
        pass


def serve(directory: Path, prefix: str):
    handler = type("Handler", (_PrefixHandler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def example_server(example_output):
    """The example output served at http://127.0.0.1:PORT/dangjian/ (its base path)."""
    server = serve(example_output, "/dangjian/")
    yield f"http://127.0.0.1:{server.server_address[1]}/dangjian/"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if os.environ.get("ZHUANLAN_SKIP_BROWSER"):
        pytest.skip("ZHUANLAN_SKIP_BROWSER is set")
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: apt-get install chromium"
    # Without a Chinese font each character is drawn as a narrow box, and widths measured are not a reader's.
    chinese_fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    assert chinese_fonts.strip(), "no Chinese font for Chromium: apt-get install fonts-noto-cjk"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def phone(browser):
    """A fresh page at a phone viewport (360×740) that records every request it makes."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def with_texts(stories: list) -> list:
    """The stories, each with its plain text parsed again from its file: builds do not keep the
    text (the search index is made from grams), and tests check search results against it."""
    from zhuanlan.content import parse_file

    for story in stories:
        story.text = parse_file(Path(story.path), story.rel).item.text
    return stories
