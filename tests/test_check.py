"""`python build.py check` as an officer runs it, and the error rules the build enforces."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime

from conftest import REPO, run_cli, tree_digest
from test_textrules import luhn_complete, synthetic_id

from zhuanlan.check import CheckOptions, format_text, run_check

WORDS = """\
    check:
      禁用词: [XXX, 此处填写]
      规范提法:
        一带一路战略: “一带一路”倡议
        陈小岚: 陈晓岚
      允许: [13905710001]
      更新期限: 90
    """


def site_yaml(extra: str = WORDS) -> str:
    return "title: 测试站\nbase_url: https://example.gov.cn/dangjian/\nfooter:\n  主办单位: 测试单位\n" + \
        "\n".join(line[4:] for line in extra.splitlines()) + "\n"


def check(site, *args: str, now: datetime | None = None):
    return run_check(CheckOptions(site, now=now or datetime(2022, 4, 1), external="--external" in args))


def test_clean_site_has_no_errors_and_exits_zero(make_site, capsys):
    site = make_site({"site.yaml": site_yaml()})
    result = check(site)
    assert not result.problems.has_errors(), format_text(result)
    assert run_cli("check", "--site", str(site)) == 0


def test_text_rules_report_file_line_and_column(make_site, capsys):
    number = synthetic_id()
    story = ("---\ntitle: 第二篇\ndate: 2022-03-20\ncolumns: [news]\n---\n"
             f"陈小岚同志的身份证号码是{number}。\n推进一带一路战略,XXX。\n服务热线13905710001，手机13905710002。\n")
    site = make_site({"site.yaml": site_yaml(), "content/stories/second.md": story})
    assert run_cli("check", "--site", str(site)) == 1
    out = capsys.readouterr().out
    path = "content/stories/second.md"
    assert f"{site / path}" in out or path in out
    lines = [line.split(str(site) + "/")[-1] for line in out.splitlines()]
    assert f"{path}:6:1: 错误: 提法“陈小岚”不规范，应为“陈晓岚”" in lines
    assert any(line.startswith(f"{path}:6:13: 错误: 未打码的居民身份证号码 3301**********") for line in lines)
    assert f"{path}:7:3: 错误: 提法“一带一路战略”不规范，应为““一带一路”倡议”" in lines
    assert any(line.startswith(f"{path}:7:9: 警告: 中文句子里用了半角标点“,”") for line in lines)
    assert any(line.startswith(f"{path}:7:10: 错误: 禁用词“XXX”") for line in lines)
    assert any(line.startswith(f"{path}:8:19: 警告: 未打码的手机号码 13905710002") for line in lines)
    assert "13905710001：" not in out  # on the allow list
    assert f"{path}（4 个错误、2 个警告" in "\n".join(lines)
    assert "有错误，请按提示修改后再发布" in out


def test_build_refuses_the_error_rules_and_keeps_the_output(make_site, capsys):
    site = make_site({"site.yaml": site_yaml()})
    assert run_cli("--site", str(site)) == 0
    before = tree_digest(site / "output")
    card = luhn_complete("621700123456789012")
    (site / "content/stories/leak.md").write_text(
        f"---\ntitle: 泄露\ndate: 2022-03-16\n---\n银行卡号 {card}，此处填写。\n半角,标点只是警告。\n", "utf-8")
    capsys.readouterr()
    assert run_cli("--site", str(site)) == 1
    err = capsys.readouterr().err
    assert "leak.md:5:6: 错误: 未打码的银行卡号" in err
    assert "leak.md:5:26: 错误: 禁用词“此处填写”" in err
    assert "半角" not in err  # the build runs only the error-level rules
    assert tree_digest(site / "output") == before
    (site / "content/stories/leak.md").write_text(
        f"---\ntitle: 泄露\ndate: 2022-03-16\n---\n银行卡号 **** {card[-4:]}。\n", "utf-8")
    assert run_cli("--site", str(site)) == 0


def test_drafts_are_not_checked_by_the_build_unless_built(make_site):
    number = synthetic_id()
    site = make_site({"content/stories/wip.md": f"---\ntitle: 草稿\ndate: 2022-01-01\ndraft: true\n---\n{number}\n"})
    assert run_cli("--site", str(site)) == 0
    assert run_cli("--site", str(site), "--drafts") == 1


def test_site_rules(make_site):
    site = make_site({
        "site.yaml": site_yaml(),
        "content/columns/empty.md": "---\ntitle: 空栏目\n---\n介绍。\n",
        "content/columns/old.md": "---\ntitle: 旧栏目\n---\n介绍。\n",
        "content/brands/lonely.md": "---\nname: 孤单品牌\n---\n介绍。\n",
        "content/stories/old.md": "---\ntitle: 旧文章\ndate: 2021-01-01\ncolumns: [old]\nsummary: 摘要。\n"
                                  "cover: ../images/a.png\n---\n正文。\n",
        "content/stories/again.md": "---\ntitle: 第一篇\ndate: 2022-03-01\n---\n重复标题。\n\n![](../images/a.png)\n",
        "content/stories/future.md": "---\ntitle: 未来\ndate: 2032-03-01\n---\n写错了年份。\n"
                                     "<img src=\"../images/a.png\">\n![图](https://cdn.example.com/x.jpg)\n",
        "content/images/a.png": b"\x89PNG\r\n\x1a\n",
    })
    result = check(site)
    by_rule = {}
    for problem in result.problems.items:
        by_rule.setdefault(problem.rule, []).append(problem)
    assert [p.path.endswith("empty.md") and p.level for p in by_rule["empty-column"]] == ["错误"]
    assert [p.path.endswith("old.md") and p.level for p in by_rule["stale-column"]] == ["警告"]
    assert "455 天" in by_rule["stale-column"][0].message and "90 天" in by_rule["stale-column"][0].message
    assert [p.path.endswith("lonely.md") for p in by_rule["empty-brand"]] == [True]
    duplicate = by_rule["duplicate-title"]
    assert len(duplicate) == 1 and duplicate[0].path.endswith("first.md") and "again.md" in duplicate[0].message
    assert [(p.path.endswith("future.md"), p.line) for p in by_rule["future-date"]] == [(True, 3)]
    assert sorted((p.path.rsplit("/", 1)[-1], p.line) for p in by_rule["image-alt"]) == [("again.md", 7), ("future.md", 6)]
    assert [p.line for p in by_rule["external-image"]] == [7]
    notices = {(p.rule, p.path.rsplit("/", 1)[-1]) for p in result.problems.items if p.level == "提示"}
    assert ("no-summary", "old.md") not in notices and ("no-summary", "first.md") in notices
    assert ("no-cover", "again.md") not in notices and ("no-cover", "first.md") in notices


def test_an_image_without_alt_text_is_reported_once_at_its_line(make_site, capsys):
    from imagefiles import jpeg

    site = make_site({
        "site.yaml": site_yaml(),
        "content/images/a.jpg": jpeg(64, 48),
        "content/stories/pic.md": "---\ntitle: 图\ndate: 2022-03-01\n---\n第一段。\n\n![](../images/a.jpg)\n\n"
                                  "<img src=\"../images/a.jpg\">\n\n![有说明](../images/a.jpg)\n",
    })
    run_cli("check", "--site", str(site))
    lines = [line.split(str(site) + "/")[-1] for line in capsys.readouterr().out.splitlines()]
    unlabelled = [line for line in lines if "没有说明文字" in line]
    assert len(unlabelled) == 2, lines
    assert unlabelled[0].startswith('content/stories/pic.md:7: 警告: 图片 "../images/a.jpg" 没有说明文字')
    assert unlabelled[1].startswith("content/stories/pic.md:9: 警告: 图片没有说明文字：请给 <img> 加上 alt")
    result = check(site)
    assert sorted(p.line for p in result.problems.items if p.rule == "image-alt") == [7, 9]
    assert sum("没有说明文字" in p.message for p in result.problems.items) == 2


def test_everything_the_build_validates_is_reported(make_site):
    site = make_site({"content/stories/bad.md": "---\ntitle: 坏\ndate: 2022-02-30\nbrand: nobody\n---\n"
                                                "[死链](missing.md)\n"})
    result = check(site)
    messages = [(p.line, p.message) for p in result.problems.items if p.path.endswith("bad.md")]
    assert any(line == 3 and "2 月只有 28 天" in message for line, message in messages)
    assert any(line == 6 and "指向的文件不存在" in message for line, message in messages)


def test_json_output_for_tools(make_site):
    number = synthetic_id()
    site = make_site({"content/stories/x.md": f"---\ntitle: 甲\ndate: 2022-01-01\n---\n号码{number}\n"})
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "check", "--format", "json"], cwd=site,
                            capture_output=True, text=True)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["counts"]["error"] == 1
    story = next(f for f in data["files"] if f["path"] == "content/stories/x.md")
    problem = next(p for p in story["problems"] if p["level"] == "error")
    assert (problem["line"], problem["col"], problem["rule"]) == (5, 3, "id-number")


def test_word_list_is_not_reported_against_itself_and_config_mistakes_are_precise(make_site, capsys):
    site = make_site({"site.yaml": site_yaml()})
    result = check(site)
    # No text rule fires on the word list itself (other notices about site.yaml may appear).
    assert not [p for p in result.problems.items if p.path.endswith("site.yaml") and p.rule]
    bad = site_yaml("""\
    check:
      更新期限: 三个月
      规范提法:
        甲: [乙]
      未知项: 1
    """)
    (site / "site.yaml").write_text(bad, "utf-8")
    assert run_cli("check", "--site", str(site)) == 1
    out = capsys.readouterr().out
    assert "site.yaml:6: 错误: 专栏更新期限（天）应是整数" in out
    assert "site.yaml:8: 错误: 规范提法“甲”应写成“错误提法: 正确提法”" in out
    assert "site.yaml:9: 警告: 未知的设置 \"check.未知项\"" in out


def test_yaml_syntax_in_site_yaml_is_not_taken_for_chinese_punctuation(make_site):
    """Flow lists and mappings (“- {名称: U盘, 类型: folder}”) are YAML's own commas and colons;
    a half-width mark inside a value written as a sentence is still the officer's."""
    site = make_site({"site.yaml": site_yaml() + "发布:\n  - {名称: U盘, 类型: folder, 路径: /media/网站}\n"
                      "  - {名称: 政务云, 类型: sftp}\nmenu: [{名称: 首页, 链接: /}, {名称: 品牌, 链接: /brands/}]\n"
                      "description: 群众说,这样好\n"})
    found = [(p.line, p.message) for p in check(site).problems.items if p.path.endswith("site.yaml") and p.rule]
    assert found == [(17, "中文句子里用了半角标点“,”，应为全角“，”")], found


def test_example_site_has_no_errors(capsys):
    assert run_cli("check", "--site", str(REPO)) == 0
    out = capsys.readouterr().out
    assert "0 个错误" in out or "没有需要处理的问题" in out
    assert "提示:" not in out and "条提示不需要处理（自动摘要" in out  # a healthy site is not "full of problems"


def test_many_files_are_checked_on_all_cores_with_the_same_result(make_site):
    number = synthetic_id()
    files = {f"content/stories/s{n:03}.md": f"---\ntitle: 第{n}篇\ndate: 2022-03-{n % 28 + 1:02}\ncolumns: [news]\n---\n"
                                            f"第{n}篇正文。\n" for n in range(220)}
    files["content/stories/s007.md"] += f"身份证{number}\n"
    files["content/stories/s150.md"] += "大家说,好!\n"
    site = make_site(files)
    serial = run_check(CheckOptions(site, workers=1, now=datetime(2022, 4, 1)))
    parallel = run_check(CheckOptions(site, workers=2, now=datetime(2022, 4, 1)))
    assert sorted(serial.problems.items, key=repr) == sorted(parallel.problems.items, key=repr)
    rules = {(p.path.rsplit("/", 1)[-1], p.rule) for p in parallel.problems.items if p.level != "提示"}
    assert rules == {("s007.md", "id-number"), ("s150.md", "punctuation")}


def test_notices_that_need_no_action_are_one_line_and_all_lists_them(make_site, capsys):
    site = make_site({"site.yaml": site_yaml(),
                      "content/stories/plain.md": "---\ntitle: 没写摘要\ndate: 2022-03-02\ncolumns: [news]\n---\n"
                                                  "正文第一句就是摘要。\n"})
    result = check(site)
    text = format_text(result)
    assert "提示:" not in text and "有问题" not in text, text
    assert "没有需要处理的问题" in text
    assert re.search(r"另有 \d+ 条提示不需要处理（自动摘要 2 条、没有配图 2 条.*），加 --all 查看。", text), text
    every = format_text(result, show_all=True)
    assert "plain.md:2: 提示: 没有摘要" in every and "有问题" not in every and "见上" in every
    run_cli("check", "--site", str(site))
    assert "提示:" not in capsys.readouterr().out
    run_cli("check", "--site", str(site), "--all")
    assert "plain.md:2: 提示: 没有摘要" in capsys.readouterr().out
    assert run_cli("check", "--site", str(site), "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    story = next(f for f in data["files"] if f["path"].endswith("content/stories/plain.md"))
    assert {p["rule"]: p["level"] for p in story["problems"]} == {"no-summary": "notice", "no-cover": "notice"}
    assert data["counts"]["notice"] == sum(1 for p in result.problems.items if p.level == "提示")


def test_files_with_problems_count_only_what_needs_a_person(make_site, capsys):
    site = make_site({"site.yaml": site_yaml(),
                      "content/stories/a.md": "---\ntitle: 甲\ndate: 2022-03-02\ncolumns: [news]\n---\n正文。\n",
                      "content/stories/b.md": "---\ntitle: 乙\ndate: 2022-03-03\ncolumns: [news]\n---\n大家说,好。\n"})
    text = format_text(check(site))
    assert "1 个文件有问题；0 个错误、1 个警告。另有" in text, text
    assert "a.md" not in text
    run_cli("check", "--site", str(site), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["files_with_problems"] == len({f["path"] for f in data["files"]
                                               if any(p["level"] != "notice" for p in f["problems"])})


def test_garbled_run_and_half_width_comma_after_a_quote_are_reported(make_site, capsys):
    story = ("---\ntitle: 乱码\ndate: 2022-03-02\ncolumns: [news]\n---\n"
             "持续提升“区牎鍩哄眰鍏\ufffd建工作质量。\n推行“五单工作法”,群众满意。\n")
    site = make_site({"site.yaml": site_yaml(), "content/stories/garbled.md": story})
    run_cli("check", "--site", str(site))
    lines = [line.split(str(site) + "/")[-1] for line in capsys.readouterr().out.splitlines()]
    assert any(line.startswith("content/stories/garbled.md:6:7: 警告: 乱码：") and "“\ufffd基层\ufffd”" in line
               and "丢失" in line for line in lines), lines
    assert any(line.startswith("content/stories/garbled.md:7:10: 警告: 中文句子里用了半角标点“,”") for line in lines)
