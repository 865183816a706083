from datetime import date, datetime

import pytest

from zhuanlan.dates import DateError, aware, format_minute, parse_datetime


@pytest.mark.parametrize("text, expected", [
    ("2022-03-15", datetime(2022, 3, 15)),
    ("2022-03-15 09:30", datetime(2022, 3, 15, 9, 30)),
    ("2022-03-15 09:30:45", datetime(2022, 3, 15, 9, 30, 45)),
    ("2022/3/5", datetime(2022, 3, 5)),
    ("2022年3月15日", datetime(2022, 3, 15)),
    ("2022年3月15日 9:30", datetime(2022, 3, 15, 9, 30)),
    ("2022-03-15T01:30:00Z", datetime(2022, 3, 15, 9, 30)),  # UTC shown as Shanghai time
    ("2022-03-15T09:30:00+08:00", datetime(2022, 3, 15, 9, 30)),
])
def test_dates_officers_write(text, expected):
    assert parse_datetime(text) == expected


def test_yaml_values_are_accepted():
    assert parse_datetime(date(2022, 3, 15)) == datetime(2022, 3, 15)


@pytest.mark.parametrize("text, words", [
    ("2022-02-30", "2 月只有 28 天"),
    ("2024-02-30", "2 月只有 29 天"),
    ("2022-13-01", "月份"),
    ("2022-03-15 24:00", "小时"),
    ("去年春天", "无法识别"),
])
def test_impossible_dates_say_why(text, words):
    with pytest.raises(DateError) as info:
        parse_datetime(text)
    assert words in str(info.value)


def test_formats():
    value = datetime(2022, 3, 5, 9, 7)
    assert format_minute(value) == "2022-03-05 09:07"
    assert aware(value).isoformat() == "2022-03-05T09:07:00+08:00"
