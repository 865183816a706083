from datetime import date, datetime

import pytest
from hypothesis import given, strategies as st

import pickle

from zhuanlan.dates import (DateError, DateOnly, aware, format_day, format_minute, format_written, has_time,
                            parse_datetime)


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


@pytest.mark.parametrize("value, written", [
    ("2022-03-15", False), ("2022年3月15日", False), (date(2022, 3, 15), False), ("2022/3/15", False),
    ("2022-03-15 00:00", True), ("2022-03-15 09:30", True), ("2022年3月15日 9时30分", True),
    ("2022-03-15T01:30:00Z", True), (datetime(2022, 3, 15, 0, 0), True),
])
def test_a_parsed_date_remembers_whether_a_time_was_written(value, written):
    parsed = parse_datetime(value)
    assert has_time(parsed) is written
    assert format_written(parsed) == (format_minute(parsed) if written else "2022-03-15")
    assert format_minute(parsed).startswith("2022-03-15 ")  # the PubDate meta keeps its format


def test_a_date_without_time_sorts_as_midnight_and_keeps_knowing_it_when_cached():
    day = parse_datetime("2022-03-15")
    assert isinstance(day, DateOnly) and day == datetime(2022, 3, 15)
    assert day < datetime(2022, 3, 15, 0, 1) and sorted([datetime(2022, 3, 15, 9), day])[0] is day
    assert aware(day).isoformat() == "2022-03-15T00:00:00+08:00"
    again = pickle.loads(pickle.dumps(day, protocol=pickle.HIGHEST_PROTOCOL))
    assert isinstance(again, DateOnly) and not has_time(again)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)))
def test_dates_are_formatted_as_strftime_formats_them(value):
    """format_day and format_minute are made by hand (strftime looks at /etc/localtime each call):
    the same text as strftime, whatever the date."""
    assert format_day(value) == value.strftime("%Y-%m-%d")
    assert format_day(value.date()) == value.date().strftime("%Y-%m-%d")
    assert format_minute(value) == value.strftime("%Y-%m-%d %H:%M")
