"""Outside links are checked concurrently, and a dead or stalling host never holds the check up.

Every server here listens on 127.0.0.1 only and stops by itself."""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest
from conftest import run_cli

from zhuanlan import linkcheck
from zhuanlan.problems import ERROR, WARNING

TIMEOUT = 1.0


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, head: bool) -> None:
        if self.path.startswith("/missing"):
            status = 404
        elif self.path.startswith("/no-head") and head:
            status = 405
        elif self.path.startswith("/broken"):
            status = 500
        else:
            status = 200
        body = b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def do_HEAD(self):
        self._answer(True)

    def do_GET(self):
        self._answer(False)


@pytest.fixture(scope="module")
def live():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def silent():
    """Accepts connections (the kernel does, from the backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture(scope="module")
def dripping():
    """Answers one byte every 0.2 s, so no single read ever times out; stops after 20 s at most."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        deadline = time.monotonic() + 20
        try:
            conn.recv(4096)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                if stop.is_set() or time.monotonic() > deadline:
                    break
                conn.sendall(bytes([byte]))
                time.sleep(0.2)
        except OSError:
            pass
        finally:
            conn.close()

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            threading.Thread(target=drip, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    stop.set()
    sock.close()


@pytest.fixture(scope="module")
def refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}"


def test_each_kind_of_answer(live, silent, dripping, refused):
    urls = [f"{live}/ok", f"{live}/missing", f"{live}/no-head", f"{live}/broken", f"{silent}/x", f"{dripping}/x",
            f"{refused}/x"]
    started = time.monotonic()
    results = linkcheck.check_urls(urls, timeout=TIMEOUT, workers=4)
    elapsed = time.monotonic() - started
    # Seven links on four workers: two rounds at most, each bounded by the timeout and the grace.
    assert elapsed < 2 * (TIMEOUT + linkcheck.GRACE) + 1.5, elapsed
    assert results[f"{live}/ok"].ok and results[f"{live}/no-head"].ok  # HEAD refused, GET fine
    missing = results[f"{live}/missing"]
    assert (missing.ok, missing.level, missing.status) == (False, ERROR, 404) and "找不到页面" in missing.reason
    assert (results[f"{live}/broken"].level, results[f"{live}/broken"].status) == (WARNING, 500)
    assert results[f"{silent}/x"].level == WARNING and "没有" in results[f"{silent}/x"].reason
    assert results[f"{dripping}/x"].level == WARNING and results[f"{dripping}/x"].seconds < TIMEOUT + 1
    assert "拒绝连接" in results[f"{refused}/x"].reason


def test_many_stalling_hosts_finish_within_the_bound(silent, dripping):
    urls = [f"{silent}/{n}" for n in range(6)] + [f"{dripping}/{n}" for n in range(6)]
    started = time.monotonic()
    results = linkcheck.check_urls(urls, timeout=TIMEOUT, workers=6)
    elapsed = time.monotonic() - started
    assert len(results) == 12 and not any(r.ok for r in results.values())
    assert elapsed < 2 * (TIMEOUT + linkcheck.GRACE) + 1.5, elapsed


def test_round_robin_spreads_hosts():
    urls = ["http://a/1", "http://a/2", "http://a/3", "http://b/1", "http://c/1"]
    assert linkcheck.by_host_round_robin(urls) == ["http://a/1", "http://b/1", "http://c/1", "http://a/2", "http://a/3"]


def test_check_external_reports_lines_and_finishes_in_time(make_site, capsys, live, silent, refused):
    site = make_site({
        "site.yaml": "title: 站\nbase_url: https://example.gov.cn/\ncheck:\n  外链超时: 1\n",
        "content/stories/links.md": f"---\ntitle: 链接\ndate: 2022-03-16\ncolumns: [news]\n---\n"
                                    f"[好的]({live}/ok)\n\n[坏的]({live}/missing) 和 <{silent}/x>\n\n"
                                    f'<a href="{refused}/y">旧网站</a>\n\n[再写一次]({live}/missing)\n',
    })
    started = time.monotonic()
    assert run_cli("check", "--site", str(site), "--external") == 1
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert elapsed < 2 * (1 + linkcheck.GRACE) + 3, elapsed
    assert f"links.md:8:6: 错误: 外部链接 {live}/missing 打不开：HTTP 404 找不到页面" in out
    assert f"links.md:12:8: 错误: 外部链接 {live}/missing 打不开" in out
    assert f"links.md:8:{len('[坏的](') + len(live) + len('/missing) 和 <') + 1}: 警告: 外部链接 {silent}/x 打不开" in out
    assert f"links.md:10:10: 警告: 外部链接 {refused}/y 打不开" in out
    assert f"{live}/ok 打不开" not in out
    assert "4 个外部链接" in out
    assert run_cli("check", "--site", str(site)) == 0  # without --external nothing goes out
