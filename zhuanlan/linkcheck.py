"""Checking links to other websites: concurrent, bounded, and never longer than its timeout per link.

Each link is asked for with HEAD (GET when a server refuses HEAD) by a pool of daemon threads.
The socket timeout alone cannot bound a request (a server that sends one byte a second never
trips it), so a watchdog gives up on any link that has run past its deadline and starts a fresh
worker in its place; the abandoned thread ends on its own and its answer is ignored.
"""
from __future__ import annotations

import http.client
import queue
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlsplit

from .problems import ERROR, WARNING

USER_AGENT = "Mozilla/5.0 (compatible; zhuanlan-check; +https://pypi.org/)"
RETRY_WITH_GET = {400, 403, 405, 406, 501}  # servers that answer HEAD badly but serve GET
GRACE = 0.5  # seconds past the timeout before the watchdog gives up on a request


@dataclass(frozen=True)
class LinkResult:
    url: str
    ok: bool
    level: str = ""  # ERROR or WARNING when not ok
    reason: str = ""  # Chinese, says what happened
    status: int | None = None
    seconds: float = 0.0


_STATUS_TEXT = {
    400: "请求有误", 401: "需要登录", 403: "禁止访问", 404: "找不到页面", 410: "页面已删除",
    429: "访问过于频繁", 500: "服务器内部错误", 502: "网关错误", 503: "服务暂不可用", 504: "网关超时",
}


def classify_status(url: str, status: int, seconds: float) -> LinkResult:
    if status < 400:
        return LinkResult(url, True, status=status, seconds=seconds)
    text = _STATUS_TEXT.get(status, "")
    reason = f"HTTP {status}{' ' + text if text else ''}"
    # Only "this page does not exist" from a live server is certain; the rest may pass.
    level = ERROR if status in (404, 410) else WARNING
    return LinkResult(url, False, level, reason, status, seconds)


def _request(url: str, method: str, timeout: float) -> int:
    request = urllib.request.Request(url, method=method, headers={
        "User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Language": "zh-CN,zh;q=0.9"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) only
            return response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code


def probe(url: str, timeout: float) -> LinkResult:
    """Ask for one URL. Every failure becomes a result with a Chinese reason, never an exception."""
    started = time.monotonic()
    host = urlsplit(url).hostname or url
    try:
        status = _request(url, "HEAD", timeout)
        if status in RETRY_WITH_GET:
            status = _request(url, "GET", timeout)
        return classify_status(url, status, time.monotonic() - started)
    except urllib.error.URLError as exc:
        reason = exc.reason
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = exc
    seconds = time.monotonic() - started
    if isinstance(reason, socket.gaierror):
        text = f"找不到网站 {host}（域名无法解析）"
    elif isinstance(reason, ConnectionRefusedError):
        text = f"{host} 拒绝连接（网站可能已关闭）"
    elif isinstance(reason, (TimeoutError, socket.timeout)):
        text = f"{timeout:g} 秒内没有响应"
    elif isinstance(reason, ssl.SSLError):
        text = f"{host} 的 HTTPS 证书有问题，读者的浏览器会报不安全"
    elif isinstance(reason, (ConnectionResetError, http.client.RemoteDisconnected, http.client.BadStatusLine)):
        text = f"{host} 中断了连接"
    else:
        text = f"无法访问（{reason}）"
    return LinkResult(url, False, WARNING, text, None, seconds)


def by_host_round_robin(urls: list[str]) -> list[str]:
    """One link of each host in turn, so that the workers spread over hosts instead of piling on one."""
    hosts: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        hosts[urlsplit(url).netloc].append(url)
    ordered: list[str] = []
    lists = list(hosts.values())
    for index in range(max((len(x) for x in lists), default=0)):
        ordered.extend(x[index] for x in lists if index < len(x))
    return ordered


def check_urls(urls: list[str], timeout: float = 10.0, workers: int = 8) -> dict[str, LinkResult]:
    """Every URL's result. Takes at most about ceil(len(urls) / workers) × (timeout + GRACE) seconds."""
    todo: queue.Queue[str] = queue.Queue()
    unique = by_host_round_robin(list(dict.fromkeys(urls)))
    for url in unique:
        todo.put(url)
    results: dict[str, LinkResult] = {}
    running: dict[int, tuple[str, float]] = {}  # worker id → (url, monotonic start)
    lock = threading.Condition()

    def work(worker: int) -> None:
        while True:
            with lock:
                if worker in retired:
                    return
                try:
                    url = todo.get_nowait()
                except queue.Empty:
                    running.pop(worker, None)
                    lock.notify_all()
                    return
                running[worker] = (url, time.monotonic())
            result = probe(url, timeout)
            with lock:
                if worker in retired:
                    return  # the watchdog gave up on this one and reported it already
                results.setdefault(url, result)
                running.pop(worker, None)
                lock.notify_all()

    retired: set[int] = set()
    next_id = 0

    def start() -> None:
        nonlocal next_id
        thread = threading.Thread(target=work, args=(next_id,), daemon=True, name=f"linkcheck-{next_id}")
        next_id += 1
        thread.start()

    with lock:
        for _ in range(min(workers, len(unique))):
            start()
        while len(results) < len(unique):
            lock.wait(0.05)
            now = time.monotonic()
            for worker, (url, began) in list(running.items()):
                if now - began > timeout + GRACE:
                    retired.add(worker)
                    del running[worker]
                    results.setdefault(url, LinkResult(url, False, WARNING, f"{timeout:g} 秒内没有完成（响应太慢）",
                                                       None, now - began))
                    if not todo.empty():
                        start()
            if not running and len(results) < len(unique) and not todo.empty():
                start()
            if not running and todo.empty():
                break
    return results
