import re

from hypothesis import given, strategies as st

from zhuanlan.text import ASCII_SLUG, count_characters, reading_minutes, slugify, summarize


def test_slugify_makes_pinyin_slugs():
    assert slugify("志愿服务") == "zhi-yuan-fu-wu"
    assert slugify("鼎麟") == "ding-lin"
    assert slugify("5G党建 Hello") == "5g-dang-jian-hello"
    assert slugify("ＡＢＣ_def") == "abc-def"  # full-width letters are folded
    assert slugify("★") == ""


@given(st.text(max_size=30))
def test_slugify_is_always_an_ascii_slug_or_empty(text):
    slug = slugify(text)
    assert slug == "" or ASCII_SLUG.match(slug)


def test_summary_takes_whole_sentences():
    text = "麟湖镇党委坚持把党建工作与基层治理深度融合。创新推出五单工作法！" + "后面的句子很长很长。" * 20
    summary = summarize(text)
    assert summary.startswith("麟湖镇党委坚持把党建工作与基层治理深度融合。")
    assert summary.endswith(("。", "！"))
    assert len(summary) <= 150


def test_summary_of_one_long_sentence_cuts_at_a_clause_with_ellipsis():
    text = "这是一个很长的分句，" * 40
    summary = summarize(text)
    assert summary.endswith("……")
    assert not summary.endswith("，……")
    assert len(summary) <= 152


def test_summary_keeps_closing_quotes_with_the_sentence():
    assert summarize("他说：“单子不怕多，就怕接了不办。”后来呢？", target=10) == "他说：“单子不怕多，就怕接了不办。”"


@given(st.text(alphabet=st.sampled_from(list("党建引领基层治理，。！？ab 1")), max_size=400))
def test_summary_is_a_prefix_of_the_text_and_bounded(text):
    summary = summarize(text)
    flat = re.sub(r"\s+", " ", text).strip()
    core = summary[:-2] if summary.endswith("……") else summary
    assert flat.startswith(core)
    assert len(summary) <= 152


def test_reading_time_is_about_400_characters_a_minute():
    assert reading_minutes(count_characters("字" * 10)) == 1
    assert reading_minutes(count_characters("字" * 400)) == 1
    assert reading_minutes(count_characters("字" * 401)) == 2
    assert reading_minutes(count_characters("字 \n" * 1200)) == 3  # white space does not count
