"""The site graph, built from records parsed out of small in-memory files."""
from datetime import datetime
from pathlib import Path
from textwrap import dedent

import pytest

from zhuanlan.config import Config
from zhuanlan.content import parse_file
from zhuanlan.problems import Problems
from zhuanlan.site import build_site


def story(slug: str, day: int, **keys) -> tuple[str, str]:
    keys.setdefault("title", f"文章{slug}")
    keys.setdefault("date", f"2023-01-{day:02d} 08:00")
    front = "\n".join(f"{k}: {v}" for k, v in keys.items())
    return f"stories/{slug}.md", f"---\n{front}\n---\n正文{slug}。\n"


BRANDS = [
    ("brands/wucai.md", "---\nname: 五彩\n---\n"),
    ("brands/dinglin.md", "---\nname: 鼎麟\nparent: wucai\n---\n"),
    ("brands/xiao.md", "---\nname: 小品牌\nparent: 鼎麟\n---\n"),
]
COLUMNS = [("columns/news.md", "---\ntitle: 动态\n---\n"), ("columns/work.md", "---\ntitle: 实事\n---\n")]


def make(files, drafts=False, assets=None, per_page=10):
    root = Path("/site")
    items, problems = [], Problems()
    for rel, text in files:
        parsed = parse_file(root / "content" / rel, rel, dedent(text).encode())
        problems.extend(parsed.problems)
        if parsed.item:
            items.append(parsed.item)
    config = Config(root=root, title="站", base_url="https://a.gov.cn/dj/", per_page=per_page)
    site = build_site(config, items, assets or {}, problems, drafts=drafts)
    return site, problems


def test_sub_brand_stories_show_under_parents_and_names_work_as_ids():
    site, problems = make(BRANDS + COLUMNS + [story("a", 1, brand="xiao"), story("b", 2, brand="鼎麟"),
                                              story("c", 3, brand="wucai")])
    assert not problems.items
    assert [b.id for b in site.root_brands] == ["wucai"]
    assert site.brands["xiao"].parent == "dinglin"  # parent given by name
    assert [s.slug for s in site.brand_stories["wucai"]] == ["c", "b", "a"]
    assert [s.slug for s in site.brand_stories["dinglin"]] == ["b", "a"]
    assert [s.slug for s in site.brand_stories["xiao"]] == ["a"]
    assert site.stories[1].brand == "dinglin"  # story brand given by name, stored as id


def test_unknown_brand_and_column_list_the_choices():
    _, problems = make(BRANDS + COLUMNS + [story("a", 1, brand="dinglin2", columns="[nwes]")])
    brand, column = sorted(problems.errors, key=lambda p: p.line)
    assert brand.line == 2 and '未知品牌 "dinglin2"' in brand.message and "dinglin" in brand.message
    assert "可选" in brand.message and "wucai" in brand.message
    assert column.line == 3 and '未知专栏 "nwes"' in column.message and '是不是 "news"' in column.message


def test_brand_cycles_and_unknown_parents():
    _, problems = make([("brands/a.md", "---\nname: 甲\nparent: b\n---\n"),
                        ("brands/b.md", "---\nname: 乙\nparent: a\n---\n"),
                        ("brands/c.md", "---\nname: 丙\nparent: zz\n---\n")])
    messages = " ".join(p.message for p in problems.errors)
    assert "循环" in messages and '未知的上级品牌 "zz"' in messages


def test_duplicate_slugs_name_both_files():
    files = [story("a", 1), ("stories/2023/a.md", "---\ntitle: 乙\ndate: 2023-01-02\n---\n"),
             ("stories/b.md", "---\ntitle: 丙\ndate: 2023-01-03\nslug: a\n---\n")]
    _, problems = make(files)
    assert len(problems.errors) == 2
    assert all("/stories/a/" in p.message and "重复" in p.message for p in problems.errors)


def test_column_lists_pinned_first_then_newest():
    files = COLUMNS + [story("old", 1, columns="[news]"), story("new", 5, columns="[news]"),
                       story("pin", 2, columns="[news]", pinned="true"), story("other", 9, columns="[work]")]
    site, problems = make(files)
    assert not problems.items
    assert [s.slug for s in site.column_stories["news"]] == ["pin", "new", "old"]


def test_prev_next_follow_dates_within_the_first_column():
    files = COLUMNS + [story("a", 1, columns="[news]"), story("b", 2, columns="[work]"),
                       story("c", 3, columns="[news, work]"), story("d", 4, columns="[news]")]
    site, _ = make(files)
    older, newer = site.prev_next["c"]
    assert (older.slug, newer.slug) == ("a", "d")
    assert site.prev_next["a"][0] is None and site.prev_next["d"][1] is None
    assert site.prev_next["b"] == (None, None)


def test_related_prefers_most_shared_tags_then_newest():
    files = [story("a", 1, tags="[甲, 乙]"), story("b", 2, tags="[甲]"), story("c", 3, tags="[甲, 乙]"),
             story("d", 4, tags="[丙]"), story("e", 5, tags="[甲]")]
    site, _ = make(files)
    assert [s.slug for s in site.related["a"]] == ["c", "e", "b"]
    assert site.related["d"] == []


def _linked(files, related_file):
    root = Path("/site")
    items = [parse_file(root / "content" / rel, rel, dedent(text).encode()).item for rel, text in files]
    config = Config(root=root, title="站", base_url="https://a.gov.cn/dj/")
    return build_site(config, items, {}, Problems(), related_file=related_file)


def test_related_lists_are_kept_and_worked_out_again_when_what_they_come_from_changes(tmp_path):
    """Kept related lists (site._relate) are what working them out gives: reused while the stories,
    their order, tags and brands are the same, never after one of them changed."""
    kept = tmp_path / "related.json"
    files = [story("a", 1, tags="[甲, 乙]"), story("b", 2, tags="[甲]"), story("c", 3, tags="[甲, 乙]"),
             story("d", 4, tags="[丙]"), story("e", 5, tags="[甲]")]

    def related(site):
        return {slug: [s.slug for s in others] for slug, others in site.related.items()}

    first = related(_linked(files, kept))
    assert first == related(make(files)[0]) and kept.exists()
    again = _linked(files, kept)  # read back: the lists name this build's own records
    assert related(again) == first and all(s in again.stories for others in again.related.values() for s in others)
    for changed in ([*files[:3], story("d", 4, tags="[甲]"), files[4]],  # a tag
                    [*files[:4], story("e", 0, tags="[甲]")],  # a date: the order
                    files[1:],  # a story gone
                    [*files, story("f", 6, tags="[乙]")]):  # a story added
        assert related(_linked(changed, kept)) == related(make(changed)[0])
    _linked(files, kept)
    kept.write_text(kept.read_text("utf-8").replace('"related": [[', '"related": [[99, '), "utf-8")
    assert related(_linked(files, kept)) == first  # a damaged file is not believed


def test_related_stays_cheap_for_a_tag_on_thousands_of_stories():
    files = [story(f"s{i}", 1 + i % 28, tags="[党建]") for i in range(3000)]
    site, _ = make(files)
    assert all(len(v) == 5 for v in site.related.values())


def test_tags_get_pinyin_slugs_and_clashes_are_numbered():
    site, _ = make([story("a", 1, tags="[志愿服务, 党建, 当鉴]")])
    slugs = {name: tag.slug for name, tag in site.tags.items()}
    assert slugs["志愿服务"] == "zhi-yuan-fu-wu"
    assert sorted([slugs["党建"], slugs["当鉴"]]) == ["dang-jian", "dang-jian-2"]


def test_drafts_are_left_out_unless_asked_and_links_to_them_fail():
    files = [story("a", 1, draft="true"), ("stories/b.md", "---\ntitle: 乙\ndate: 2023-01-02\n---\n[草稿](a.md)\n")]
    site, problems = make(files)
    assert [s.slug for s in site.stories] == ["b"]
    assert "草稿" in problems.errors[0].message and problems.errors[0].line == 5
    site, problems = make(files, drafts=True)
    assert not problems.items and len(site.stories) == 2


def test_links_and_assets_resolve_to_urls_under_the_base_path(tmp_path):
    image = tmp_path / "a.jpg"
    image.write_bytes(b"x" * 10)
    files = COLUMNS + [story("a", 1), ("stories/b.md", "---\ntitle: 乙\ndate: 2023-01-02\ncover: /images/a.jpg\n---\n"
                                      "[甲](a.md#小节) [专栏](/columns/news/) ![图](../images/a.jpg)\n")]
    site, problems = make(files, assets={"images/a.jpg": image})
    assert not problems.items
    b = next(s for s in site.stories if s.slug == "b")
    assert b.ref_urls == ["/dj/stories/a/#小节", "/dj/columns/news/", "/dj/images/a.jpg", "/dj/images/a.jpg"]
    assert site.assets["images/a.jpg"].size == 10


@pytest.mark.parametrize("body, words", [
    ("[x](nothere.md)", "指向的文件不存在"),
    ("![x](../images/none.jpg)", "图片"),
    ("[x](/columns/nope/)", "站内网址不存在"),
    ("[x](../../../../x.pdf)", "content 文件夹之外"),
])
def test_dead_links_and_images_are_errors_at_their_line(body, words):
    _, problems = make([("stories/b.md", f"---\ntitle: 乙\ndate: 2023-01-02\n---\n\n{body}\n")])
    [error] = problems.errors
    assert words in error.message and error.line == 6


def test_sorting_is_newest_first():
    site, _ = make([story("a", 1), story("b", 3), story("c", 2)])
    assert [s.slug for s in site.stories] == ["b", "c", "a"]
    assert site.stories[0].date == datetime(2023, 1, 3, 8, 0)
    assert [y.year for y in site.years] == [2023]


def test_a_brand_without_slogan_is_described_by_its_text_in_cold_and_cached_builds(make_site):
    import re

    from conftest import run_cli

    site = make_site({})
    page = site / "output" / "brands" / "dinglin" / "index.html"
    found = []
    for _ in range(2):  # the second build takes every record from the parse cache
        page.unlink(missing_ok=True)
        assert run_cli("--site", str(site)) == 0
        found.append(re.search(r'<meta name="description" content="([^"]*)"', page.read_text("utf-8")).group(1))
    assert found == ["子品牌介绍。", "子品牌介绍。"]
