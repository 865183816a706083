"""`import` on the shapes of real government pages and Word files that went wrong (issue 17).

The fixtures in tests/fixtures/import/shapes/ and the Word files from make_docx.py are our own
writing (fictional 青禾镇, 溪畔村, 云岭街道 and people) in the shapes we saw: a 政务公开 block as
bullets, `标签：值` lines, separate lines, tables and <dl>; no headline; chrome next to an empty
label; author lines with brackets and roles; a 署名 or 落款 line with the date; typed numbering;
source, author and date on one line.
"""
from __future__ import annotations

import importlib.util
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, run_cli, tree_digest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_import import body, front, png

from zhuanlan.check import UNCONFIRMED_DATE, CheckOptions, run_check
from zhuanlan.importer import byline, govinfo, labels
from zhuanlan.search.records import read_record

SHAPES = REPO / "tests/fixtures/import/shapes"
_spec = importlib.util.spec_from_file_location("make_docx", REPO / "tests/fixtures/import/make_docx.py")
make_docx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_docx)


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "site"
    assert run_cli("new", str(folder)) == 0
    return folder


@pytest.fixture(scope="module")
def word(tmp_path_factory):
    return make_docx.write_all(tmp_path_factory.mktemp("docx"))


def source_of(name: str, word: dict[str, Path]) -> Path:
    return word[name] if name.endswith(".docx") else SHAPES / name


def imported(site: Path) -> str:
    """The text of the one story an import wrote."""
    written = list((site / "content/stories").rglob("*.md"))
    written = [p for p in written if "import" in p.read_text("utf-8").split("\n")[1]]
    assert len(written) == 1, written
    return written[0].read_text("utf-8")


def import_one(site: Path, path: Path, *options: str) -> str:
    assert run_cli("import", "--site", str(site), *options, str(path)) == 0
    return imported(site)


# ---------------------------------------------------------------- 1. the 政务公开 block

BULLETS_GOV = {"索引号": "003399001/2019-00021", "主题分类": "综合政务/工作信息/工作动态", "发布机构": "青禾镇人民政府",
               "成文日期": "2019-05-16"}


@pytest.mark.parametrize("name, title, date, source, gov", [
    ("gov-bullets.txt", "青禾镇开展“红色课堂进田间”活动", "2019-05-17", "青禾镇人民政府", BULLETS_GOV),
    ("gov-bullets.html", "青禾镇开展“红色课堂进田间”活动", "2019-05-17", "青禾镇人民政府", BULLETS_GOV),
    ("gov-bullets.docx", "青禾镇开展“红色课堂进田间”活动", "2019-05-17", "青禾镇人民政府", BULLETS_GOV),
    ("gov-lines.txt", "青禾镇关于做好秋季森林防火工作的通知", "2020-09-30", "青禾镇人民政府",
     {"索引号": "003399001/2020-00105", "主题分类": "安全生产", "发布机构": "青禾镇人民政府", "文号": "青政发〔2020〕12号",
      "成文日期": "2020-09-28"}),
    ("gov-dl.html", "云岭街道召开老旧小区改造居民议事会", "2022-04-12", "云岭街道办事处",
     {"索引号": "11330110002495092X/2022-00318", "主题分类": "城乡建设", "发布机构": "云岭街道办事处",
      "成文日期": "2022-04-11"}),
    ("gov-table.html", "溪畔村完成村级集体经济项目验收", "2021-11-03", "青禾镇农业农村办公室",  # no 发布日期: 成文日期
     {"索引号": "003399001/2021-00230", "主题分类": "农业农村", "发布机构": "青禾镇农业农村办公室",
      "成文日期": "2021-11-03", "关键词": "集体经济；项目验收"}),
    ("gov-table.docx", "溪畔村完成村级集体经济项目验收", "2021-11-04", "青禾镇农业农村办公室",
     {"索引号": "003399001/2021-00230", "主题分类": "农业农村", "发布机构": "青禾镇农业农村办公室",
      "成文日期": "2021-11-03"}),
])
def test_disclosure_block(site, word, name, title, date, source, gov):
    text = import_one(site, source_of(name, word))
    meta = front(text)
    assert (meta["title"], meta["date"], meta["source"], meta["gov"]) == (title, date, source, gov)
    assert "draft" not in meta
    content = body(text)
    for label in ("索引号", "主题分类", "发布机构", "文号", "成文日期", "发布日期", "体裁", "•"):
        assert label not in content, label
    assert "#" not in content.split("## 一、")[0]  # no line of the block became a heading
    assert title not in content  # the title repeated in the block is dropped
    assert content.lstrip().startswith(("5月15日", "各村（社区）", "4月11日晚", "11月2日"))


def test_disclosure_round_trip_to_the_page(site):
    """import → build → the page shows the 政务公开 table and says date and source to the monitors."""
    assert run_cli("import", "--site", str(site), str(SHAPES / "gov-bullets.html"), str(SHAPES / "gov-lines.txt")) == 0
    assert run_cli("--site", str(site)) == 0
    pages = {"qing-he-zhen-kai-zhan-hong-se-ke-tang-jin-tian": ("2019-05-17", "青禾镇人民政府", "003399001/2019-00021"),
             "qing-he-zhen-guan-yu-zuo-hao-qiu-ji-sen-lin": ("2020-09-30", "青禾镇人民政府", "青政发〔2020〕12号")}
    for slug, (day, source, value) in pages.items():
        page = BeautifulSoup((site / f"output/stories/{slug}/index.html").read_text("utf-8"), "html.parser")
        assert page.find("meta", attrs={"name": "PubDate"})["content"].startswith(day)
        assert page.find("meta", attrs={"name": "ContentSource"})["content"] == source
        table = {th.get_text(strip=True): td.get_text(strip=True)
                 for th, td in ((row.th, row.td) for row in page.select("table.gov-info tr"))}
        assert table["发布机构"] == source and value in table.values() and table["发布日期"] == day
        assert "•" not in page.select_one(".story-body").get_text()


# ---------------------------------------------------------------- 2. no headline

def test_no_headline_in_a_text_file_keeps_the_lead_and_asks_for_a_title(site, capsys):
    text = import_one(site, SHAPES / "春耕党员服务队.txt")
    meta = front(text)
    assert meta["title"] == "春耕党员服务队" and meta["draft"] is True
    assert "暂用文件名“春耕党员服务队”，请改写 title:" in text.split("\n---\n")[0]
    assert body(text).lstrip().startswith("3月上旬，青禾镇溪畔村党总支组织二十名党员组成春耕服务队")
    out = capsys.readouterr().out
    assert "待核对：标题" in out and "先存为草稿" in out


def test_no_headline_in_a_page_takes_the_page_title(site):
    text = import_one(site, SHAPES / "no-headline.html")
    assert front(text)["title"] == "溪畔村党员春耕服务队下田忙" and front(text)["date"] == "2021-03-09"
    assert body(text).lstrip().startswith("3月上旬") and "draft" not in front(text)


def test_no_headline_in_a_word_file(site, word):
    text = import_one(site, word["no-headline.docx"])
    assert front(text)["title"] == "no-headline" and front(text)["draft"] is True
    assert body(text).lstrip().startswith("3月上旬")


# ---------------------------------------------------------------- 3. chrome next to an empty label

@pytest.mark.parametrize("name", ["chrome-label.html", "chrome-label.txt"])
def test_an_empty_label_does_not_swallow_chrome(site, name):
    text = import_one(site, SHAPES / name)
    meta = front(text)
    assert meta["title"] == "云岭街道开展重阳敬老志愿服务" and meta["date"] == "2021-09-30"
    assert "source" not in meta
    assert not re.search("字体|放大|浏览次数", text)


# ---------------------------------------------------------------- 5. author lines

def test_author_in_brackets(site):
    text = import_one(site, SHAPES / "author-brackets.txt", "--simplified")
    assert front(text)["author"] == "陈小华" and "作者" not in body(text)
    shutil.rmtree(site / "content/stories/2022")
    assert front(import_one(site, SHAPES / "author-brackets.txt"))["author"] == "陳小華"


def test_author_roles(site, word):
    text = import_one(site, SHAPES / "author-roles.html")
    meta = front(text)
    assert (meta["author"], meta["editor"], meta["date"]) == ("郑思远（文）、周婉清（图）", "吴建国", "2023-04-23")
    assert not re.search("文/|图/|编辑", body(text))
    shutil.rmtree(site / "content/stories/2023")
    text = import_one(site, word["author-roles.docx"])
    assert front(text)["author"] == "郑思远、孙立新" and "通讯员" not in body(text)


# ---------------------------------------------------------------- 6. nothing to import

@pytest.mark.parametrize("name, data, says", [
    ("empty.txt", b"", "文件是空的"),
    ("blank.txt", "\u3000\u3000\n\n  \t\n".encode("utf-8"), "只有空格和空行"),
    ("blank-gbk.txt", "\u3000\u3000\r\n\r\n".encode("gbk"), "只有空格和空行"),
    ("photo.txt", png(), "不是文本文件"),
    ("empty.html", b"", "文件是空的"),
    ("blank.html", b"<html><head><title></title></head><body>\n  <div> </div>\n</body></html>", "没有找到正文"),
    ("archive.html", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4, "不是文本文件"),
    ("title-only.txt", "溪畔村党总支开展主题党日活动\n".encode("utf-8"), "没有找到正文"),
], ids=lambda value: value if isinstance(value, str) and value.isascii() else "")
def test_empty_blank_and_binary_files_are_refused(site, tmp_path, capsys, name, data, says):
    path = tmp_path / name
    path.write_bytes(data)
    before = tree_digest(site)
    assert run_cli("import", "--site", str(site), str(path)) == 1
    out = capsys.readouterr().out
    assert f"{name}: 错误: " in out and says in out and "没有导入" in out and "Traceback" not in out
    assert tree_digest(site) == before


def test_an_empty_word_file_is_refused(site, word, capsys):
    before = tree_digest(site)
    assert run_cli("import", "--site", str(site), str(word["empty.docx"])) == 1
    assert "empty.docx: 错误: 没有找到正文" in capsys.readouterr().out
    assert tree_digest(site) == before


# ---------------------------------------------------------------- 7. the same article again

def test_the_same_article_under_another_name_is_refused(site, tmp_path, capsys):
    assert run_cli("import", "--site", str(site), str(SHAPES / "gov-lines.txt")) == 0
    first = "content/stories/2020/qing-he-zhen-guan-yu-zuo-hao-qiu-ji-sen-lin.md"
    written = tree_digest(site)
    capsys.readouterr()
    again = tmp_path / "防火通知（定稿）.txt"
    shutil.copyfile(SHAPES / "gov-lines.txt", again)
    assert run_cli("import", "--site", str(site), str(again)) == 1
    out = capsys.readouterr().out
    assert f"防火通知（定稿）.txt: 错误: 这篇文章已存在，没有覆盖：与已有的文章 {first}" in out
    assert "标题和日期相同" in out and "--replace" in out
    assert tree_digest(site) == written

    # A corrected copy: another title and file name, a few words changed.
    text = (SHAPES / "gov-lines.txt").read_text("utf-8")
    corrected = tmp_path / "qiu-ji-fang-huo.txt"
    corrected.write_text(text.replace("青禾镇关于做好秋季森林防火工作的通知", "关于切实做好秋季森林防火工作的通知")
                         .replace("每天巡山不少于一次", "每天巡山不少于两次"), "utf-8")
    assert run_cli("import", "--site", str(site), str(corrected)) == 1
    out = capsys.readouterr().out
    assert f"qiu-ji-fang-huo.txt: 错误: 这篇文章已存在，没有覆盖：与已有的文章 {first}" in out and "正文几乎相同" in out
    assert tree_digest(site) == written

    # On purpose: --replace writes the corrected copy over the story, in its file (same URL).
    assert run_cli("import", "--site", str(site), "--replace", str(corrected)) == 0
    assert f"已替换 {corrected} → {first}" in capsys.readouterr().out
    replaced = (site / first).read_text("utf-8")
    assert front(replaced)["title"] == "关于切实做好秋季森林防火工作的通知" and "每天巡山不少于两次" in replaced
    assert len(list((site / "content/stories").rglob("*.md"))) == len([p for p in written if p.endswith(".md")
                                                                          and p.startswith("content/stories/")])


def test_two_copies_in_one_import_are_one_story(site, tmp_path, capsys):
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copyfile(SHAPES / "typed-numbering.txt", folder / "a.txt")
    shutil.copyfile(SHAPES / "typed-numbering.txt", folder / "b.txt")
    assert run_cli("import", "--site", str(site), "--replace", str(folder)) == 1
    out = capsys.readouterr().out
    assert "b.txt: 错误: 这篇文章已存在，没有覆盖：与本次导入的文章" in out
    assert len(list((site / "content/stories").rglob("qing-he-zhen-dang-yuan-dong-xun*.md"))) == 1


# ---------------------------------------------------------------- 9. the 署名/日期 line and the 落款

@pytest.mark.parametrize("date", ["2026年10月8日", "2026-10-08", "2026.10.8", "二〇二六年十月八日"])
def test_word_file_with_a_bold_title_and_a_signature_line(site, tmp_path, date):
    text = import_one(site, make_docx.signature(tmp_path / "dang-ri.docx", date))
    meta = front(text)
    assert (meta["title"], meta["date"], meta["source"]) == ("溪畔村党总支开展主题党日活动", "2026-10-08", "溪畔村党总支")
    assert "draft" not in meta and "#" not in body(text) and "2026" not in body(text)
    assert body(text).lstrip().startswith("10月8日上午")


def test_signature_line_in_a_text_file(site):
    text = import_one(site, SHAPES / "signature-under-title.txt")
    assert (front(text)["date"], front(text)["source"]) == ("2026-10-08", "溪畔村党总支")
    assert "二〇二六" not in text


@pytest.mark.parametrize("name, date, written", [("signature-at-end.txt", "2025-12-10", "2025.12.10"),
                                                 ("signature-at-end.docx", "2026-10-08", "2026-10-08")])
def test_the_signature_at_the_end_dates_a_notice(site, word, name, date, written):
    text = import_one(site, source_of(name, word))
    meta = front(text)
    assert (meta["title"], meta["date"], meta["source"]) == ("关于开展冬季送温暖活动的通知", date, "溪畔村党总支")
    assert "draft" not in meta and "请核对" not in text
    assert body(text).rstrip().endswith(f"特此通知。\n\n溪畔村党总支\n\n{written}")  # the 落款 stays, not as headings


# ---------------------------------------------------------------- 10. typed numbering

@pytest.mark.parametrize("name", ["typed-numbering.txt", "numbering.docx"])
def test_typed_numbering_is_a_list_without_backslashes(site, word, name):
    text = import_one(site, source_of(name, word))
    content = body(text)
    assert "\\" not in content
    assert re.search(r"\n1\. 集中学习党的创新理论，每个支部不少于三次专题学习。\n2\. 开展“我为群众办实事”回头看，"
                     r"逐项核对去年承诺的办理情况。\n3\. 组织党员到先进村参观学习，每人写一篇学习体会。\n", content)
    assert run_cli("--site", str(site)) == 0
    page = BeautifulSoup((site / "output/stories/qing-he-zhen-dang-yuan-dong-xun-gong-zuo-an-pai/index.html")
                         .read_text("utf-8"), "html.parser")
    items = [li.get_text() for li in page.select(".story-body ol li")]
    assert len(items) == 3 and items[0].startswith("集中学习")
    assert "\\" not in page.select_one(".story-body").get_text()
    records = [read_record(p.read_bytes()) for p in (site / "output/search/d").iterdir()]
    excerpt = next(r["x"] for r in records if "冬训" in r["t"])
    assert "集中学习党的创新理论" in excerpt and "\\" not in excerpt


def test_a_single_typed_number_keeps_its_number_without_a_visible_escape(site, tmp_path):
    old = tmp_path / "yi-tiao.txt"
    old.write_text("溪畔村议事规则修订\n发布日期：2024-03-01\n1. 议事会每月召开一次，遇到急事可以随时召开。\n"
                   "修订后的规则已张贴在村务公开栏。\n", "utf-8")
    text = import_one(site, old)
    assert "1\\. 议事会每月召开一次" in body(text)  # Markdown's own escape: shown as “1.”
    assert run_cli("--site", str(site)) == 0
    page = (site / "output/stories/xi-pan-cun-yi-shi-gui-ze-xiu-ding/index.html").read_text("utf-8")
    assert "1. 议事会每月召开一次" in page and "\\1" not in page and "1\\." not in page


# ---------------------------------------------------------------- 11. source, author and date on one line

@pytest.mark.parametrize("name", ["source-author-date.txt", "source-author-date.html", "source-author-date.docx"])
def test_source_author_and_date_on_one_line(site, word, name):
    meta = front(import_one(site, source_of(name, word)))
    assert (meta["source"], meta["author"], meta["date"]) == ("青禾镇农业农村办公室", "周婉清", "2022-11-20")


# ---------------------------------------------------------------- 12. --column and --brand by name

def test_column_by_title_and_brand_by_name(site, capsys):
    meta = front(import_one(site, SHAPES / "typed-numbering.txt", "--column", "工作动态", "--brand", "我的党建品牌"))
    assert meta["columns"] == ["news"] and meta["brand"] == "my-brand"
    assert run_cli("--site", str(site)) == 0
    capsys.readouterr()
    assert run_cli("import", "--site", str(site), "--column", "工作动向", str(SHAPES / "gov-lines.txt")) == 1
    assert '未知专栏 "工作动向"，是不是 "工作动态"？（可选：news（工作动态））' in capsys.readouterr().out


# ---------------------------------------------------------------- guessed dates and drafts

def test_a_guessed_date_makes_a_draft_that_check_warns_about_until_confirmed(site, word, capsys):
    assert run_cli("import", "--site", str(site), str(SHAPES / "gov-bullets.txt"), str(word["no-headline.docx"])) == 0
    out = capsys.readouterr().out
    path = site / "content/stories/2013/no-headline.md"
    text = path.read_text("utf-8")
    head = text.split("\n---\n")[0]
    assert "# 导入后还需要人工核对，先存为草稿" in head and "#   - 日期：正文中没有写日期，暂用 Word 文件的创建时间" in head
    assert re.search(r"\ndate: 2013-12-24 07:15  # 日期待核对：", text) and front(text)["draft"] is True
    line = next(n for n, l in enumerate(text.split("\n"), 1) if l.startswith("date:"))
    assert re.search(rf"no-headline\.md:{line}:\d+: 警告: 日期还没有核对", out)  # in import's output
    assert "完成：导入 2 篇；其中 1 篇还有需要人工核对的地方（见上），1 篇先存为草稿（draft: true" in out
    assert "--drafts" in out

    assert run_cli("--site", str(site)) == 0  # a draft is not published
    assert not (site / "output/stories/no-headline").exists()
    assert (site / "output/stories/qing-he-zhen-kai-zhan-hong-se-ke-tang-jin-tian/index.html").is_file()

    def guessed(**options) -> list:
        result = run_check(CheckOptions(site, **options))
        return [p for p in result.problems.items if p.rule == UNCONFIRMED_DATE]

    assert [(Path(p.path).name, p.line, p.level) for p in guessed(drafts=True)] == [("no-headline.md", line, "警告")]
    published = text.replace("draft: true\n", "")  # published without confirming the date: still warned
    path.write_text(published, "utf-8")
    assert len(guessed()) == 1
    path.write_text(re.sub(r"  # 日期待核对：.*", "", published), "utf-8")  # confirmed: the comment is gone
    assert guessed() == [] and guessed(drafts=True) == []


def test_a_page_with_nothing_to_check_is_not_a_draft(site, capsys):
    import_one(site, SHAPES / "gov-dl.html")
    out = capsys.readouterr().out
    assert "都已通过检查" in out and "草稿" not in out


# ---------------------------------------------------------------- the recognisers, for all inputs

_CN = "〇一二三四五六七八九"


def _chinese(day) -> str:
    def small(n: int) -> str:
        return ("" if n < 20 else _CN[n // 10]) + ("十" if n >= 10 else "") + (_CN[n % 10] if n % 10 or n < 10 else "")

    return "".join(_CN[int(c)] for c in str(day.year)) + f"年{small(day.month)}月{small(day.day)}日"


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 4))
def test_every_written_form_of_a_date_is_read(day, form):
    written = [f"{day.year}年{day.month}月{day.day}日", day.isoformat(), f"{day.year}.{day.month}.{day.day}",
               f"{day.year}/{day.month:02d}/{day.day:02d}", _chinese(day)][form]
    assert byline.find_date(written) == (datetime(day.year, day.month, day.day), False)
    assert byline.is_date_line(written) and byline.is_date_line(f"（{written}）")
    assert byline.signature(f"溪畔村党总支\u3000{written}")[:2] == ("溪畔村党总支", datetime(day.year, day.month, day.day))
    assert byline.split_trailing_date(f"李明\u3000{written}") == ("李明", written)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("来源作者时间：:文/图记者 　（）()〇一二十年月日2026-.0123456789溪畔村党总支•索引号"),
               max_size=40))
def test_the_recognisers_take_any_line(line):
    """No line of any page makes them fail; whatever they return is well formed."""
    fields, _ = labels.labelled_fields(line)
    assert all(key in labels.FIELDS for key, _ in fields)
    roles = byline.role_line(line)
    assert roles is None or all(names for _, names in roles)
    byline.signature(line), byline.find_date(line), byline.is_date_line(line), byline.clean_person(line)
    govinfo.find_runs([line, line])
