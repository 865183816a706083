"""`python build.py serve`: build, serve the site on loopback, watch, rebuild what changed and
reload the open page.

The live-reload script is added to HTML responses as they are served; it is never written into
output files. Serve builds into `.cache/serve/` with drafts shown, so the published `output/`
is never touched by previewing.
"""
from __future__ import annotations

import http.server
import json
import os
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from watchdog.events import EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_OPENED, FileSystemEventHandler
from watchdog.observers import Observer

from . import cachepaths
from .config import CONFIG_FILE
from .messages import report, summary
from .pipeline import BuildOptions, Builder, BuildResult
from .problems import BuildFailed, Problems
from .sources import is_leftover

EVENTS_PATH = "/__zhuanlan/events"
SCRIPT_PATH = "/__zhuanlan/live.js"
QUIET_SECONDS = 0.08  # rapid saves within this gap become one rebuild
NAME_MAX = 255  # bytes in one path segment: longer ones name no file (the OS says ENAMETOOLONG)
IGNORED_PARTS = {cachepaths.CACHE_DIR, "output", ".git", "__pycache__"}
WATCHED_DIRS = ("content", "themes")  # and site.yaml

LIVE_SCRIPT = """\
(function () {
  var script = document.currentScript, version = script ? script.getAttribute("data-version") : "";
  var source = new EventSource("%(events)s?v=" + encodeURIComponent(version));
  function overlay(lines) {
    var box = document.getElementById("zhuanlan-problems");
    if (!box) {
      box = document.createElement("div");
      box.id = "zhuanlan-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;z-index:2147483647;" +
        "background:#2b0000;color:#fff;font:15px/1.6 monospace;padding:12px 16px;white-space:pre-wrap;" +
        "border-top:4px solid #ff5252";
      document.body.appendChild(box);
    }
    box.textContent = "生成失败（修改保存后自动重试）：\\n" + lines.join("\\n");
  }
  var troubled = false;
  source.addEventListener("reload", function (event) {
    var pages = JSON.parse(event.data).pages, here = decodeURI(location.pathname);
    if (troubled || !pages || pages.indexOf(here) >= 0) { location.reload(); }
  });
  source.addEventListener("problems", function (event) { troubled = true; overlay(JSON.parse(event.data)); });
})();
"""


class ServeState:
    """The latest build's outcome, shared by the rebuild thread and the event streams."""

    def __init__(self) -> None:
        self.version = 0
        self.problems: list[str] = []
        self.changed = threading.Condition()
        self.pages: dict[int, list[str] | None] = {}  # per version: the URL paths it changed; None: any

    def succeeded(self, pages: list[str] | None = None) -> None:
        with self.changed:
            self.version += 1
            self.pages[self.version] = pages
            self.pages.pop(self.version - 100, None)
            self.problems = []
            self.changed.notify_all()

    def pages_since(self, seen: str) -> list[str] | None:
        """The URL paths changed after version `seen`; None when any page may have changed."""
        if not seen.isdigit():
            return None
        changed: list[str] = []
        for version in range(int(seen) + 1, self.version + 1):
            pages = self.pages.get(version)
            if pages is None:
                return None
            changed += pages
        return changed

    def failed(self, lines: list[str]) -> None:
        with self.changed:
            self.problems = lines
            self.changed.notify_all()


def make_handler(out_dir: Path, base_path: str, state: ServeState):
    script_tag = f'<script src="{SCRIPT_PATH}" data-version="{{version}}"></script>'

    class Handler(http.server.SimpleHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(out_dir), **kwargs)

        def log_message(self, *args) -> None:  # the terminal is for build messages
            pass

        def do_GET(self) -> None:
            if self._refused():
                return
            try:
                self._get()
            except ConnectionError:  # the browser went away
                return
            except OSError:  # whatever the disk says of a path no page has: not found
                self._html(404, out_dir / "404.html")

        def do_HEAD(self) -> None:
            if not self._refused():
                super().do_HEAD()

        def _refused(self) -> bool:
            """Answer a path no file can have at once: a NUL (400) or a segment too long (414)."""
            path = unquote(urlsplit(self.path).path)
            if "\x00" in path:
                self._send(400, "text/plain; charset=utf-8", "网址中含有不允许的字符（%00）".encode("utf-8"))
                return True
            if any(len(part.encode("utf-8", "surrogateescape")) > NAME_MAX for part in path.split("/")):
                self._send(414, "text/plain; charset=utf-8", "网址中有一段过长".encode("utf-8"))
                return True
            return False

        def _get(self) -> None:
            path = urlsplit(self.path).path
            if path == EVENTS_PATH:
                return self._events()
            if path == SCRIPT_PATH:
                return self._send(200, "application/javascript; charset=utf-8",
                                  (LIVE_SCRIPT % {"events": EVENTS_PATH}).encode("utf-8"))
            if not path.startswith(base_path):
                self.send_response(302)
                self.send_header("Location", base_path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            file = self._file_for(unquote(path[len(base_path):]))
            if file is None:
                if path.endswith("/") or "." not in path.rsplit("/", 1)[-1]:
                    if (out_dir / unquote(path[len(base_path):]).lstrip("/")).is_dir() and not path.endswith("/"):
                        self.send_response(301)
                        self.send_header("Location", path + "/")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                return self._html(404, out_dir / "404.html")
            if file.suffix == ".html":
                return self._html(200, file)
            return super().do_GET()

        def translate_path(self, path: str) -> str:
            path = urlsplit(path).path
            if path.startswith(base_path):
                path = "/" + path[len(base_path):]
            return super().translate_path(path)

        def _file_for(self, rel: str) -> Path | None:
            target = (out_dir / rel.lstrip("/")).resolve()
            if out_dir.resolve() not in target.parents and target != out_dir.resolve():
                return None
            if target.is_dir():
                target = target / "index.html"
            return target if target.is_file() else None

        def _html(self, status: int, file: Path) -> None:
            try:
                text = file.read_text("utf-8")
            except OSError:
                text = "<!doctype html><title>尚未生成</title><body><p>网站尚未生成成功。</p></body>"
            tag = script_tag.format(version=state.version)
            text = text.replace("</body>", tag + "</body>") if "</body>" in text else text + tag
            self._send(status, "text/html; charset=utf-8", text.encode("utf-8"))

        def _send(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _events(self) -> None:
            query = urlsplit(self.path).query
            seen = query.split("v=", 1)[1] if "v=" in query else ""
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "keep-alive")
            self.end_headers()
            shown: list[str] = []  # problems this stream has shown; [] once a build succeeds
            try:
                while True:
                    with state.changed:
                        if str(state.version) == seen and state.problems == shown:
                            state.changed.wait(timeout=15)
                        version, problems = str(state.version), list(state.problems)
                        pages = state.pages_since(seen)
                    if problems and problems != shown:
                        data = json.dumps(problems, ensure_ascii=False)
                        self.wfile.write(f"event: problems\ndata: {data}\n\n".encode())
                        shown = problems
                    elif not problems and version != seen:
                        data = json.dumps({} if pages is None else {"pages": pages}, ensure_ascii=False)
                        self.wfile.write(f"event: reload\ndata: {data}\n\n".encode())
                        seen, shown = version, []
                    else:
                        shown = problems
                        self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, OSError):
                return

    return Handler


class _Changes(FileSystemEventHandler):
    """Collects relevant file events; the rebuild loop waits for a quiet moment."""

    def __init__(self, site_dir: Path):
        self.site_dir = site_dir
        self.pending = threading.Event()
        self.last = 0.0
        self.paths: set[Path] = set()
        self.lock = threading.Lock()

    def on_any_event(self, event) -> None:
        if event.event_type in (EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        relevant = [p for p in paths if p and self._relevant(p)]
        if relevant:
            with self.lock:
                self.paths.update(Path(os.fsdecode(p)) for p in relevant)
            self.last = time.monotonic()
            self.pending.set()

    def take(self) -> set[Path]:
        """The paths changed since the last call."""
        with self.lock:
            paths, self.paths = self.paths, set()
        return paths

    def _relevant(self, path: str) -> bool:
        try:
            rel = Path(os.fsdecode(path)).relative_to(self.site_dir)
        except ValueError:
            return False
        if not rel.parts or rel.parts[0] in IGNORED_PARTS or is_leftover(rel.name):
            return False
        return rel.parts[0] in WATCHED_DIRS or rel.as_posix() == CONFIG_FILE


class _Watches:
    """Watches site.yaml (the site folder, not recursively) and content/ and themes/ recursively.

    Never the whole folder: the preview output in .cache/serve/ and a published output/ hold a
    folder per page, and on a site of 10,000 stories their events overflowed the kernel's queue
    (watchdog then rescans, and saves went unnoticed for a minute)."""

    def __init__(self, observer: Observer, changes: _Changes, site_dir: Path):
        self.observer, self.changes, self.site_dir = observer, changes, site_dir
        observer.schedule(changes, str(site_dir), recursive=False)
        self.watched: set[str] = set()
        self.update()

    def update(self) -> None:
        for name in WATCHED_DIRS:
            folder = self.site_dir / name
            if name not in self.watched and folder.is_dir():
                self.observer.schedule(self.changes, str(folder), recursive=True)
                self.watched.add(name)


def _build(builder: Builder, state: ServeState, base_path: str) -> BuildResult | None:
    try:
        result = builder.build()
    except BuildFailed as failed:
        report(failed.problems)
        print(f"生成失败：{len(failed.problems.errors)} 个错误。修改保存后会自动重试，浏览器中也会显示问题。",
              file=sys.stderr, flush=True)
        state.failed([p.format() for p in failed.problems.sorted()])
        return None
    except Exception as exc:  # keep serving whatever happens inside one build
        print(f"生成时出错：{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        state.failed([f"{type(exc).__name__}: {exc}"])
        return None
    report(result.problems)
    print(summary(result, builder.options.out), flush=True)
    state.succeeded(_changed_pages(result.stats.changed, base_path))
    return result


def _changed_pages(files: list[str], base_path: str) -> list[str] | None:
    """The URL paths of the HTML pages among these output files, or None when a file every page
    may use changed (a style sheet, a script, an image)."""
    pages = []
    for rel in files:
        if rel.endswith(".html"):
            pages.append(base_path + (rel[: -len("index.html")] if rel.endswith("index.html") else rel))
        elif not (rel.startswith("search/") or rel.endswith((".xml", ".txt"))):  # no open page shows those
            return None
    return pages


def _preview(builder: Builder, changes: set[Path], site_dir: Path, state: ServeState, base_path: str) -> None:
    """Show saved stories' own pages at once when only stories were saved (see Builder.preview)."""
    content = site_dir / "content"
    stories = [p for p in changes if p.suffix == ".md" and p.is_file()]
    if not stories or any(content not in p.parents for p in changes):
        return
    try:
        shown = builder.preview(stories)
    except Exception as exc:  # the full build that follows reports whatever this was
        print(f"预览时出错（稍后的完整生成为准）：{type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return
    if shown:
        state.succeeded([base_path + url for url in shown])


def _base_path(site_dir: Path) -> str:
    from .config import load_config

    config = load_config(site_dir, Problems())
    return config.base_path if config else "/"


class _Server(http.server.ThreadingHTTPServer):
    """The preview server: a thread per request, and a listen queue long enough for a burst
    (a page and its pictures, several phones reloading at once); socketserver's default is 5."""

    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address) -> None:  # one line, not a traceback
        print(f"预览服务器处理请求时出错：{sys.exc_info()[1]!r}", file=sys.stderr, flush=True)


def serve(site_dir: Path, host: str, port: int, workers: int = 0, ready: threading.Event | None = None,
          stop: threading.Event | None = None) -> int:
    out_dir = cachepaths.serve_output(site_dir)
    builder = Builder(BuildOptions(site_dir=site_dir, output_dir=out_dir, drafts=True, workers=workers))
    state = ServeState()
    base_path = _base_path(site_dir)
    _build(builder, state, base_path)  # a broken site still starts the server: the page shows the problems
    try:
        server = _Server((host, port), make_handler(out_dir, base_path, state))
    except OSError as exc:
        print(f"无法在 {host}:{port} 启动预览：{exc.strerror or exc}。请换一个端口：--port 8001", file=sys.stderr)
        return 1
    changes = _Changes(site_dir)
    observer = Observer()
    watches = _Watches(observer, changes, site_dir)
    observer.start()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    print(f"正在预览：http://{shown_host}:{server.server_address[1]}{base_path} （含草稿；按 Ctrl+C 停止）", flush=True)
    if ready is not None:
        ready.port = server.server_address[1]  # type: ignore[attr-defined]
        ready.set()
    stop = stop or threading.Event()
    try:
        while not stop.is_set():
            if not changes.pending.wait(timeout=0.2):
                continue
            while time.monotonic() - changes.last < QUIET_SECONDS:
                time.sleep(QUIET_SECONDS / 4)
            changes.pending.clear()
            watches.update()  # content/ or themes/ may have been created since
            saved = changes.take()
            new_base = _base_path(site_dir)
            if new_base == base_path:
                _preview(builder, saved, site_dir, state, base_path)
            _build(builder, state, new_base)
            if new_base != base_path:  # site.yaml moved the site to another sub-path
                base_path = new_base
                server.RequestHandlerClass = make_handler(out_dir, base_path, state)
    except KeyboardInterrupt:
        print("\n已停止预览。")
    finally:
        observer.stop()
        server.shutdown()
        server.server_close()
        builder.close()
    return 0
