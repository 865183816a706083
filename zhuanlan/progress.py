"""A one-line progress bar for long builds in an interactive terminal (silent otherwise)."""
from __future__ import annotations

import time

STAGE_NAMES = {"parse": "解析", "render": "生成页面"}


class ProgressBar:
    def __init__(self, stream, min_total: int = 500, interval: float = 0.1):
        self.stream = stream
        self.enabled = hasattr(stream, "isatty") and stream.isatty()
        self.min_total = min_total
        self.interval = interval
        self._last = 0.0
        self._shown = False

    def update(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < self.min_total:
            return
        now = time.monotonic()
        if done < total and now - self._last < self.interval:
            return
        self._last = now
        width = 30
        filled = width * done // max(total, 1)
        name = STAGE_NAMES.get(stage, stage)
        self.stream.write(f"\r{name} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False
