"""Each kind of bad input: a Chinese message with file and line, a non-zero exit, and the previous
output left exactly as it was."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run_cli, tree_digest
from zhuanlan.workers import PARALLEL_MIN_FILES

REPO = Path(__file__).resolve().parent.parent

GOOD_STORY = "---\ntitle: 好文章\ndate: 2022-03-15\ncolumns: [news]\n---\n正文。\n"
LINE = re.compile(r"^(?P<path>[^:\n]+\.(?:md|yaml|html)):(?P<line>\d+): 错误: (?P<message>.+)$", re.M)


@pytest.fixture
def built_site(make_site):
    """A site that built once; returns (site folder, digest of its output)."""
    site = make_site({"content/stories/good.md": GOOD_STORY})
    assert run_cli("--site", str(site)) == 0
    return site, tree_digest(site / "output")


def rebuild_with(site, capsys, files: dict[str, str | bytes]) -> tuple[int, str]:
    for rel, text in files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    capsys.readouterr()
    code = run_cli("--site", str(site))
    return code, capsys.readouterr().err


CASES = {
    "invalid_yaml": ({"content/stories/bad.md": "---\ntitle: 甲: 乙\ndate: 2022-01-01\n---\n"}, "bad.md", 2, "冒号"),
    "never_closed": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-01-01\n正文\n"}, "bad.md", 1, "没有结束"),
    "missing_title": ({"content/stories/bad.md": "---\ndate: 2022-01-01\n---\n正文\n"}, "bad.md", 2, "缺少标题"),
    "missing_date": ({"content/stories/bad.md": "---\ntitle: 甲\n---\n正文\n"}, "bad.md", 2, "缺少日期"),
    "impossible_date": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-02-30\n---\n"}, "bad.md", 3,
                        "2 月只有 28 天"),
    "unknown_brand": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-01-01\nbrand: dinglin2\n---\n"},
                      "bad.md", 4, '未知品牌 "dinglin2"'),
    "unknown_column": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-01-01\n专栏: [nwes]\n---\n"},
                       "bad.md", 4, '未知专栏 "nwes"'),
    "dead_link": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-01-01\n---\n\n见[这里](nowhere.md)。\n"},
                  "bad.md", 6, "指向的文件不存在"),
    "missing_image": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-01-01\n---\n![图](../images/no.jpg)\n"},
                      "bad.md", 5, "图片"),
    "missing_cover": ({"content/stories/bad.md": "---\ntitle: 甲\ndate: 2022-01-01\ncover: no.jpg\n---\n"},
                      "bad.md", 4, "封面"),
    "duplicate_slug": ({"content/stories/2023/good.md": "---\ntitle: 乙\ndate: 2022-01-01\n---\n"},
                       "good.md", 2, "重复"),
    "empty_file": ({"content/stories/bad.md": ""}, "bad.md", 1, "文件是空的"),
    "gbk_file": ({"content/stories/bad.md": "---\ntitle: 党建\ndate: 2022-01-01\n---\n".encode("gbk")}, "bad.md", 2,
                 "GBK"),
    "binary_garbage": ({"content/stories/bad.md": bytes(range(256)) * 4}, "bad.md", 2, "无法识别的字节"),
    "bad_site_yaml": ({"site.yaml": "title: 站\nbase_url: [\n"}, "site.yaml", 2, "YAML"),
    "bad_brand_color": ({"content/brands/x.md": "---\nname: 新品牌\ncolor: red\n---\n"}, "x.md", 3, "颜色"),
    "template_syntax": ({"themes/mine/templates/story.html": "{% extends 'default/story.html' %}\n{% block main %}\n"
                                                            "{% if %}\n{% endif %}\n{% endblock %}\n",
                         "site.yaml": "title: 站\nbase_url: https://a.gov.cn/\ntheme: mine\n"},
                        "story.html", 3, "模板语法错误"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_reported_and_output_untouched(name, built_site, capsys):
    site, before = built_site
    files, filename, line, words = CASES[name]
    code, err = rebuild_with(site, capsys, files)
    assert code == 1, err
    assert "Traceback" not in err
    matches = [m for m in LINE.finditer(err) if m["path"].endswith(filename)]
    assert matches, err
    assert any(int(m["line"]) == line and words in m["message"] for m in matches), err
    assert "输出文件夹未作任何改动" in err
    assert tree_digest(site / "output") == before
    assert not list((site / "output").rglob("*.zhuanlan-tmp"))


def test_all_problems_of_a_run_are_reported_together(built_site, capsys):
    site, before = built_site
    code, err = rebuild_with(site, capsys, {
        "content/stories/a.md": "---\ntitle: 甲\ndate: 2022-02-30\n---\n",
        "content/stories/b.md": "---\ntitle: 乙\ndate: 2022-01-01\nbrand: nope\n---\n",
        "content/stories/c.md": "",
    })
    assert code == 1
    assert {m["path"].rsplit("/", 1)[-1] for m in LINE.finditer(err)} == {"a.md", "b.md", "c.md"}
    assert "3 个错误" in err
    assert tree_digest(site / "output") == before


def test_template_error_in_a_render_worker_is_reported(make_site):
    """With enough pages the workers render them: a template error there must come back to the
    parent as the same message (it used to hang the build: the error could not be unpickled)."""
    stories = {f"content/stories/s{i:03d}.md": f"---\ntitle: 文章{i}\ndate: 2022-03-15\n---\n正文。\n"
               for i in range(PARALLEL_MIN_FILES)}
    site = make_site({**stories, "site.yaml": "title: 站\nbase_url: https://a.gov.cn/\ntheme: mine\n",
                      "themes/mine/templates/story.html": "{% extends 'default/story.html' %}\n{% block main %}\n"
                                                          "{{ story.title.nope() }}\n{% endblock %}\n"})
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site), "--jobs", "2"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert re.search(r"story\.html:3: 错误: 渲染 /stories/\w+/ 时模板出错", done.stderr), done.stderr
    assert not [path for path in (site / "output").rglob("*") if path.is_file()]  # not a page, not a temporary


def test_template_runtime_error_leaves_output_untouched(built_site, capsys):
    site, before = built_site
    code, err = rebuild_with(site, capsys, {
        "themes/mine/templates/story.html": "{% extends 'default/story.html' %}\n{% block main %}\n"
                                            "{{ story.title.nope() }}\n{% endblock %}\n",
        "site.yaml": "title: 站\nbase_url: https://a.gov.cn/\ntheme: mine\n",
    })
    assert code == 1
    assert re.search(r"story\.html:3: 错误: 渲染 /stories/\w+/ 时模板出错", err), err
    assert tree_digest(site / "output") == before
    assert not list((site / "output").rglob("*.zhuanlan-tmp"))


def test_unknown_key_is_a_warning_with_a_suggestion_and_the_build_goes_on(built_site, capsys):
    site, _ = built_site
    code, err = rebuild_with(site, capsys, {
        "content/stories/typo.md": "---\ntitle: 甲\ndate: 2022-01-01\ntages: [a]\n---\n正文。\n"})
    assert code == 0
    assert re.search(r'typo\.md:4: 警告: 未知的键 "tages"，已忽略，是不是 "tags"？', err), err
    assert (site / "output/stories/typo/index.html").is_file()


def test_missing_theme_is_reported(built_site, capsys):
    site, before = built_site
    code, err = rebuild_with(site, capsys, {"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\ntheme: nope\n"})
    assert code == 1 and '找不到主题 "nope"' in err
    assert tree_digest(site / "output") == before


def test_huge_story_builds(built_site, capsys):
    site, _ = built_site
    body = ("麟湖镇党委坚持把党建工作与基层治理深度融合，创新推出五单工作法。\n\n" * 40000)  # about 4 MB
    code, err = rebuild_with(site, capsys, {"content/stories/huge.md": f"---\ntitle: 长文\ndate: 2022-01-01\n---\n{body}"})
    assert code == 0, err
    html = (site / "output/stories/huge/index.html").read_text("utf-8")
    assert html.count("五单工作法") >= 40000


def test_an_image_without_alt_text_is_a_warning_at_its_line(make_site, capsys):
    from imagefiles import jpeg

    site = make_site({
        "content/images/a.jpg": jpeg(640, 480),
        "content/stories/pic.md": "---\ntitle: 图\ndate: 2023-01-01\n---\n第一段。\n\n![](../images/a.jpg)\n\n"
                                  "![有说明](../images/a.jpg)\n",
    })
    assert run_cli("--site", str(site), "--jobs", "1") == 0  # a warning, not an error
    err = capsys.readouterr().err
    assert re.search(r"content/stories/pic\.md:7: 警告: 图片 \"\.\./images/a\.jpg\" 没有说明文字", err), err
    assert err.count("没有说明文字") == 1


def test_chinese_text_that_indentation_makes_a_code_block_is_a_warning_at_its_line(make_site, capsys):
    site = make_site({"content/stories/indent.md": (
        "---\ntitle: 缩进\ndate: 2023-01-01\n---\n第一段。\n\n"
        "    第二段前面有四个空格，像从别处粘贴来的。\n\n"  # line 7: a code block of Chinese text
        "```\n代码里的中文注释\n```\n\n"  # fenced: written as code on purpose
        "    print('hello')\n\n"  # indented code without Chinese: left alone
        "- 列表项\n\n    列表项的第二段\n")})  # a list item's own paragraph, not code
    assert run_cli("--site", str(site), "--jobs", "1") == 0  # a warning, not an error
    err = capsys.readouterr().err
    assert re.search(r"content/stories/indent\.md:7: 警告: 这段文字的行首有 4 个或更多空格（或 Tab），会显示成代码框", err), err
    assert err.count("会显示成代码框") == 1
    html = (site / "output/stories/indent/index.html").read_text("utf-8")
    assert "<pre><code>第二段前面有四个空格" in html  # published as CommonMark says: the warning tells why
