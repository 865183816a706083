"""The command line as a user runs it."""
from __future__ import annotations

import os
import subprocess
import sys

from conftest import REPO, run_cli, tree_digest


def test_new_scaffolds_a_site_that_builds_at_once(tmp_path, capsys):
    site = tmp_path / "新网站"
    assert run_cli("new", str(site)) == 0
    for rel in ("site.yaml", "content/brands/my-brand.md", "content/columns/news.md", "content/stories/first-story.md"):
        assert (site / rel).is_file(), rel
    assert run_cli("--site", str(site)) == 0
    assert (site / "output/stories/first-story/index.html").is_file()
    assert "警告" not in capsys.readouterr().err


def test_new_refuses_a_folder_with_files(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("x")
    assert run_cli("new", str(tmp_path)) == 1
    assert "不是空的" in capsys.readouterr().err


def test_output_option_writes_elsewhere(make_site, tmp_path):
    site = make_site()
    out = tmp_path / "elsewhere"
    assert run_cli("--site", str(site), "--output", str(out)) == 0
    assert (out / "stories/first/index.html").is_file()
    assert not (site / "output").exists()


def test_drafts_option(make_site):
    site = make_site({"content/stories/wip.md": "---\ntitle: 未完成\ndate: 2022-01-01\ndraft: true\n---\n正文。\n"})
    assert run_cli("--site", str(site)) == 0
    assert not (site / "output/stories/wip").exists()
    assert run_cli("--site", str(site), "--drafts") == 0
    html = (site / "output/stories/wip/index.html").read_text("utf-8")
    assert "草稿" in html
    assert run_cli("--site", str(site)) == 0  # and a normal build takes it away again
    assert not (site / "output/stories/wip").exists()


def test_builds_the_current_folder_by_default(make_site):
    site = make_site()
    result = subprocess.run([sys.executable, str(REPO / "build.py")], cwd=site, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "完成：1 篇文章" in result.stdout
    assert (site / "output/index.html").is_file()


def test_exit_status_and_message_from_a_real_process(make_site):
    site = make_site({"content/stories/bad.md": "---\ntitle: 甲\n---\n"})
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "content/stories/bad.md:2: 错误: 缺少日期" in result.stderr


def test_bad_option_is_explained_in_chinese(capsys):
    assert run_cli("--nope") == 2
    assert "参数错误" in capsys.readouterr().err


def test_columns_tags_and_brands_paginate(make_site):
    stories = {f"content/stories/s{i}.md": f"---\ntitle: 第{i}篇\ndate: 2022-01-{i + 1:02d}\nbrand: wucai\n"
                                           f"columns: [news]\ntags: [志愿服务]\n---\n正文{i}。\n" for i in range(7)}
    stories["site.yaml"] = "title: 站\nbase_url: https://a.gov.cn/\nper_page: 3\n"
    site = make_site(stories)
    assert run_cli("--site", str(site)) == 0
    out = site / "output"
    for base in ("columns/news", "tags/zhi-yuan-fu-wu", "brands/wucai"):
        assert (out / base / "index.html").is_file()
        assert (out / base / "page/2/index.html").is_file()
        assert (out / base / "page/3/index.html").is_file()
        assert not (out / base / "page/4").exists()
    page2 = (out / "columns/news/page/2/index.html").read_text("utf-8")
    assert 'href="/columns/news/" rel="prev"' in page2 and 'href="/columns/news/page/3/" rel="next"' in page2
    assert "第 2 / 3 页，共 8 篇" in page2  # the minimal site's own story is in the column too


def test_second_build_writes_nothing_and_removed_stories_disappear(make_site, capsys):
    site = make_site({"content/stories/second.md": "---\ntitle: 乙\ndate: 2022-01-01\n---\n正文。\n"})
    assert run_cli("--site", str(site)) == 0
    before = tree_digest(site / "output")
    capsys.readouterr()
    assert run_cli("--site", str(site)) == 0
    out = capsys.readouterr().out  # within two seconds file stamps are not trusted, so it may re-check
    assert "没有变化" in out or "写入 0 个文件" in out, out
    assert tree_digest(site / "output") == before
    (site / "content/stories/second.md").unlink()
    assert run_cli("--site", str(site)) == 0
    assert not (site / "output/stories/second").exists()
    assert "删除" in capsys.readouterr().out


def test_site_theme_overrides_a_template_and_extends_the_default(make_site):
    site = make_site({
        "site.yaml": "title: 站\nbase_url: https://a.gov.cn/\ntheme: mine\n",
        "themes/mine/templates/story.html": "{% extends 'default/story.html' %}\n"
                                            "{% block main %}<p class=\"mine\">自定义</p>{{ super() }}{% endblock %}\n",
        "themes/mine/static/css/extra.css": "body{}",
    })
    assert run_cli("--site", str(site)) == 0
    html = (site / "output/stories/first/index.html").read_text("utf-8")
    assert '<p class="mine">自定义</p>' in html and "第一句话" in html
    assert (site / "output/static/css/extra.css").is_file()
    assert (site / "output/static/css/site.css").is_file()  # default static files are still there
    assert 'class="mine"' not in (site / "output/index.html").read_text("utf-8")


def test_sub_path_base_url_prefixes_every_link(make_site):
    site = make_site()
    assert run_cli("--site", str(site)) == 0
    html = (site / "output/stories/first/index.html").read_text("utf-8")
    assert 'href="/dangjian/static/css/site.css"' in html
    assert 'href="/dangjian/columns/news/"' in html
    assert '<link rel="canonical" href="https://example.gov.cn/dangjian/stories/first/">' in html


def test_an_output_path_that_cannot_be_written_is_explained_in_chinese(make_site, tmp_path, capsys):
    site = make_site()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("一个文件，不是文件夹")
    assert run_cli("--site", str(site), "--output", str(blocker / "output")) == 1
    err = capsys.readouterr().err
    assert "生成失败" in err and "not-a-folder" in err and "Traceback" not in err
    assert blocker.read_text() == "一个文件，不是文件夹"


BUILD_STAGES = ["scan", "parse", "link", "images", "templates", "plan", "render", "posters", "search", "feeds",
                "static", "files", "write"]


def test_timings_prints_each_stage_in_order_as_a_chinese_table(make_site, capsys):
    site = make_site()
    assert run_cli("--site", str(site)) == 0
    assert "阶段" not in capsys.readouterr().out  # only when asked for
    (site / "content/stories/first.md").write_text("---\ntitle: 改过\ndate: 2022-03-15\n---\n新的正文。\n", "utf-8")
    assert run_cli("--site", str(site), "--timings") == 0
    summary, head, *rows = capsys.readouterr().out.strip().split("\n")
    assert summary.startswith("完成：")
    assert head.split() == ["阶段", "用时（秒）", "占比"]
    *stages, total = [row.split() for row in rows]
    from zhuanlan.messages import STAGE_LABELS

    # every stage once, under its own name (template compilation is not timed as "link"), in Chinese first
    assert [stage[0] for stage in stages] == [f"{STAGE_LABELS[name]}（{name}）" for name in BUILD_STAGES]
    assert total[0] == "合计" and total[2] == "100%"
    assert all(stage[2].endswith("%") for stage in stages)
    seconds = [float(stage[1]) for stage in stages]
    assert all(s >= 0 for s in seconds) and sum(seconds) <= float(total[1]) + 0.001 * len(seconds)
    assert f"用时 {float(total[1]):.2f} 秒" in summary  # the table's total is the build's own


def test_timings_of_a_build_that_changed_nothing(make_site, capsys):
    site = make_site()
    for path in (site / "content").rglob("*"):
        os.utime(path, ns=(10**18, 10**18))  # 2001: stamps old enough to be trusted at once
    assert run_cli("--site", str(site)) == 0
    capsys.readouterr()
    assert run_cli("--site", str(site), "--timings") == 0
    summary, head, scan, total = capsys.readouterr().out.strip().split("\n")
    assert summary.startswith("没有变化")
    assert scan.split()[0] == "扫描文件（scan）" and total.split()[0] == "合计"


def test_a_system_without_fork_builds_and_checks_in_one_process(make_site, monkeypatch):
    """Windows has no fork: a site large enough for workers (and --jobs 4) must still build there."""
    stories = {f"content/stories/s{i:03d}.md": f"---\ntitle: 第{i}篇\ndate: 2023-01-01\nbrand: wucai\n---\n正文{i}。\n"
               for i in range(210)}
    site = make_site(stories)
    monkeypatch.delattr(os, "fork")
    assert run_cli("--site", str(site), "--jobs", "4") == 0
    assert (site / "output/stories/s209/index.html").is_file()
    assert run_cli("check", "--site", str(site)) in (0, 1)  # its scan too; notices allowed, no crash
