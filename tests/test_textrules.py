"""The shared text rules: each rule finds what it should, where it is, and leaves ordinary text alone."""
from __future__ import annotations

import random
from pathlib import Path

from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from zhuanlan import textrules as t
from zhuanlan.textrules import mojibake, personal, pinyin, prose, punctuation
from zhuanlan.problems import ERROR, WARNING

REPO = Path(__file__).resolve().parent.parent
EVERYDAY = [chr(c) for c in range(0x4E00, 0x9FA6) if mojibake._common(chr(c))]  # GB2312 level 1, the 3755 most used


def synthetic_id(region: str = "330102", born: str = "19800307", serial: str = "123") -> str:
    """A made-up resident ID number with a correct check character (for tests only)."""
    first17 = region + born + serial
    return first17 + personal.id_check_digit(first17)


def luhn_complete(prefix: str) -> str:
    for digit in "0123456789":
        if personal.luhn_valid(prefix + digit):
            return prefix + digit
    raise AssertionError


def rules_of(text: str, words: t.WordList = t.NO_WORDS) -> list[str]:
    return [f.rule for f in t.scan(text, words)]


def test_check_digit_follows_the_standard():
    # The worked example of GB 11643-1999: 11010519491231002X.
    assert personal.id_check_digit("11010519491231002") == "X"
    assert personal.is_resident_id("11010519491231002X")
    assert not personal.is_resident_id("110105194912310021")  # wrong check character
    assert not personal.is_resident_id(
        "110105194902300028".replace("0028", "002" + personal.id_check_digit("11010519490230002")))


def test_id_number_is_an_error_with_its_position_and_a_masked_form():
    number = synthetic_id()
    text = f"---\ntitle: 甲\n---\n联系人张三，身份证号{number}，请核实。\n"
    found = [f for f in t.scan(text) if f.rule == t.ID_NUMBER]
    assert len(found) == 1
    finding = found[0]
    assert (finding.level, finding.line, finding.col) == (ERROR, 4, 11)
    assert number not in finding.message and "3301**********" in finding.message


def test_masked_or_invalid_numbers_are_not_reported():
    number = synthetic_id()
    wrong = number[:17] + str((int(number[17]) + 1) % 10 if number[17] != "X" else 0)
    text = f"已打码：{number[:4]}**********{number[-4:]}，校验位不对的 {wrong}，手机 138****5678。"
    assert not [f for f in t.scan(text) if f.rule in (t.ID_NUMBER, t.MOBILE, t.BANK_CARD)]


def test_bank_card_needs_a_valid_luhn_digit_and_may_be_grouped():
    card = luhn_complete("622202123456789012")  # 19 digits
    grouped = " ".join(card[i:i + 4] for i in range(0, 16, 4)) + " " + card[16:]
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    text = f"卡号{card}。\n另一张：{grouped}。\n错的：{bad}。\n"
    found = [f for f in t.scan(text) if f.rule == t.BANK_CARD]
    assert [(f.line, f.level) for f in found] == [(1, ERROR), (2, ERROR)]
    assert "**** " + card[-4:] in found[0].message


def test_mobile_numbers_are_warnings_and_the_allow_list_silences_them():
    text = "热线13905710001，个人电话 139-0571-0002，座机0571-00000000。"
    found = [f for f in t.scan(text) if f.rule == t.MOBILE]
    assert [f.level for f in found] == [WARNING, WARNING]
    allowed = t.WordList(allow=frozenset({"13905710001"}))
    assert [f.message for f in t.scan(text, allowed) if f.rule == t.MOBILE] == [found[1].message]


def test_numbers_in_links_paths_and_code_are_not_prose():
    number = synthetic_id()
    text = (f"---\ncover: ../images/{number}.jpg\n---\n[原文](https://example.gov.cn/art/{number}.html)\n"
            f"`{number}`\n\n```\n{number}\n```\n![图](files/13905710001.png)\n")
    assert not [f for f in t.scan(text) if f.rule in (t.ID_NUMBER, t.MOBILE)]


def test_forbidden_terms_and_wording_with_the_right_form():
    words = t.WordList(forbidden=("XXX",), wording=(("一带一路战略", "“一带一路”倡议"), ("两学一做", "“两学一做”学习教育")))
    text = "XXX同志指出，要推进一带一路战略。\n开展“两学一做”学习教育，两学一做要常态化。\n"
    found = [f for f in t.scan(text, words) if f.rule in (t.FORBIDDEN, t.WORDING)]
    assert [(f.rule, f.line, f.col) for f in found] == [(t.FORBIDDEN, 1, 1), (t.WORDING, 1, 12), (t.WORDING, 2, 14)]
    assert "应为““一带一路”倡议”" in found[1].message
    assert found[1].fix == "“一带一路”倡议"


def test_wrong_form_inside_the_right_form_is_not_reported():
    words = t.WordList(wording=(("两学一做", "“两学一做”学习教育"), ("陈小岚", "陈晓岚")))
    assert not [f for f in t.scan("推进“两学一做”学习教育常态化。陈晓岚说。", words) if f.rule == t.WORDING]


def test_front_matter_keys_are_not_prose_but_values_are():
    words = t.WordList(forbidden=("标题",))
    text = "---\n标题: 测试\ntags: [甲, 乙, 丙]\nsummary: 半角,逗号\n---\n正文。\n"
    found = t.scan(text, words)
    assert [(f.rule, f.line) for f in found] == [(t.PUNCTUATION, 4)]


def test_gbk_mojibake_is_found_and_repaired():
    text = "网格党员服务群众".encode("utf-8").decode("gbk")  # 缃戞牸鍏氬憳鏈嶅姟缇や紬
    found = [f for f in t.scan(f"今年的{text}活动。") if f.rule == t.MOJIBAKE]
    assert len(found) == 1 and found[0].col == 4 and found[0].fix == "网格党员服务群众"
    assert mojibake.repair_mojibake(f"今年的{text}活动。") == "今年的网格党员服务群众活动。"


def test_lossy_mojibake_is_repaired_where_possible_and_flagged_where_not():
    original = "麟湖镇党委开展“五单工作法”，为群众办实事。"
    garbled = original.encode("utf-8").decode("gbk", errors="replace")
    repaired = mojibake.repair_mojibake(garbled)
    assert repaired.startswith("麟湖镇党委开展") and "五单工作法”，为群众办实事" in repaired
    assert "\ufffd" in repaired  # the opening quote was lost for good
    assert any(f.rule == t.MOJIBAKE and "丢失" in f.message for f in t.scan(repaired))


def test_latin1_mojibake_and_known_garbage():
    latin = "党建引领".encode("utf-8").decode("cp1252", errors="replace")
    assert mojibake.repair_mojibake(f"主题：{latin}") .startswith("主题：党建")
    found = t.scan("这段话里有锟斤拷锟斤拷和替换字符\ufffd。")
    assert [f.rule for f in found] == [t.MOJIBAKE, t.MOJIBAKE]


def test_runs_of_rare_characters_are_suspected():
    assert t.MOJIBAKE in rules_of("看到了厷曗簲硶这样的字。")
    assert t.MOJIBAKE not in rules_of("朱镕基、王堃、李喆，这些人名用字偶尔出现。")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(EVERYDAY), min_size=2, max_size=30))
def test_every_cleanly_garbled_text_comes_back(chars):
    original = "".join(chars)
    try:
        garbled = original.encode("utf-8").decode("gbk")
    except UnicodeDecodeError:
        assume(False)
    assume(garbled != original)
    assert mojibake.repair_mojibake(garbled) == original


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(EVERYDAY + list("，。、；：？！“”（）《》 0123456789abc\n")), max_size=200))
def test_ordinary_chinese_is_never_called_mojibake(text):
    assert mojibake.repair_mojibake(text) == text
    assert not [f for f in t.scan(text) if f.rule == t.MOJIBAKE]


def test_pinyin_annotations_in_brackets_and_bare_ruby_text():
    text = "開(kāi)啟新征程，會(huì)议开始。大家开kāi心xīn。不是拼音：党建（DJ）(2023)。"
    found = [f for f in t.scan(text) if f.rule == t.PINYIN]
    assert [f.col for f in found] == [2, 13, 25, 29]
    assert pinyin.remove_pinyin(text) == "開啟新征程，會议开始。大家开心。不是拼音：党建（DJ）(2023)。"


def test_mixed_scripts_name_the_odd_characters():
    found = [f for f in t.scan("今天召开党员大会，會議由书记主持。\n大家发言积极。\n") if f.rule == t.MIXED_SCRIPT]
    assert len(found) == 1 and found[0].line == 1 and found[0].col == 10
    assert "會、議" in found[0].message and "会、议" in found[0].message


def test_traditional_story_is_one_warning_and_shared_characters_do_not_count():
    text = "湖畔課堂開啟了新學期，村裡的老黨員給孩子們講故事。皇后、公里、台灣都是繁體文章也用的字。"
    found = [f for f in t.scan(text) if f.rule == t.MIXED_SCRIPT]
    assert len(found) == 1 and "繁体字" in found[0].message
    assert not [f for f in t.scan("皇后来到台前，走了一公里。") if f.rule == t.MIXED_SCRIPT]


def test_half_width_punctuation_in_chinese_and_its_fix():
    text = "群众说,这样好!大家(包括老人)都满意.\n时间 9:30，数量 1,000，English, fine.\n\"党建\"引领\n"
    found = [f for f in t.scan(text) if f.rule == t.PUNCTUATION]
    assert [(f.line, f.col) for f in found] == [(1, 4), (1, 8), (1, 11), (1, 20), (3, 1)]
    assert punctuation.fix_punctuation(text.split("\n")[0]) == "群众说，这样好！大家（包括老人）都满意。"
    assert punctuation.fix_punctuation("\"党建\"引领") == "“党建”引领"
    assert punctuation.fix_punctuation("参加的人(老人,孩子)很多.") == "参加的人（老人，孩子）很多。"


def test_example_site_is_clean_of_every_text_rule():
    for path in sorted((REPO / "content").rglob("*.md")):
        found = t.scan(path.read_text("utf-8"))
        assert not found, (path, found)


def test_prose_view_keeps_positions():
    rng = random.Random(7)
    for path in sorted((REPO / "content").rglob("*.md")):
        source = path.read_text("utf-8")
        view = prose.prose_view(source)
        assert len(view) == len(source) and view.count("\n") == source.count("\n")
        index = rng.randrange(len(source))
        assert view[index] in (source[index], " ")


def test_error_rules_skip_clean_text_quickly_and_purely():
    text = (REPO / "content/stories/2023/wu-dan-gong-zuo-fa.md").read_text("utf-8")
    assert t.scan_errors(text) == [] == t.scan_errors(text)
    number = synthetic_id()
    assert [f.rule for f in t.scan_errors(text + f"\n身份证{number}\n")] == [t.ID_NUMBER]


# ---------------------------------------------------------------- mojibake runs inside clean text (issue 17)

def _gbk_read(text: str) -> str:
    """UTF-8 bytes read as GBK by Python, each byte it cannot read becoming U+FFFD."""
    return text.encode("utf-8").decode("gbk", errors="replace")


def test_a_misaligned_run_with_a_lost_byte_is_repaired_as_far_as_it_goes_and_flagged():
    text = "第一段。\n持续提升“区牎鍩哄眰鍏\ufffd建工作质量。\n"
    runs = mojibake.find_runs(text)
    assert [(r.line, r.text, r.repaired) for r in runs] == [(2, "牎鍩哄眰鍏\ufffd", "\ufffd基层\ufffd")]
    repaired, left = mojibake.repair(text)
    assert repaired == "第一段。\n持续提升“区\ufffd基层\ufffd建工作质量。\n"
    assert [(r.line, repaired[r.start:r.end]) for r in left] == [(2, "\ufffd基层\ufffd")]
    found = [f for f in t.scan(text) if f.rule == t.MOJIBAKE]
    assert [(f.line, f.col) for f in found] == [(2, 7)] and "丢失" in found[0].message


def test_short_runs_of_every_kind_inside_clean_text_come_back():
    before, run, after = "近年来，麟湖村", "党员志愿服务活动", "越办越红火，群众满意率明显提升。"
    latin = "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in run.encode("utf-8"))
    cases = {
        "UTF-8 read as GBK": run.encode("utf-8").decode("gbk", errors="replace"),
        "UTF-8 read as Latin-1": latin,
        "GBK read as Latin-1": run.encode("gbk").decode("latin-1"),
        "UTF-8 read as GBK twice": run.encode("utf-8").decode("gbk").encode("utf-8").decode("gbk"),
    }
    for name, garbled in cases.items():
        assert garbled != run
        text = before + garbled + after
        assert mojibake.repair(text) == (before + run + after, []), name
        assert [r.repaired for r in mojibake.find_runs(text)] == [run], name


def test_a_dropped_byte_loses_one_character_and_says_where():
    data = "党员志愿服务活动".encode("utf-8")
    # A byte of 志 lost; the reader then had an odd byte at the end, which it could not read either.
    garbled = (data[:7] + data[8:]).decode("gbk", errors="replace")
    repaired, left = mojibake.repair(f"今年的{garbled}很多。")
    assert repaired == "今年的党员\ufffd愿服务活\ufffd很多。" and len(left) == 1


def test_text_that_cannot_be_recovered_is_flagged_with_its_line():
    garbled = "党建引领".encode("gbk").decode("utf-8", errors="replace")  # GBK read as UTF-8: the bytes are gone
    text = f"标题\n今年{garbled}工作。\n"
    repaired, left = mojibake.repair(text)
    assert repaired == text and left and all(r.line == 2 and r.repaired is None for r in left)
    assert [f.line for f in t.scan(text) if f.rule == t.MOJIBAKE] == [2] * len(left)


def test_names_with_rare_characters_and_traditional_text_are_left_alone():
    for text in ("朱镕基、王堃、李喆，这些人名用字偶尔出现。", "麒麟村的饕餮美食节，吸引了鑫淼公司。",
                 "湖畔課堂開啟了新學期，羣衆說好。", "温度 30°C，长 3×4 米，3–5 天，¥100，é 是拼音字母。"):
        assert mojibake.repair(text) == (text, []), text
        assert not mojibake.find_runs(text), text


def test_traditional_example_stories_are_never_called_mojibake():
    from zhuanlan.hanzi import _converter

    for path in sorted((REPO / "content/stories").rglob("*.md")):
        text = _converter("s2t").convert(path.read_text("utf-8"))
        assert not [f for f in t.scan(text) if f.rule == t.MOJIBAKE], path


def test_benchmark_corpus_has_no_false_alarm():
    import sys

    sys.path.insert(0, str(REPO / "benchmarks"))
    import corpus

    rng = random.Random(17)
    for index in range(60):
        body = corpus.story_body(rng, index, 60)
        assert not [f for f in t.scan(body) if f.rule == t.MOJIBAKE], body
        assert mojibake.repair(body) == (body, [])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(EVERYDAY + list("麒麟堃喆镕淼鑫饕餮琍珺玥祎，。“”（）—– 0123456789abc·°×\n")),
               max_size=200))
@example("水温30°°C，误差±±0.5")  # in GBK the bytes of “°°” are 鞍 and of “±±” 北: symbols stay symbols
def test_ordinary_chinese_with_rare_names_is_never_changed(text):
    assert mojibake.repair_mojibake(text) == text
    assert all(r.repaired is None for r in mojibake.find_runs(text))


def test_half_width_marks_right_after_a_closing_quote_or_bracket():
    text = "推行“五单工作法”,群众满意（九成以上）,效果好”.\n数据(2023),English \"x\", ok.\n"
    found = [f for f in t.scan(text) if f.rule == t.PUNCTUATION]
    assert [(f.line, f.col, f.fix) for f in found] == [(1, 10, "，"), (1, 21, "，"), (1, 26, "。")]
    assert punctuation.fix_punctuation(text) == (
        "推行“五单工作法”，群众满意（九成以上），效果好”。\n数据(2023),English \"x\", ok.\n")
