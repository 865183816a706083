"""定时发布: a story whose date is in the future is published from that moment.

The build leaves such a story out (serve and --drafts show it, marked 定时) and says when the
first one is due. Whether a story is published depends on the time of the build as well as on the
files, so what a build made stays right only while no story's time comes, and no published story
is newer than the clock (it went back): the window [newest published, earliest scheduled).
The build's nothing-changed shortcut and the deploy's "built from these sources" check both ask
whether the last build's window still holds.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .dates import SHANGHAI, format_minute

if TYPE_CHECKING:
    from .content import Story

Window = tuple[str, str]  # (newest published story's time, earliest scheduled one's), ISO; "" when none
ALWAYS: Window = ("", "")


def local_now() -> datetime:
    """The time in China, as story dates are read (naive, Asia/Shanghai)."""
    return datetime.now(SHANGHAI).replace(tzinfo=None)


def split(stories: list[Story], now: datetime) -> tuple[list[Story], Window]:
    """Mark every story scheduled or not at `now`; the scheduled ones, earliest first, and the
    window in which that split holds. Drafts are neither: they wait for the officer, not the clock."""
    scheduled, newest = [], None
    for story in stories:
        story.scheduled = not story.draft and story.date > now
        if story.scheduled:
            scheduled.append(story)
        elif not story.draft and (newest is None or story.date > newest):
            newest = story.date
    scheduled.sort(key=lambda s: (s.date, s.rel))
    return scheduled, (_iso(newest), _iso(scheduled[0].date) if scheduled else "")


def holds(window: Window | list[str], now: datetime) -> bool:
    """The split a build made is still the split at `now`."""
    since, until = window
    at = _iso(now)
    return (not since or since <= at) and (not until or at < until)


def due_since(window: Window | list[str], now: datetime) -> str:
    """When the first story the last build held back became due ("" when none has)."""
    until = window[1]
    return until if until and _iso(now) >= until else ""


def summary(scheduled: list[Story], shown: bool) -> str:
    """The build's notice: how many stories wait, and when the first is due."""
    first = scheduled[0]
    where = "预览中已经显示，并标有“定时”；正式生成时" if shown else ""
    return (f"定时发布：{len(scheduled)} 篇，最早 {format_minute(first.date)}（《{first.title}》，content/{first.rel}）。"
            f"{where}到了发布时间重新生成并发布后，它们才会出现在网站上（定时运行的方法见 docs/发布.md）")


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="microseconds") if moment is not None else ""
