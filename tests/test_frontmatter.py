import random

import pytest
import yaml

from zhuanlan.content import STORY_KEYS
from zhuanlan.frontmatter import SourceError, _Loader, _simple_yaml, canonicalize, load_yaml, read_document
from zhuanlan.problems import Problems


def read(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_document(None, "stories/x.md", data)


def test_splits_front_matter_and_body_with_lines():
    doc = read("---\ntitle: 标题\ndate: 2022-03-15\n---\n正文第一行\n")
    assert doc.meta == {"title": "标题", "date": "2022-03-15"}  # dates stay text for our own reader
    assert doc.key_lines == {"title": 2, "date": 3}
    assert doc.body.startswith("正文第一行")
    assert doc.body_line == 5


def test_bom_and_windows_newlines_are_fine():
    doc = read(b"\xef\xbb\xbf---\r\ntitle: a\r\n---\r\nbody\r\n")
    assert doc.meta == {"title": "a"} and doc.body == "body\n"


@pytest.mark.parametrize("text, line, words", [
    ("", 1, "文件是空的"),
    ("   \n\n", 1, "文件是空的"),
    ("# 标题\n正文", 1, "缺少 front matter"),
    ("---\ntitle: a\n正文", 1, "没有结束"),
    ("---\ntitle: a: b\n---\n", 2, "冒号"),
    ("---\ntitle: a\n\tdate: b\n---\n", 3, "Tab"),
    ('---\ntitle: "abc\ndate: x\n---\n', 2, "引号"),
    ("---\n标题：麟湖镇\n日期: 2022-01-01\n---\n", 2, "中文冒号"),
    ("---\ntitle:abc\n---\n", 2, "键: 值"),
    ("---\ntags: [a, b\n---\n", 2, "YAML"),
])
def test_broken_front_matter_is_explained(text, line, words):
    with pytest.raises(SourceError) as info:
        read(text)
    assert info.value.line == line
    assert words in info.value.message


def test_gbk_file_is_recognised_and_conversion_explained():
    with pytest.raises(SourceError) as info:
        read("---\ntitle: 党建\n---\n".encode("gbk"))
    assert "GBK" in info.value.message and "UTF-8" in info.value.message and "iconv" in info.value.message
    assert info.value.line == 2


def test_utf16_is_recognised():
    with pytest.raises(SourceError) as info:
        read("---\ntitle: a\n---\n".encode("utf-16"))
    assert "UTF-16" in info.value.message


def test_chinese_aliases_and_unknown_key_suggestion():
    doc = read("---\n标题: 甲\n日期: 2022-01-01\n专栏: a\ntitel: x\n---\n")
    problems = Problems()
    values = canonicalize(doc, STORY_KEYS, problems)
    assert values == {"title": "甲", "date": "2022-01-01", "columns": "a"}
    assert doc.canonical_lines["columns"] == 4
    [warning] = problems.warnings
    assert warning.line == 5 and '"titel"' in warning.message and '是不是 "title"' in warning.message


def test_chinese_unknown_key_suggests_the_chinese_alias():
    doc = read("---\n摘要信息: 甲\n---\n")
    problems = Problems()
    canonicalize(doc, STORY_KEYS, problems)
    assert '是不是 "摘要"' in problems.warnings[0].message


def test_times_and_ratios_stay_text_not_base_60_numbers():
    doc = read("---\ntitle: 甲\ntime: 9:30\nratio: 4:3\norder: 12\n---\n")
    assert doc.meta == {"title": "甲", "time": "9:30", "ratio": "4:3", "order": 12}


# Front matter of plain `key: text` lines is read without YAML (frontmatter._simple_yaml); it must
# read exactly what YAML reads, or leave the file to YAML.
SIMPLE = [
    "title: 东港社区：党员认领河段（32）\ndate: 2016-09-25 09:08\ncolumns: [column05, column01]\ntags: [共同富裕, 基层治理]",
    "标题: 甲\n\n日期: 2022-03-15\nsummary:\ntags: []\nsource:   青山村 党支部  ",
    "link: http://x.cn/a?b=1\ntime: 9:30:15\ntitle: C++ 与 50% 的 <b> & 读者！",
    "tags: [ 甲 , 乙 丙 ]\ntitle: 一　二\xa0",
]
NOT_SIMPLE = [
    "draft: true", "order: 12", "pinned: yes", "on: 1", "title: null", "title: ~", "title: 1.5", "title: .inf",
    "title: 0x1f", "tags: [甲, 1]", "tags: [甲, ]", "tags: [甲, [乙]]", "title: a: b", "title: a:", "title: a # b",
    "title: 'a'", 'title: "a"', "title: - a", "title: *a", "title: &a b", "title: !x b", "title: |", "title: >",
    "title: %a", "title: @a", "title: `a", "title: {a: 1}", "title: ?a", "title:\ta", "title:a", "  title: a",
    "# 注释\ntitle: a", "gov:\n  索引号: 1", "title: a\u2028b", "title: a\x85b", "title: \ufeffa", "<<: a", "title: =",
    "title: [a", "title：甲", "1: a", "title: 2022-03-15",
]


@pytest.mark.parametrize("fm", SIMPLE)
def test_simple_front_matter_is_read_as_yaml_reads_it(fm):
    assert _simple_yaml(fm) is not None  # the fast reading is the one tested
    assert load_yaml(fm, 2) == yaml.load(fm, Loader=_Loader)
    assert all(type(value) is type(again) for value, again in zip(load_yaml(fm, 2).values(),
                                                                 yaml.load(fm, Loader=_Loader).values()))


@pytest.mark.parametrize("fm", NOT_SIMPLE)
def test_anything_else_is_left_to_yaml(fm):
    if fm == "title: 2022-03-15":  # text (timestamps are left to our date reader), and simple
        assert _simple_yaml(fm) == {"title": "2022-03-15"}
    else:
        assert _simple_yaml(fm) is None


def test_random_front_matter_reads_as_yaml_reads_it():
    pieces = ["title", "标题", "y", "on", "null", "1", "a", "-", ":", ": ", " ", "#", " #", "[", "]", ",", "'", '"', "“",
              "共同富裕", "09:08", "2016-09-25", "http://x.cn", "\t", "\u3000", "\xa0", "\u2028", "\x85", "yes", "No", "~",
              "0x1f", "1_000", ".5", "1e3", "-1", "+2", "<<", "=", "!", "&a", "*a", "|", ">", "%", "@", "`", "{", "}", "?",
              "a b", "\\", "：", "12:30:45", "1:2", "\n", "\n  "]
    rng = random.Random(20)
    fast = 0
    for _ in range(4000):
        lines = []
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.3:
                value = "[" + ", ".join("".join(rng.choices(pieces[:40], k=rng.randint(0, 2))) for _ in range(3)) + "]"
            else:
                value = "".join(rng.choices(pieces, k=rng.randint(0, 3)))
            lines.append(rng.choice(["title", "标题", "y", "on", "a-b", "null", "1"]) + rng.choice([":", ": ", ":  "]) + value)
        fm = "\n".join(lines)
        got = _simple_yaml(fm)
        if got is not None:
            fast += 1
            want = yaml.load(fm, Loader=_Loader)
            assert got == want and [type(v) for v in got.values()] == [type(v) for v in want.values()], fm
    assert fast > 200  # enough of them took the fast reading


def test_the_characters_sent_to_yaml_are_all_but_those_it_reads_as_plain_text():
    """frontmatter._YAML_SPECIAL names what it matches (cheap to compile); it matches exactly every
    character outside \\n, printable ASCII, \\xa0-\\ud7ff, \\ue000-\\ufefe, \\uff00-\\ufffd and the astral
    planes, and \\u2028 and \\u2029 (YAML's line breaks and its reader's non-printable characters)."""
    import re

    from zhuanlan.frontmatter import _YAML_SPECIAL

    spec = re.compile("[^\n\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029]")
    assert [cp for cp in range(0x110000) if bool(spec.match(chr(cp))) != bool(_YAML_SPECIAL.match(chr(cp)))] == []
