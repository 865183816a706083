"""`python build.py import`: old pages, Word files and text files become stories that build and check.

The fixtures in tests/fixtures/import/ are our own writing (fictional town, people and numbers)
and reproduce what copied pages bring along: a government-disclosure page with its 政务公开 table,
a traditional-script page with pinyin annotations, a GBK page, and a news page full of chrome.
"""
from __future__ import annotations

import io
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from conftest import REPO, run_cli, tree_digest
from test_textrules import synthetic_id

from zhuanlan.check import CheckOptions, run_check

FIXTURES = REPO / "tests/fixtures/import"


def png(width: int = 8, height: int = 6, rgb=(178, 18, 27)) -> bytes:
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def make_docx(path: Path) -> Path:
    """A Word file as an officer writes one: title, date and source lines, headings, a list, a table, a photo."""
    import docx
    from docx.shared import Cm

    document = docx.Document()
    document.add_paragraph("“共富工坊”让村民在家门口增收", style="Title")
    document.add_paragraph("发布日期：2018-08-09")
    document.add_paragraph("来源：麟湖镇组织办　作者：赵思琪")
    document.add_paragraph("周家村的共富工坊里，二十多位村民正在给竹编工艺品上漆。")
    document.add_paragraph("一、主要做法", style="Heading 1")
    document.add_paragraph("村党支部牵头，把闲置的老粮站改成了工坊。")
    document.add_paragraph("党员带头学手艺", style="List Bullet")
    document.add_paragraph("企业上门送订单", style="List Bullet")
    document.add_paragraph("增收情况")
    document.add_paragraph("今年以来，工坊带动村民人均增收八千余元。")
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("月份", "订单（件）"), ("一月", "1200"), ("二月", "1500")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_picture(io.BytesIO(png()), width=Cm(4))
    document.add_paragraph("村民在工坊里编织竹篮")
    document.add_paragraph("工坊的下一步，是把产品卖到更远的地方。")
    document.save(str(path))
    return path


@pytest.fixture
def site(tmp_path):
    folder = tmp_path / "site"
    assert run_cli("new", str(folder)) == 0
    return folder


@pytest.fixture
def sources(tmp_path):
    folder = tmp_path / "old"
    # The shapes of issue 17 and the script making their Word files have tests of their own (test_import_shapes.py).
    shutil.copytree(FIXTURES, folder, ignore=shutil.ignore_patterns("shapes", "make_docx.py", "__pycache__"))
    make_docx(folder / "gong-fang.docx")
    return folder


def story(site: Path, name: str) -> str:
    matches = list((site / "content/stories").rglob(name))
    assert len(matches) == 1, [p.relative_to(site) for p in (site / "content/stories").rglob("*.md")]
    return matches[0].read_text("utf-8")


def front(text: str) -> dict:
    from zhuanlan.frontmatter import load_yaml

    return load_yaml(text.split("---\n")[1], 2)  # as the build reads it: dates stay text


def body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


CHROME = ["欢迎使用手机浏览", "字体", "放大", "浏览次数", "阅读量", "点击数", "关于我们", "网站地图", "版权所有", "ICP",
          "公网安备", "未经授权", "标签", "留言与评论", "验证码", "分享到", "打印本页", "关闭窗口", "上一篇", "下一篇",
          "当前位置", "您现在的位置", "相关新闻", "Copyright", "无障碍"]


def test_government_disclosure_page(site, sources, capsys):
    assert run_cli("import", "--site", str(site), "--column", "news", str(sources / "gov-disclosure.html")) == 0
    text = story(site, "lin-hu-zhen-guan-yu-kai-zhan-dang-yuan-jin-wang.md")
    meta = front(text)
    assert meta["title"] == "麟湖镇关于开展“党员进网格”活动的通知"
    assert meta["date"] == "2023-01-06 10:20"
    assert meta["source"] == "麟湖镇党建工作办公室" and meta["columns"] == ["news"]
    assert meta["gov"] == {"索引号": "003399001/2023-00001", "主题分类": "党建工作", "发布机构": "中共麟湖镇委员会",
                           "文号": "麟党〔2023〕1号", "成文日期": "2023-01-05", "关键词": "党员进网格；基层治理"}
    content = body(text)
    for word in CHROME:
        assert word not in content, word
    assert "\n## 一、活动内容\n" in content and "\n### （一）亮身份\n" in content and "\n## 二、工作要求\n" in content
    assert "| 西塘一组 | 李明远 | 6 |" in content
    slug = "lin-hu-zhen-guan-yu-kai-zhan-dang-yuan-jin-wang"
    assert f'![党员进网格动员会现场]({slug}/grid-meeting.png "党员进网格动员会现场")' in content
    copied = site / f"content/stories/2023/{slug}/grid-meeting.png"
    assert copied.read_bytes() == (sources / "images/grid-meeting.png").read_bytes()
    assert content.rstrip().endswith("特此通知。\n\n中共麟湖镇委员会\n\n2023年1月5日")  # the signature is no heading
    assert content.count(meta["title"]) == 0  # the <h1> became the title, not a line of the body
    out = capsys.readouterr().out
    assert "已导入" in out and "都已通过检查" in out
    assert run_cli("--site", str(site)) == 0
    assert (site / f"output/stories/{slug}/index.html").is_file()
    # The copied picture is published through the image pipeline, under a content-hashed name.
    page = (site / f"output/stories/{slug}/index.html").read_text("utf-8")
    shown = re.findall(r'src="/dangjian/([^"]*grid-meeting[^"]*)"', page)
    assert shown and all((site / "output" / rel).is_file() for rel in shown)


def test_traditional_page_with_pinyin(site, sources, capsys):
    assert run_cli("import", "--site", str(site), str(sources / "traditional-pinyin.html")) == 0
    text = story(site, "hu-pan-ke-tang-kai-qi-xin-xue-qi.md")
    assert front(text)["title"] == "湖畔課堂開啟新學期" and front(text)["date"] == "2022-09-03"
    assert front(text)["author"] == "陳曉嵐"
    assert not re.search(r"kāi|huì|[(（][a-zāáǎà]", text)
    assert "會議室裡" in text and "湖畔課堂會一直辦下去" in text
    assert "首頁" not in text and "版權" not in text and "Copyright" not in text
    out = capsys.readouterr().out
    assert "繁体字" in out and "--simplified" in out  # what is left to fix is said

    shutil.rmtree(site / "content/stories/2022")
    assert run_cli("import", "--site", str(site), "--simplified", str(sources / "traditional-pinyin.html")) == 0
    text = story(site, "hu-pan-ke-tang-kai-qi-xin-xue-qi.md")
    assert front(text)["title"] == "湖畔课堂开启新学期" and front(text)["author"] == "陈晓岚"
    assert "会议室里坐满了家长" in text and "九月的第一个周末" in text
    assert "繁体字" not in capsys.readouterr().out


def test_gbk_page(site, sources, capsys):
    assert run_cli("import", "--site", str(site), str(sources / "gbk-page.html")) == 0
    text = story(site, "wang-ge-lian-xin-fu-wu-dao-jia.md")
    assert front(text)["title"] == "网格连心 服务到家"
    assert front(text)["date"] == "2018-08-09" and front(text)["source"] == "麟湖镇综治办"
    assert "\n## 网格员每天走访\n" in text and "一万二千余户" in text
    assert "点击数" not in text and "版权所有" not in text and "首页" not in text
    assert "GB18030 编码" in capsys.readouterr().out


def test_gbk_text_without_a_declared_encoding(site, tmp_path):
    old = tmp_path / "旧稿.txt"
    old.write_bytes("湖畔党课第二讲\n发布日期：2023年2月3日\n党课请来了老支书讲麟湖的变化。\n".encode("gbk"))
    assert run_cli("import", "--site", str(site), str(old)) == 0
    text = story(site, "hu-pan-dang-ke-di-er-jiang.md")
    assert front(text)["date"] == "2023-02-03" and "老支书讲麟湖的变化" in text


def test_news_page_full_of_chrome(site, sources, capsys):
    assert run_cli("import", "--site", str(site), str(sources / "news-chrome.html")) == 0
    text = story(site, "ding-lin-lei-tai-sai-9-ge-dang-zhi-bu-bi-xue.md")
    meta = front(text)
    assert meta["title"] == "鼎麟擂台赛：9个党支部比学赶超"
    assert (meta["date"], meta["source"], meta["author"], meta["editor"]) == (
        "2023-06-28 15:30", "麟湖新闻网", "李明远", "王一鸣")
    content = body(text)
    for word in CHROME + ["热点排行", "设为首页", "网友评论", "凡本网注明"]:
        assert word not in content, word
    assert "\n## 擂台设三轮\n" in content
    assert "- 业务知识抢答\n- 服务案例讲评\n- 群众代表打分" in content
    assert "党员志愿服务活动每周都有，群众说好。" in content  # mojibake repaired
    assert "群众代表说，这样的擂台让机关干部的服务看得见！" in content  # half-width punctuation fixed
    assert "党建引\ufffd工作取得实效" in content  # a character lost for good stays marked ...
    out = capsys.readouterr().out
    line = next(n for n, l in enumerate(text.split("\n"), 1) if "党建引" in l)
    assert re.search(rf"ding-lin-lei-tai-sai-9-ge-dang-zhi-bu-bi-xue\.md:{line}:\d+: 警告: 乱码", out)  # ... and said
    assert re.search(r"\.md:\d+:1: 警告: 图片 https://img\.news\.example\.com/2023/06/leitai\.jpg 来自其他网站", out)
    assert "还有需要人工核对的地方" in out


def test_text_file(site, sources):
    assert run_cli("import", "--site", str(site), str(sources / "old-notice.txt")) == 0
    text = story(site, "lin-hu-zhen-hu-pan-dang-ke-kai-jiang-la.md")
    meta = front(text)
    assert (meta["title"], meta["date"], meta["source"], meta["author"]) == (
        "麟湖镇湖畔党课开讲啦", "2023-01-06", "西塘村党支部", "李明远")
    assert "\n## 党课内容\n" in text and "\n## 下一步打算\n" in text
    assert "大家围坐在一起，聊起了村里的变化。" in text


def test_word_file(site, sources):
    assert run_cli("import", "--site", str(site), "--brand", "my-brand", str(sources / "gong-fang.docx")) == 0
    text = story(site, "gong-fu-gong-fang-rang-cun-min-zai-jia-men-kou.md")
    meta = front(text)
    assert (meta["title"], meta["date"], meta["source"], meta["author"], meta["brand"]) == (
        "“共富工坊”让村民在家门口增收", "2018-08-09", "麟湖镇组织办", "赵思琪", "my-brand")
    content = body(text)
    assert "\n## 一、主要做法\n" in content and "\n## 增收情况\n" in content
    assert "- 党员带头学手艺\n- 企业上门送订单" in content
    assert "| 月份 | 订单（件） |\n|---|---|\n| 一月 | 1200 |" in content
    assert re.search(r'!\[村民在工坊里编织竹篮\]\(gong-fu-gong-fang-[a-z-]+/image-1\.png "村民在工坊里编织竹篮"\)', content)
    images = list((site / "content/stories/2018").rglob("image-1.png"))
    assert len(images) == 1 and images[0].read_bytes() == png()
    assert run_cli("--site", str(site)) == 0


def test_never_overwrites_and_dry_run_writes_nothing(site, sources, capsys):
    before = tree_digest(site)
    assert run_cli("import", "--site", str(site), "--dry-run", str(sources)) == 0
    out = capsys.readouterr().out
    assert tree_digest(site) == before
    assert "将导入" in out and "试运行" in out and "title: 麟湖镇湖畔党课开讲啦" in out
    assert run_cli("import", "--site", str(site), str(sources)) == 0
    capsys.readouterr()
    written = tree_digest(site)
    assert len(written) == len(before) + 6 + 2  # six stories, two images
    assert run_cli("import", "--site", str(site), str(sources / "old-notice.txt")) == 1
    assert "已存在，没有覆盖" in capsys.readouterr().out
    assert tree_digest(site) == written


def test_bad_arguments_say_what_to_do(site, tmp_path, capsys):
    old = tmp_path / "a.txt"
    old.write_text("标题\n正文。\n", "utf-8")
    assert run_cli("import", "--site", str(site), "--column", "new", str(old)) == 1
    assert '未知专栏 "new"，是不是 "news"？' in capsys.readouterr().out
    (tmp_path / "b.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    assert run_cli("import", "--site", str(site), str(tmp_path / "b.doc"), str(tmp_path / "none.txt")) == 1
    out = capsys.readouterr().out
    assert "另存为 .docx" in out and "找不到这个文件" in out
    assert not list((site / "content/stories").rglob("a*.md"))


def test_personal_data_in_an_import_is_reported_as_an_error(site, tmp_path, capsys):
    old = tmp_path / "名单.txt"
    old.write_text(f"志愿者名单\n时间：2023-03-01\n李明远，身份证号{synthetic_id()}。\n", "utf-8")
    assert run_cli("import", "--site", str(site), str(old)) == 0
    out = capsys.readouterr().out
    assert re.search(r"zhi-yuan-zhe-ming-dan\.md:\d+:\d+: 错误: 未打码的居民身份证号码", out)
    assert run_cli("--site", str(site)) == 1  # and the build will not publish it


def test_an_image_without_alt_text_is_reported_once(site, tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(png())
    old = tmp_path / "huo-dong.html"
    old.write_text("<html><head><title>党建活动</title></head><body><h1>党建活动</h1>"
                   "<p>2023年6月28日，社区召开党员大会，大家积极发言。</p><p><img src=\"a.png\"></p></body></html>", "utf-8")
    assert run_cli("import", "--site", str(site), str(old)) == 0
    unlabelled = [line for line in capsys.readouterr().out.splitlines() if "没有说明文字" in line]
    assert len(unlabelled) == 1, unlabelled
    assert re.search(r"dang-jian-huo-dong\.md:\d+: 警告: 图片 \"dang-jian-huo-dong/a\.png\" 没有说明文字", unlabelled[0])


def test_imported_site_builds_and_check_agrees_with_the_import_report(site, sources, capsys):
    assert run_cli("import", "--site", str(site), "--column", "news", "--simplified", str(sources)) == 0
    out = capsys.readouterr().out
    assert run_cli("--site", str(site)) == 0
    result = run_check(CheckOptions(site))
    assert not result.problems.has_errors()
    imported = {p for p in result.problems.items if "/stories/20" in p.path and p.level != "提示"}
    for problem in imported:  # every warning check gives was already named by the import
        assert f"{Path(problem.path).name}:{problem.line}:{problem.col}" in out, problem


def test_imported_story_reads_well_on_a_phone(site, sources, phone, tmp_path):
    from conftest import serve

    assert run_cli("import", "--site", str(site), "--column", "news", str(sources / "gov-disclosure.html")) == 0
    assert run_cli("--site", str(site)) == 0
    server = serve(site / "output", "/dangjian/")
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/dangjian/"
        phone.goto(base + "stories/lin-hu-zhen-guan-yu-kai-zhan-dang-yuan-jin-wang/")
        assert phone.locator("h1").first.inner_text() == "麟湖镇关于开展“党员进网格”活动的通知"
        assert phone.locator("article h2, main h2").filter(has_text="一、活动内容").count() == 1
        assert phone.locator("table").filter(has_text="西塘一组").count() == 1
        image = phone.locator("figure img").first
        # Loaded, and the 8-pixel picture is offered at its own width (naturalWidth would be the
        # density-corrected width that `sizes` asks for, not the file's).
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        assert image.get_attribute("width") == "8" and " 8w" in image.get_attribute("srcset")
        assert phone.locator("figcaption").first.inner_text() == "党员进网格动员会现场"
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, "the page scrolls sideways on a phone"
        phone.screenshot(path=str(tmp_path / "imported.png"), full_page=True)
        assert not [u for u in phone.requests if not u.startswith(base)]
    finally:
        server.shutdown()


def test_site_name_in_an_h1_and_a_saved_wechat_article(site, tmp_path):
    page = tmp_path / "logo-h1.html"
    page.write_text("<html><head><title>湖畔党课第三讲开讲_麟湖镇人民政府</title></head><body>"
                    "<h1 class='logo'>麟湖镇人民政府</h1><div class='content'><h1>湖畔党课第三讲开讲</h1>"
                    "<p>发布时间：2023-03-08</p><p>第三讲由老支书讲麟湖的变迁，村民们听得很认真。</p></div></body></html>",
                    "utf-8")
    wechat = tmp_path / "wechat.html"
    wechat.write_text("<html><head><meta property='og:title' content='网格员的一天'></head><body>"
                      "<h1 id='activity-name' class='rich_media_title'>网格员的一天</h1>"
                      "<div id='js_content' class='rich_media_content'><section><p>早上七点，网格员已经开始巡查。"
                      "</p><p><img data-src='https://mmbiz.example.com/a.png' alt=''></p></section></div>"
                      "<script>var ct = \"1672972800\";</script></body></html>", "utf-8")
    assert run_cli("import", "--site", str(site), str(page), str(wechat)) == 0
    first = story(site, "hu-pan-dang-ke-di-san-jiang-kai-jiang.md")
    assert front(first)["title"] == "湖畔党课第三讲开讲" and front(first)["date"] == "2023-03-08"
    assert "麟湖镇人民政府" not in first
    second = story(site, "wang-ge-yuan-de-yi-tian.md")
    assert front(second)["date"].startswith("2023-01-06 10:40")  # the timestamp the page keeps, Beijing time
    assert "请核对" in second and "https://mmbiz.example.com/a.png" in second


def test_sentences_that_look_like_labels_or_chrome_stay(site, tmp_path):
    old = tmp_path / "服务站.txt"
    old.write_text("红色代办服务站开张\n发布时间：2023-04-01\n时间：每周三下午，地点：村委会二楼。\n"
                   "群众扫一扫二维码就能反映问题，网格员当天回复。\n分享到\n", "utf-8")
    assert run_cli("import", "--site", str(site), str(old)) == 0
    text = story(site, "hong-se-dai-ban-fu-wu-zhan-kai-zhang.md")
    assert front(text)["date"] == "2023-04-01"
    assert "时间：每周三下午，地点：村委会二楼。" in text
    assert "群众扫一扫二维码就能反映问题" in text and "分享到" not in text
