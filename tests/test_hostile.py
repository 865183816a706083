"""Regression tests for what was found by trying to break a build (issue 18): each case failed
before its fix. Sections by concern; each helper that fixed a part keeps its cases together."""
from __future__ import annotations

import re

import pytest

from conftest import run_cli
from test_textrules import synthetic_id

from zhuanlan import textrules

STORY = "---\ntitle: 好文章\ndate: 2022-03-15\ncolumns: [news]\n---\n"


def _build(site, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = run_cli("--site", str(site), "--jobs", "1")
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def _check(site, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = run_cli("check", "--site", str(site))
    return code, capsys.readouterr().out


# -- content and messages --------------------------------------------------------------------------

# 1. ID numbers typed in full-width digits, or written in an HTML comment or attribute.

def _full_width(text: str) -> str:
    return text.translate({ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789X"})


@pytest.mark.parametrize("body", [
    "身份证号{fw}。",
    "<!-- 备注：身份证 {n} -->",
    '<span title="身份证 {n}">张三</span>',
    "<img src=\"../images/a.jpg\" alt=\"{n}\">",
    "<!--\n待核实：{fw}\n-->",
])
def test_id_numbers_in_full_width_digits_comments_and_attributes_are_found(body):
    number = synthetic_id()
    text = STORY + body.format(n=number, fw=_full_width(number)) + "\n"
    found = [f for f in textrules.scan_errors(text) if f.rule == textrules.ID_NUMBER]
    assert len(found) == 1, found
    lines = text.split("\n")
    line = next(i for i, t in enumerate(lines) if number[:4] in t or _full_width(number[:4]) in t)
    col = max(lines[line].find(number), lines[line].find(_full_width(number))) + 1
    assert (found[0].line, found[0].col) == (line + 1, col)
    assert "3301**********" in found[0].message
    if "<" in body:
        assert "HTML" in found[0].message  # says where to look: the number is not in the visible text


def test_numbers_in_addresses_are_still_not_personal_data():
    number = synthetic_id()
    text = STORY + f'<a href="https://example.gov.cn/art/{number}.html">原文</a>\n<img src="{number}.jpg" alt="图">\n'
    assert not textrules.scan_errors(text)


def test_the_build_and_check_stop_at_a_full_width_id_number_and_one_in_a_comment(make_site, capsys):
    number = synthetic_id()
    story = STORY + f"联系人身份证{_full_width(number)}。\n\n<!-- {number} -->\n"
    site = make_site({"content/stories/leak.md": story})
    code, out = _build(site, capsys)
    assert code == 1
    assert re.search(r"leak\.md:6:7: 错误: 未打码的居民身份证号码 3301\*+", out), out
    assert re.search(r"leak\.md:8:6: 错误: 未打码的居民身份证号码 3301\*+\d+（写在 HTML 注释中）", out), out
    code, out = _check(site, capsys)
    assert code == 1
    assert "leak.md:6:7: 错误: 未打码的居民身份证号码" in out and "leak.md:8:6: 错误: 未打码" in out, out


# 2. Deep nesting: markdown-it dropped the rest of a list nested 10 levels (a quote nested 20).

def _nested_list(levels: int) -> str:
    return "".join("  " * level + f"- 第{level + 1}层\n" for level in range(levels))


def test_lists_ten_levels_and_quotes_twenty_levels_deep_keep_all_their_text():
    from zhuanlan import markdown

    body = _nested_list(12) + "\n" + "".join(">" * depth + f" 引用{depth}\n" for depth in range(1, 25)) + "\n结尾。\n"
    rendered = markdown.render(body, "stories/x.md")
    assert "第12层" in rendered.html and "引用24" in rendered.html and "结尾" in rendered.html
    assert not rendered.too_deep


def test_nesting_deeper_than_the_parser_can_take_is_an_error_at_its_line(make_site, capsys):
    body = "开头。\n\n" + _nested_list(60) + "\n结尾。\n"
    site = make_site({"content/stories/deep.md": STORY + body})
    code, out = _build(site, capsys)
    assert code == 1
    line = 6 + (STORY + body).split("\n")[5:].index("  " * 49 + "- 第50层")
    assert re.search(rf"deep\.md:{line}: 错误: 列表或引用嵌套的层数太多", out), out
    site = make_site({"content/stories/deep.md": STORY + "开头。\n\n" + ">" * 150 + " 太深\n"})
    code, out = _build(site, capsys)
    assert code == 1 and re.search(r"deep\.md:8: 错误: 列表或引用嵌套的层数太多", out), out


# 3. A control character (Word's manual line break, U+000B, pasted) made the feeds invalid XML.

def _parse_every_xml(output) -> list[str]:
    import xml.etree.ElementTree as ElementTree

    files = sorted(output.rglob("*.xml"))
    for path in files:
        ElementTree.parse(path)  # raises ParseError on invalid XML
    return [path.relative_to(output).as_posix() for path in files]


def test_every_xml_file_of_the_example_build_parses(example_output):
    written = _parse_every_xml(example_output)
    assert "feed.xml" in written and "sitemap.xml" in written
    assert len([name for name in written if name.startswith("columns/")]) >= 3


def test_a_pasted_control_character_is_removed_with_a_warning_and_the_feeds_parse(make_site, capsys):
    story = ("---\ntitle: 标题\x0b有软换行\ndate: 2022-03-15\ncolumns: [news]\nsummary: 摘要\x0c里也有\n---\n"
             "第一段\x0b第二行。\n\n<p>网页里的&#11;实体和&#0;空字符</p>\n")
    site = make_site({"content/stories/pasted.md": story,
                      "site.yaml": "title: 测试\x0b站\nbase_url: https://example.gov.cn/dangjian/\n"})
    code, out = _build(site, capsys)
    assert code == 0, out
    assert re.search(r"pasted\.md:2: 警告: 有看不见的控制字符 U\+000B、U\+000C（.*）.*（还有第 5、7 行）", out), out
    assert re.search(r"site\.yaml:1: 警告: 有看不见的控制字符 U\+000B", out), out
    written = _parse_every_xml(site / "output")
    assert "columns/news/feed.xml" in written
    feed = (site / "output/feed.xml").read_text("utf-8")
    assert "标题有软换行" in feed and "第一段第二行" in feed
    page = (site / "output/stories/pasted/index.html").read_text("utf-8")
    assert "\x0b" not in page and "\x0c" not in page


# Found on the way: "zlref:99" written in a story (our placeholder's form) stopped the build with
# an IndexError blamed on the template, and "zlref:0" in text became a URL.

def test_text_that_looks_like_our_placeholder_stays_text(make_site, capsys):
    site = make_site({"content/stories/ref.md": STORY + '文字 zlref:0 和 "zlref:99"，<a href="zlref:42">链接</a>\n'})
    code, out = _build(site, capsys)
    assert code == 0, out
    page = (site / "output/stories/ref/index.html").read_text("utf-8")
    assert "文字 zlref:0 和" in page and "zlref:99" in page
