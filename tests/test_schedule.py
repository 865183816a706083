"""定时发布: a story dated later than the build is left out until its time, then published by the
first build after it; serve and --drafts show it marked 定时; links to it wait for it too."""
from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from conftest import run_cli
from zhuanlan.check import CheckOptions, run_check
from zhuanlan.pipeline import BuildOptions, build
from zhuanlan.problems import NOTICE, BuildFailed

LATER = "---\ntitle: 下周的文章\ndate: 2022-04-01 09:00\ncolumns: [news]\ntags: [志愿服务]\n---\n下周才发的内容。\n"
TITLE = "下周的文章".encode("utf-8")
NOTICE_TEXT = "定时发布：1 篇，最早 2022-04-01 09:00（《下周的文章》，content/stories/later.md）。"


def build_at(site: Path, now: datetime, out: Path | None = None, **options):
    return build(BuildOptions(site_dir=site, output_dir=out, workers=1, now=now, **options))


def settle(site: Path) -> None:
    """Date every file of the site back, so that the build may trust their stamps at once."""
    for path in site.rglob("*"):
        if path.is_file() and ".cache" not in path.parts:
            os.utime(path, ns=(10**18, 10**18))


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def notices(result) -> list[str]:
    return [p.message for p in result.problems.items if p.level == NOTICE and p.message.startswith("定时发布")]


def test_a_story_dated_later_is_left_out_then_published_by_the_first_build_after_its_time(make_site, tmp_path):
    site = make_site({"content/stories/later.md": LATER})
    settle(site)
    out = site / "output"
    first = build_at(site, datetime(2022, 3, 20))
    assert first.stories == 1 and not (out / "stories/later").exists()
    assert not [rel for rel, data in contents(out).items() if TITLE in data]  # no list, feed, sitemap or index has it
    assert [message.split("。")[0] + "。" for message in notices(first)] == [NOTICE_TEXT]

    waiting = build_at(site, datetime(2022, 4, 1, 8, 59, 59))
    assert waiting.nothing_changed and [m.split("。")[0] + "。" for m in notices(waiting)] == [NOTICE_TEXT]

    due = build_at(site, datetime(2022, 4, 1, 9, 0))
    assert not due.nothing_changed and due.stories == 2 and not notices(due)
    files = contents(out)
    for rel in ("stories/later/index.html", "index.html", "columns/news/index.html", "feed.xml"):
        assert TITLE in files[rel], rel
    clean_site = tmp_path / "clean"
    shutil.copytree(site, clean_site, ignore=shutil.ignore_patterns(".cache", "output"))
    build_at(clean_site, datetime(2022, 4, 1, 9, 0), clean=True)
    assert contents(clean_site / "output") == files  # as a build made from nothing at that time

    back = build_at(site, datetime(2022, 3, 31))  # the clock turned back: the story is scheduled again
    assert not back.nothing_changed and not (out / "stories/later").exists()


def test_drafts_and_serve_show_a_scheduled_story_marked_on_its_page_and_in_lists(make_site):
    site = make_site({"content/stories/later.md": LATER})
    out = site / ".cache/serve"  # where serve builds, with drafts shown
    result = build_at(site, datetime(2022, 3, 20), out, drafts=True)
    assert result.stories == 2 and notices(result)
    page = (out / "stories/later/index.html").read_text("utf-8")
    assert "定时发布：这篇文章 2022-04-01 09:00 起才在正式网站上发布" in page
    column = (out / "columns/news/index.html").read_text("utf-8")
    assert '<span class="badge badge-draft">定时</span>下周的文章' in column
    assert '<span class="badge badge-draft">定时</span>第一篇' not in column
    assert "定时发布" not in (out / "stories/first/index.html").read_text("utf-8")
    due = build_at(site, datetime(2022, 4, 2), out, drafts=True)
    assert not notices(due) and "定时" not in (out / "columns/news/index.html").read_text("utf-8")


def test_links_to_a_scheduled_story_wait_for_it_and_its_own_mistakes_are_reported_now(make_site):
    site = make_site({
        "content/stories/later.md": LATER + "\n回顾[第一篇](first.md)，预告[更晚的一篇](latest.md)。\n",
        "content/stories/latest.md": "---\ntitle: 更晚的一篇\ndate: 2022-04-02\nbrand: nosuch\n---\n"
                                     "接着[下周的文章](later.md)，还有[不存在的](nowhere.md)。\n",
        "content/pages/about.md": "---\ntitle: 关于\n---\n见[下周的文章](../stories/later.md)。\n",
    })
    with pytest.raises(BuildFailed) as failed:
        build_at(site, datetime(2022, 3, 20))
    found = sorted((Path(p.path).name, p.line, p.message) for p in failed.value.problems.errors)
    assert found == [
        ("about.md", 4, '链接 "../stories/later.md" 指向一篇定时发布的文章，2022-04-01 09:00 才发布，'
                        "在那之前链接打不开：请等那篇文章发布后再加链接，或去掉链接"),
        ("later.md", 9, '链接 "latest.md" 指向一篇定时发布的文章，2022-04-02 00:00 才发布，'
                        "比这篇（2022-04-01 09:00）晚：请等那篇文章发布后再加链接，或去掉链接"),
        ("latest.md", 4, '未知品牌 "nosuch"（可选：dinglin（鼎麟）、wucai（五彩））'),
        ("latest.md", 6, '链接 "nowhere.md" 指向的文件不存在：请检查文件名和路径（路径相对于当前文件，或以 / 开头表示从 content/ 算起）'),
    ]
    assert not (site / "output").exists()
    (site / "content/stories/latest.md").write_text("---\ntitle: 更晚的一篇\ndate: 2022-04-02\n---\n"
                                                     "接着[下周的文章](later.md)。\n", "utf-8")
    with pytest.raises(BuildFailed):
        build_at(site, datetime(2022, 4, 1, 12))  # later.md is out, latest.md not yet: its link must wait
    build_at(site, datetime(2022, 4, 2))
    assert 'href="/dangjian/stories/later/"' in (site / "output/about/index.html").read_text("utf-8")


def test_check_reports_scheduled_stories_and_what_is_wrong_in_them(make_site):
    site = make_site({
        "content/stories/later.md": LATER.replace("下周才发的内容。", "下周才发的内容。\n\n![图](https://cdn.example.com/x.jpg)\n"),
        "content/stories/typo.md": "---\ntitle: 年份写错\ndate: 2032-03-01\n---\n正文。\n",
    })
    result = run_check(CheckOptions(site, now=datetime(2022, 3, 20), workers=1))
    found = {(Path(p.path).name, p.rule, p.level) for p in result.problems.items
             if p.rule in ("future-date", "external-image")}
    assert found == {("later.md", "future-date", "提示"), ("later.md", "external-image", "警告"),
                     ("typo.md", "future-date", "警告")}
    near = next(p for p in result.problems.items if p.rule == "future-date" and p.path.endswith("later.md"))
    assert near.line == 3 and near.message.startswith("定时发布：2022-04-01 09:00 起才会出现在网站上")


def test_the_build_says_how_many_stories_wait_and_when_the_first_is_due(make_site, capsys):
    site = make_site({"content/stories/later.md": LATER.replace("2022-04-01 09:00", "2099-01-05 09:30")})
    assert run_cli("--site", str(site)) == 0
    err = capsys.readouterr().err
    assert "提示: 定时发布：1 篇，最早 2099-01-05 09:30（《下周的文章》，content/stories/later.md）" in err
    assert not (site / "output/stories/later").exists()
    assert run_cli("--site", str(site)) == 0  # said again when nothing changed
    assert "定时发布：1 篇" in capsys.readouterr().err
