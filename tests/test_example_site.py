"""The repository's example site, built as a user builds it, checked page by page and link by link."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote, urlsplit

import pytest

from htmlcheck import PageInfo, read_page, target_file

BASE = "https://www.linhu.example.gov.cn/dangjian/"
ATOM = "{http://www.w3.org/2005/Atom}"


def all_pages(output):
    return sorted(output.rglob("*.html"))


def test_url_contract_pages_exist(example_output):
    for rel in ["index.html", "stories/wu-dan-gong-zuo-fa/index.html", "brands/wucai-linhu/index.html",
                "brands/dinglin/index.html", "columns/banshishi/index.html", "columns/qijiang-qibi/index.html",
                "tags/zhi-yuan-fu-wu/index.html", "tags/index.html", "archive/index.html", "archive/2023/index.html",
                "search/index.html", "sitemap/index.html", "sitemap.xml", "feed.xml",
                "columns/banshishi/feed.xml", "404.html", "robots.txt", "about/index.html",
                "static/css/site.css", "files/wudan-gongzuofa.pdf"]:
        assert (example_output / rel).is_file(), rel
    # Photos are published only as derivatives with content-hashed names, never as uploaded.
    assert not (example_output / "images/cover-wudan.jpg").exists()
    for pattern in ("cover-wudan-480x360.*.webp", "cover-wudan-480x360.*.jpg", "photo-jiedan-960.*.webp",
                    "photo-jiedan-960.*.jpg", "logo-wucai.*.svg"):
        assert re.fullmatch(r"[\w-]+\.[0-9a-f]{10}\.\w+", next((example_output / "images").glob(pattern)).name)


def test_drafts_are_not_built(example_output):
    assert not (example_output / "stories/draft-nian-zhong-zong-jie").exists()
    assert "草稿" not in (example_output / "index.html").read_text("utf-8")


def test_every_internal_link_and_resource_resolves(example_output):
    checked = 0
    for page in all_pages(example_output):
        info = PageInfo(page.read_text("utf-8"))
        for url in info.links + info.resources:
            parts = urlsplit(url)
            if parts.scheme or url.startswith(("#", "mailto:", "tel:")):
                continue
            assert url.startswith("/dangjian/"), f"{page}: {url} is not under the base path"
            target = target_file(example_output, url)
            assert target.is_file(), f"{page.relative_to(example_output)} links to missing {url}"
            if parts.fragment and target.suffix == ".html":
                ids = PageInfo(target.read_text("utf-8")).ids
                assert unquote(parts.fragment) in ids, f"{url}: no element with that id"
            checked += 1
    assert checked > 500


def test_no_page_loads_anything_from_another_host(example_output):
    for page in all_pages(example_output):
        info = PageInfo(page.read_text("utf-8"))
        foreign = [u for u in info.resources if urlsplit(u).netloc]
        assert not foreign, f"{page}: {foreign}"
    css = (example_output / "static/css/site.css").read_text("utf-8")
    assert "http" not in css and "@import" not in css


def test_every_page_has_title_description_canonical_og_and_site_meta(example_output):
    for page in all_pages(example_output):
        info = PageInfo(page.read_text("utf-8"))
        name = page.relative_to(example_output).as_posix()
        assert info.title.strip(), name
        for key in ("description", "og:title", "og:description", "SiteName", "SiteDomain", "SiteIDCode"):
            assert info.meta.get(key), f"{name}: {key}"
        assert info.meta["SiteName"] == "五彩麟湖·五美党建"
        assert info.meta["SiteDomain"] == "www.linhu.example.gov.cn"
        assert info.meta["SiteIDCode"] == "3399000001"
        html = page.read_text("utf-8")
        assert re.search(r'<link rel="canonical" href="https://www\.linhu\.example\.gov\.cn/dangjian/', html), name
        assert '<html lang="zh-CN">' in html


def test_story_page(example_output):
    html = (example_output / "stories/wu-dan-gong-zuo-fa/index.html").read_text("utf-8")
    info = PageInfo(html)
    assert info.meta["ArticleTitle"] == "“五单工作法”让群众的小心愿有人接、有回音"
    assert info.meta["PubDate"] == "2023-03-15 09:30"
    assert info.meta["ContentSource"] == "麟湖镇党建工作办公室"
    assert re.fullmatch(re.escape(BASE) + r"images/cover-wudan-1200\.[0-9a-f]{10}\.jpg", info.meta["og:image"])
    assert (info.meta["og:image:width"], info.meta["og:image:height"]) == ("1200", "675")
    assert "<link rel=\"canonical\" href=\"" + BASE + "stories/wu-dan-gong-zuo-fa/\">" in html
    assert "2023-03-15 09:30" in html and "来源：麟湖镇党建工作办公室" in html
    assert "作者：陈晓岚" in html and "责任编辑：王一鸣" in html
    for label, value in [("索引号", "003399001/2023-00015"), ("主题分类", "党建工作"), ("发布机构", "中共麟湖镇委员会"),
                         ("文号", "麟党办〔2023〕5号"), ("成文日期", "2023-03-10"), ("发布日期", "2023-03-15"),
                         ("关键词", "五单工作法；为民办实事")]:
        assert re.search(rf"<th scope=\"row\">{label}</th><td>{re.escape(value)}</td>", html), label
    assert 'href="/dangjian/brands/wucai-linhu/"' in html
    assert 'href="/dangjian/columns/banshishi/"' in html
    assert 'href="/dangjian/tags/wu-dan-gong-zuo-fa/"' in html
    assert "<figure>" in html and "<figcaption>周家村党员在“接单墙”前认领群众心愿</figcaption>" in html
    assert '<div class="table-wrap"><table>' in html
    assert 'href="/dangjian/stories/lin-hu-bang-bang-tuan/"' in html  # a .md link became the story URL
    assert 'href="/dangjian/files/wudan-gongzuofa.pdf" download' in html and "KB）" in html
    assert "上一篇" in html and "相关阅读" in html
    assert 'id="五张单子怎么走"' in html


def test_previous_and_next_stay_in_the_column(example_output):
    html = (example_output / "stories/wu-dan-gong-zuo-fa/index.html").read_text("utf-8")
    prev_next = html[html.index('class="prev-next"'):]
    assert 'href="/dangjian/stories/lin-hu-bang-bang-tuan/" rel="prev"' in prev_next  # older, same column
    assert 'rel="next"' in prev_next


def test_column_page_meta_and_listing(example_output):
    info = read_page(example_output, "/dangjian/columns/banshishi/")
    assert info.meta["ColumnName"] == "我为群众办实事"
    assert info.meta["ColumnType"] == "专题专栏"
    assert "为群众解难题" in info.meta["ColumnDescription"]
    assert "五单工作法" in info.meta["ColumnKeywords"]
    html = target_file(example_output, "/dangjian/columns/banshishi/").read_text("utf-8")
    titles = re.findall(r'<span class="story-title">(.*?)</span>\s*<span', html)
    assert "置顶" in titles[0]  # the pinned story leads
    dates = re.findall(r'<time class="story-date" datetime="([^"]+)"', html)
    assert dates[1:] == sorted(dates[1:], reverse=True)


def test_story_pages_have_no_column_meta_and_lists_have_no_article_meta(example_output):
    story = read_page(example_output, "/dangjian/stories/hu-pan-ke-tang/")
    column = read_page(example_output, "/dangjian/columns/qijiang-qibi/")
    assert "ColumnName" not in story.meta and "ArticleTitle" not in column.meta


def test_home_has_brand_matrix_columns_pinned_and_latest(example_output):
    html = (example_output / "index.html").read_text("utf-8")
    for words in ("品牌矩阵", "五彩麟湖·五美党建", "鼎麟", "鼎力为民 麟跃争先", "网格连心", "置顶", "最新案例",
                  "七讲七比·争先攀高", "我为群众办实事", "--brand: #8a5a00"):
        assert words in html, words
    assert re.search(r'<img src="/dangjian/images/logo-dinglin\.[0-9a-f]{10}\.svg" width="120" height="120" '
                     r'alt="鼎麟标志" class="brand-logo"', html)


def test_brand_page_lists_sub_brand_stories_under_the_parent(example_output):
    parent = target_file(example_output, "/dangjian/brands/wucai-linhu/").read_text("utf-8")
    assert "子品牌" in parent and "鼎麟擂台赛" in parent  # a 鼎麟 story on the parent's page
    child = target_file(example_output, "/dangjian/brands/dinglin/").read_text("utf-8")
    assert "鼎麟擂台赛" in child and "共富工坊" not in child


def test_footer_legal_items(example_output):
    html = (example_output / "index.html").read_text("utf-8")
    assert "主办单位" in html and "中共麟湖镇委员会" in html
    assert '<a href="https://beian.miit.gov.cn/"' in html and "浙ICP备00000000号-1" in html
    assert 'href="https://beian.mps.gov.cn/#/query/webSearch?code=33000000000000"' in html
    assert "网站标识码" in html and "3399000001" in html
    assert "版权所有 © 中共麟湖镇委员会" in html


def test_feeds_are_valid_atom_with_absolute_links(example_output):
    root = ET.parse(example_output / "feed.xml").getroot()
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 10
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert all(link.startswith(BASE + "stories/") for link in links)
    assert entries[0].find(f"{ATOM}published").text.endswith("+08:00")
    column = ET.parse(example_output / "columns/banshishi/feed.xml").getroot()
    assert "我为群众办实事" in column.find(f"{ATOM}title").text
    assert len(column.findall(f"{ATOM}entry")) == 5


def test_sitemap_xml_lists_every_story_and_robots_points_to_it(example_output):
    root = ET.parse(example_output / "sitemap.xml").getroot()
    locs = [u.find("{http://www.sitemaps.org/schemas/sitemap/0.9}loc").text for u in root]
    assert BASE in locs and BASE + "stories/gong-fu-gong-fang/" in locs
    assert sum(1 for loc in locs if "/stories/" in loc) == 10
    assert f"Sitemap: {BASE}sitemap.xml" in (example_output / "robots.txt").read_text("utf-8")


def test_html_site_map_and_archive(example_output):
    sitemap = target_file(example_output, "/dangjian/sitemap/").read_text("utf-8")
    for words in ("网站地图", "党建品牌", "专栏", "按年份", "关于我们"):
        assert words in sitemap
    archive = target_file(example_output, "/dangjian/archive/").read_text("utf-8")
    assert "2024 年" in archive and "2022 年" in archive


def test_404_page_works_at_any_depth(example_output):
    html = (example_output / "404.html").read_text("utf-8")
    assert "页面未找到" in html
    assert 'href="/dangjian/static/css/site.css"' in html  # root-relative, so it works anywhere


@pytest.mark.parametrize("url", ["/dangjian/stories/hu-pan-ke-tang/", "/dangjian/"])
def test_reading_time_and_summaries(example_output, url):
    html = target_file(example_output, url).read_text("utf-8")
    assert "阅读约" in html or "story-summary" in html
