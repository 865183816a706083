import pytest

from zhuanlan.content import STORY_KEYS
from zhuanlan.frontmatter import SourceError, canonicalize, read_document
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
