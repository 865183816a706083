"""A brand's 五有 showcase: its front matter read into dataclasses, every wrong value reported at its
line, the brand page's sections made from the data (and absent without it), the brand colour
made readable, the main menu, and check's notice for what a brand lacks."""
from __future__ import annotations

import pickle
import re
from pathlib import Path
from textwrap import dedent

import pytest

from conftest import REPO, run_cli, tree_digest

from zhuanlan import colors
from zhuanlan.check import CheckOptions, run_check
from zhuanlan.content import parse_file
from zhuanlan.showcase import Honour, Idea, Method, Milestone, Result, Showcase, Step, Venue

FULL = """\
    ---
    name: 五彩
    slogan: 五彩口号
    logo: ../images/logo.svg
    color: "#b3121b"
    owner: 测试镇党委
    标识释义: |
      外圈象征凝聚力。
      五片花瓣对应五个方向。
    发布日期: 2021-06-28
    内涵:
      - 名称: 红色铸魂·思想美
        释义: 把理论学习办到田间地头。
      - 名称: 金色兴业·产业美
    工作法:
      - 名称: 五单工作法
        简介: 群众点单、支部派单。
        步骤: [群众点单, 支部派单, {名称: 党员接单, 说明: 三天内办结}, 群众评单, 组织晒单]
    成效:
      - 数值: 630
        单位: 人次
        说明: 累计帮助困难群众
      - 数值: 98.5
        单位: "%"
        说明: 群众满意率
    荣誉:
      - 年份: 2023
        名称: 市级五星级党组织
        授予: 中共某某市委组织部
      - 日期: 2022-7-1
        名称: 县级先进基层党组织
    大事记:
      - 日期: 2022-03-18
        事件: 品牌正式发布
        文章: ../stories/first.md
      - 日期: 2021-06
        事件: 开始征集品牌名称
      - 日期: 2023
        事件: 公众号报道
        文章: https://mp.weixin.qq.com/s/abc
    阵地:
      - 名称: 党群服务中心
        地址: 人民路 1 号
        开放时间: 周一至周五 8:30–17:30
        电话: 0571-00000000、13800000000
    ---
    品牌介绍。
    """
LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4"/></svg>'
SECTIONS = {  # heading → a class only that section has
    "标识释义": "logo-note", "品牌内涵": "idea-cards", "工作法": "steps", "工作成效": "figures",
    "所获荣誉": "honours", "大事记": "timeline", "服务阵地": "venues",
}


def parse(front: str, rel: str = "brands/x.md"):
    text = dedent(front)
    if not text.startswith("---"):
        text = "---\nname: 甲\n" + text + "---\n介绍。\n"
    parsed = parse_file(Path("/site/content") / rel, rel, text.encode("utf-8"))
    return parsed.item, parsed.problems


def brand_page(site: Path, brand_id: str = "wucai") -> str:
    return (site / "output" / "brands" / brand_id / "index.html").read_text("utf-8")


# -- parsing ----------------------------------------------------------------------------------------

def test_every_section_is_read_into_its_dataclass():
    brand, problems = parse(FULL, "brands/wucai.md")
    assert not problems, problems
    show = brand.showcase
    assert show.logo_note == "外圈象征凝聚力。\n五片花瓣对应五个方向。"
    assert show.launched == "2021-06-28"
    assert show.values == [Idea("红色铸魂·思想美", "把理论学习办到田间地头。"), Idea("金色兴业·产业美")]
    assert show.methods == [Method("五单工作法", "群众点单、支部派单。",
                                   [Step("群众点单"), Step("支部派单"), Step("党员接单", "三天内办结"),
                                    Step("群众评单"), Step("组织晒单")])]
    assert show.results == [Result(630, "人次", "累计帮助困难群众"), Result(98.5, "%", "群众满意率")]
    assert [r.figure for r in show.results] == ["630", "98.5"]
    assert show.honours == [Honour("市级五星级党组织", "2023", "中共某某市委组织部"), Honour("县级先进基层党组织", "2022-07-01")]
    # the timeline reads oldest first; a 文章 in content/ is a ref of the brand, a web address is kept
    assert [(m.date, m.event) for m in show.milestones] == [("2021-06", "开始征集品牌名称"), ("2022-03-18", "品牌正式发布"),
                                                           ("2023", "公众号报道")]
    ref = brand.refs[show.milestones[1].story]
    assert (ref.kind, ref.target, ref.line) == ("milestone", "stories/first.md", 35)
    assert show.milestones[2] == Milestone("2023", "公众号报道", None, "https://mp.weixin.qq.com/s/abc")
    assert show.venues == [Venue("党群服务中心", "人民路 1 号", "周一至周五 8:30–17:30", "0571-00000000、13800000000")]
    assert show.venues[0].phones == [("0571-00000000", "tel:057100000000"), ("13800000000", "tel:13800000000")]
    assert pickle.loads(pickle.dumps(brand)).showcase == show  # the parse cache pickles records


def test_english_keys_mean_the_same():
    brand, problems = parse("""\
        logo_note: 释义
        launched: 2021-06-28
        values: [{name: 甲, meaning: 乙}]
        methods: [{name: 法, summary: 简, steps: [{name: 一, note: 说}, 二]}]
        results: [{value: 1, unit: 个, label: 项}]
        honours: [{year: 2020, name: 奖, awarded_by: 某部}]
        milestones: [{date: 2020-01-02, event: 事, story: /stories/a.md}]
        venues: [{name: 站, address: 址, hours: 时, phone: "123"}]
        """)
    assert not problems, problems
    assert brand.showcase == Showcase(
        "释义", "2021-06-28", [Idea("甲", "乙")], [Method("法", "简", [Step("一", "说"), Step("二")])],
        [Result(1, "个", "项")], [Honour("奖", "2020", "某部")], [Milestone("2020-01-02", "事", 0)],
        [Venue("站", "址", "时", "123")])
    assert brand.refs[0].target == "stories/a.md"


def test_a_brand_without_showcase_keys_has_an_empty_showcase():
    brand, problems = parse("---\nname: 甲\n---\n介绍。\n")
    assert not problems and brand.showcase == Showcase()


BAD = {  # front matter after "name: 甲" (line 2) → (level, line, words)
    "number_not_a_number": ("成效:\n  - 数值: 1.1万\n    说明: 人次\n", "错误", 4, "“数值”应是一个数"),
    "number_missing": ("成效:\n  - 单位: 人\n    说明: 志愿者\n", "错误", 4, "缺少“数值”"),
    "impossible_date": ("大事记:\n  - 日期: 2022-02-30\n    事件: 甲\n", "错误", 4, "2 月只有 28 天"),
    "impossible_month": ("大事记:\n  - 事件: 甲\n    日期: 2022-13\n", "错误", 5, "月份应在 1 到 12 之间"),
    "impossible_launch": ("发布日期: 2021-04-31\n", "错误", 3, "4 月只有 30 天"),
    "honour_year": ("荣誉:\n  - 名称: 奖\n    年份: 二〇二三\n", "错误", 5, "四位数的年份"),
    "unknown_item_key": ("阵地:\n  - 名称: 站\n    地扯: 人民路\n", "警告", 5, '未知的项 "地扯"，已忽略，是不是 "地址"？'),
    "list_for_text": ("内涵:\n  - 名称: 甲\n    释义: [乙, 丙]\n", "错误", 5, "应是一段文字，而不是列表"),
    "list_for_logo_note": ("标识释义: [甲, 乙]\n", "错误", 3, "标识释义应是一段文字"),
    "text_for_list": ("工作法: 五单工作法\n", "错误", 3, "工作法应是列表"),
    "text_for_steps": ("工作法:\n  - 名称: 甲\n    步骤: 一二三\n", "错误", 5, "“步骤”应是列表"),
    "text_item": ("内涵:\n  - 名称: 甲\n  - 红色铸魂\n", "错误", 5, "每一项应写成“键: 值”"),
    "missing_name": ("荣誉:\n  - 年份: 2023\n    授予: 某部\n", "错误", 4, "缺少“名称”"),
    "list_step": ("工作法:\n  - 名称: 甲\n    步骤:\n      - 一\n      - [二, 三]\n", "错误", 7, "每一个步骤应是一段文字"),
    "story_scheme": ("大事记:\n  - 日期: 2022\n    事件: 甲\n    文章: \"mailto:a@b.cn\"\n", "错误", 6, "应是一篇文章的路径"),
    "phone_without_number": ("阵地:\n  - 名称: 站\n    电话: 无\n", "警告", 5, "找不到号码"),
}


@pytest.mark.parametrize("name", BAD)
def test_each_wrong_value_is_reported_at_its_line(name):
    front, level, line, words = BAD[name]
    _, problems = parse(front)
    found = [(p.level, p.line, p.message) for p in problems]
    assert any(lv == level and ln == line and words in message for lv, ln, message in found), found


def test_the_third_item_of_a_list_is_reported_at_its_own_line():
    front = "".join(f"  - 数值: {value}\n    说明: 第{n}项\n" for n, value in enumerate(["1", "2", "三"]))
    _, problems = parse("成效:\n" + front)
    assert [(p.line, p.level) for p in problems] == [(8, "错误")]


def test_iso_dates_keep_the_precision_written():
    brand, problems = parse("大事记:\n" + "".join(f"  - 日期: {d}\n    事件: 第{n}件\n" for n, d in
                                                 enumerate(["2022年3月", "2021", "2022/3/5", "2022年3月5日 9:30"])))
    assert not problems, problems
    assert [m.date for m in brand.showcase.milestones] == ["2021", "2022-03", "2022-03-05", "2022-03-05"]


# -- the brand colour ---------------------------------------------------------------------------------

@pytest.mark.parametrize("color", ["#b3121b", "#8a5a00", "#1d5fa8", "#f0c000", "#7fd3ff", "#fff", "#e60012"])
def test_text_color_reads_on_every_light_background_and_keeps_a_readable_colour(color):
    text = colors.text_color(color)
    assert all(colors.contrast(text, bg) >= 4.5 for bg in colors.LIGHT_BACKGROUNDS), text
    if all(colors.contrast(color, bg) >= 4.5 for bg in colors.LIGHT_BACKGROUNDS):
        assert text == color.lower()  # nothing to fix
    else:
        # darkened only as much as needed: a little lighter would fail
        lighter = colors.to_hex(tuple(min(255, c * 1.03 + 1) for c in colors.parse(text)))
        assert min(colors.contrast(lighter, bg) for bg in colors.LIGHT_BACKGROUNDS) < 4.5 or text == "#000000"


def test_contrast_matches_wcag_examples():
    assert round(colors.contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(colors.contrast("#767676", "#ffffff"), 2) == 4.54
    assert colors.contrast("#abc", "#aabbcc") == 1.0


# -- the brand page -----------------------------------------------------------------------------------

@pytest.fixture
def full_site(make_site):
    return make_site({"content/brands/wucai.md": FULL, "content/images/logo.svg": LOGO})


def test_each_section_renders_from_its_data(full_site):
    assert run_cli("--site", str(full_site)) == 0
    html = brand_page(full_site)
    for heading, cls in SECTIONS.items():
        assert f">{heading}</h2>" in html and f'class="{cls}' in html, heading
    hero = html[html.index('class="brand-hero"'):html.index("</header>", html.index('class="brand-hero"'))]
    assert "五彩口号" in hero and "测试镇党委" in hero and '<time datetime="2021-06-28">2021-06-28</time>' in hero
    assert "<p>外圈象征凝聚力。</p><p>五片花瓣对应五个方向。</p>" in html
    steps = re.findall(r'<span class="step-name">(.*?)</span>', html)
    assert steps == ["群众点单", "支部派单", "党员接单", "群众评单", "组织晒单"]  # in the order written
    assert '<span class="step-note">三天内办结</span>' in html
    assert re.search(r'<span class="figure-number">630</span> <span class="figure-unit">人次</span>', html)
    assert "中共某某市委组织部授予" in html
    assert '<a class="timeline-event" href="/dangjian/stories/first/">品牌正式发布</a>' in html
    assert '<a class="timeline-event" href="https://mp.weixin.qq.com/s/abc">公众号报道</a>' in html
    assert '<span class="timeline-event">开始征集品牌名称</span>' in html
    assert '<a class="venue-phone" href="tel:057100000000">0571-00000000</a>' in html
    assert '<a class="venue-phone" href="tel:13800000000">13800000000</a>' in html
    assert "周一至周五 8:30–17:30" in html


def test_a_section_without_data_does_not_appear(make_site):
    site = make_site({})  # the minimal site's brands have none of the showcase keys
    assert run_cli("--site", str(site)) == 0
    html = brand_page(site)
    for heading, cls in SECTIONS.items():
        assert heading + "</h2>" not in html and f'class="{cls}' not in html, heading
    assert "发布日期" not in html and "brand-facts" not in html  # no owner, no launch date: no empty list
    # and one section alone
    (site / "content/brands/wucai.md").write_text("---\nname: 五彩\n成效:\n  - 数值: 5\n    说明: 个\n---\n", "utf-8")
    assert run_cli("--site", str(site)) == 0
    html = brand_page(site)
    assert [h for h in SECTIONS if f">{h}</h2>" in html] == ["工作成效"]


def test_sub_brand_cards_count_their_stories(make_site):
    site = make_site({})  # first.md is a story of dinglin, the sub-brand of wucai
    assert run_cli("--site", str(site)) == 0
    card = re.search(r'<a class="brand-card" href="/dangjian/brands/dinglin/".*?</a>', brand_page(site), re.S).group(0)
    assert "1 篇案例" in card


def test_a_light_brand_colour_is_darkened_for_text_and_kept_for_decoration(make_site):
    site = make_site({"content/brands/wucai.md": "---\nname: 五彩\ncolor: \"#f0c000\"\n---\n介绍。\n"})
    assert run_cli("--site", str(site)) == 0
    style = re.search(r'class="showcase" style="--brand: (#\w+); --brand-text: (#\w+)"', brand_page(site))
    assert style and style.group(1) == "#f0c000"
    assert style.group(2) == colors.text_color("#f0c000") != "#f0c000"


def test_main_menu_names_the_brands_in_one_item(make_site):
    site = make_site({})
    assert run_cli("--site", str(site)) == 0
    nav = re.search(r'<nav class="site-nav".*?</nav>', brand_page(site, "dinglin"), re.S).group(0)
    # one root brand with a sub-brand: its page is the matrix, and every brand page marks the item
    assert '<a href="/dangjian/brands/wucai/" aria-current="page">品牌矩阵</a>' in nav
    (site / "content/brands/other.md").write_text("---\nname: 另一个\n---\n", "utf-8")
    assert run_cli("--site", str(site)) == 0
    assert '<a href="/dangjian/#h-brands">品牌矩阵</a>' in (site / "output/index.html").read_text("utf-8")
    (site / "content/brands/other.md").unlink()
    (site / "content/brands/wucai.md").unlink()
    (site / "content/brands/dinglin.md").write_text("---\nname: 鼎麟\n---\n", "utf-8")
    assert run_cli("--site", str(site)) == 0  # a single brand: the item is its name
    assert '<a href="/dangjian/brands/dinglin/">鼎麟</a>' in (site / "output/index.html").read_text("utf-8")


def test_the_brand_page_is_the_same_from_the_parse_cache(full_site):
    assert run_cli("--site", str(full_site)) == 0
    cold = brand_page(full_site)
    (full_site / "output/brands/wucai/index.html").unlink()
    assert run_cli("--site", str(full_site)) == 0
    assert brand_page(full_site) == cold


# -- bad values stop the build with file:line --------------------------------------------------------

@pytest.mark.parametrize("front, line, words", [
    ("成效:\n  - 数值: 很多\n    说明: 人\n", 4, "“数值”应是一个数"),
    ("大事记:\n  - 日期: 2022-03-18\n    事件: 发布\n    文章: ../stories/nowhere.md\n", 6,
     '大事记的文章 "../stories/nowhere.md" 指向的文件不存在'),
    ("荣誉:\n  - 日期: 2023-02-29\n    名称: 奖\n", 4, "2 月只有 28 天"),
    ("内涵: 红色铸魂\n", 3, "内涵应是列表"),
])
def test_a_bad_value_stops_the_build_at_its_line_and_leaves_output_untouched(make_site, capsys, front, line, words):
    site = make_site({})
    assert run_cli("--site", str(site)) == 0
    before = tree_digest(site / "output")
    (site / "content/brands/wucai.md").write_text("---\nname: 五彩\n" + front + "---\n介绍。\n", "utf-8")
    capsys.readouterr()
    assert run_cli("--site", str(site)) == 1
    err = capsys.readouterr().err
    assert re.search(rf"content/brands/wucai\.md:{line}: 错误: .*{re.escape(words)}", err), err
    assert "Traceback" not in err and "输出文件夹未作任何改动" in err
    assert tree_digest(site / "output") == before


# -- check ----------------------------------------------------------------------------------------------

def test_check_names_what_a_brand_lacks_of_the_five(make_site):
    site = make_site({
        "content/brands/wucai.md": FULL, "content/images/logo.svg": LOGO,
        "content/brands/half.md": "---\nname: 半个\n工作法:\n  - 名称: 甲\n---\n",
        "content/brands/storied.md": "---\nname: 有文章\n标志: ../images/logo.svg\n内涵: [{名称: 甲}]\n"
                                     "阵地: [{名称: 站}]\n---\n",
        "content/stories/second.md": "---\ntitle: 第二篇\ndate: 2022-03-16\nbrand: storied\n---\n正文。\n",
    })
    result = run_check(CheckOptions(site))
    found = {Path(p.path).name: p for p in result.problems.items if p.rule == "brand-wuyou"}
    assert set(found) == {"half.md", "dinglin.md"}  # wucai has all five; storied's story is its 影响
    half = found["half.md"]
    assert half.level == "提示" and half.line == 2
    assert "还缺：标识、内涵、影响" in half.message and "成效: 或 荣誉:" in half.message
    assert "载体" not in half.message.split("还缺：")[1].split("。")[0]
    assert "还缺：标识、内涵、载体。" in found["dinglin.md"].message  # its story counts as 影响


def test_example_brands_have_all_five_and_every_section():
    result = run_check(CheckOptions(REPO))
    assert not [p for p in result.problems.items if p.rule == "brand-wuyou"]
    for brand in result.site.brands.values():
        show = brand.showcase
        assert all([brand.logo is not None, show.logo_note, show.launched, show.values, show.methods, show.results,
                    show.honours, show.milestones, show.venues]), brand.id
        assert any(m.story is not None for m in show.milestones), brand.id


def test_the_new_sites_commented_showcase_builds_once_uncommented(tmp_path, capsys):
    site = tmp_path / "new"
    assert run_cli("new", str(site)) == 0
    brand = site / "content/brands/my-brand.md"
    lines = brand.read_text("utf-8").splitlines()
    keys = [line[2:] if line.startswith("# ") and "品牌展示" not in line else line for line in lines]
    brand.write_text("\n".join(keys) + "\n", "utf-8")
    capsys.readouterr()
    assert run_cli("--site", str(site)) == 0
    assert "警告" not in capsys.readouterr().err
    html = brand_page(site, "my-brand")
    assert [heading for heading in SECTIONS if f">{heading}</h2>" not in html] == []
