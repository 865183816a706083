"""Dates as officers write them, read as Asia/Shanghai local time."""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta, timezone

# China has no daylight saving time, so a fixed offset is exact and needs no tz database.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

_DATE_RE = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日?\s*)(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*分?(?:\s*[:：]\s*(\d{1,2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


class DateError(ValueError):
    """A date that cannot be read; the message is user-facing Chinese."""


class DateOnly(datetime):
    """Midnight of a day written without a time of day (`2022-03-15`): shown as the day alone.

    A datetime in every other respect (sorting, feeds, the PubDate meta's 00:00), and pickled as
    itself, so cached records keep knowing it. Arithmetic on it is not done anywhere: a moment
    computed from it would wrongly stay date-only.
    """


def has_time(value: datetime) -> bool:
    """Whether a time of day was written, not only a date."""
    return not isinstance(value, DateOnly)


def parse_datetime(value: object) -> datetime:
    """Read `2022-03-15`, `2022-03-15 09:30`, `2022/3/15`, `2022年3月15日 9:30`, ISO with offset.

    The result is naive local (Asia/Shanghai) time; an explicit offset is converted to it. A date
    without a time of day is a `DateOnly` (midnight).
    """
    if isinstance(value, datetime):
        return _to_local(value)
    if isinstance(value, date):
        return DateOnly(value.year, value.month, value.day)
    if not isinstance(value, (str, int)):
        raise DateError(f"无法识别的日期 {value!r}：请写成 2022-03-15 或 2022-03-15 09:30")
    text = str(value)
    match = _DATE_RE.match(text)
    if not match:
        raise DateError(f"无法识别的日期 \"{text}\"：请写成 2022-03-15 或 2022-03-15 09:30")
    year, month, day, hour, minute, second, zone = match.groups()
    y, m, d = int(year), int(month), int(day)
    if not 1 <= m <= 12:
        raise DateError(f"日期 \"{text}\" 不存在：月份应在 1 到 12 之间")
    last = calendar.monthrange(y, m)[1]
    if not 1 <= d <= last:
        raise DateError(f"日期 \"{text}\" 不存在：{y} 年 {m} 月只有 {last} 天")
    h, mi, s = int(hour or 0), int(minute or 0), int(second or 0)
    if h > 23 or mi > 59 or s > 59:
        raise DateError(f"时间 \"{text}\" 不存在：小时应在 0–23、分钟应在 0–59 之间")
    result = datetime(y, m, d, h, mi, s) if hour is not None or zone else DateOnly(y, m, d)
    if zone:
        if zone == "Z":
            offset = timedelta(0)
        else:
            sign = -1 if zone[0] == "-" else 1
            digits = zone[1:].replace(":", "")
            offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        result = _to_local(result.replace(tzinfo=timezone(offset)))
    return result


def _to_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(SHANGHAI).replace(tzinfo=None)


def aware(value: datetime) -> datetime:
    """The local naive time as an aware datetime, for feeds and sitemaps."""
    return value.replace(tzinfo=SHANGHAI)


def format_day(value: date) -> str:
    """"2023-05-01". Made by hand: strftime asks the C library, which looks at /etc/localtime on
    every call where TZ is not set (30 µs; a rebuild formats every story's date several times)."""
    if value.year < 1000:  # strftime does not pad such a year: say what it says
        return value.strftime("%Y-%m-%d")
    return f"{value.year}-{value.month:02d}-{value.day:02d}"


def format_minute(value: datetime) -> str:
    """Day and time, always: the PubDate meta that government site monitoring reads."""
    return f"{format_day(value)} {value.hour:02d}:{value.minute:02d}"


def format_written(value: datetime) -> str:
    """As written: day and time, or the day alone when no time was written."""
    return format_minute(value) if has_time(value) else format_day(value)
