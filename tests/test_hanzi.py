"""Traditional ↔ simplified through OpenCC: running text with its phrases, tables character by character."""
from __future__ import annotations

import json

from zhuanlan import hanzi


def test_running_text_follows_opencc_phrases():
    assert hanzi.t2s("開啟新學期") == "开启新学期"
    assert hanzi.t2s("乾隆年間") == "乾隆年间"  # a phrase keeps 乾


def test_tables_convert_each_character_on_its_own():
    # Out of its phrase, 乾 takes OpenCC's first choice; characters that do not change are left out.
    assert hanzi.t2s_chars("乾隆年間") == {"乾": "干", "間": "间"}
    assert hanzi.s2t_chars("党建") == {"党": "黨"}
    assert hanzi.t2s_chars([]) == {}


def test_tables_are_kept_in_the_cache_file_and_worked_out_again_when_it_is_damaged(tmp_path):
    chars = "乾隆年間開學黨建"
    path = tmp_path / ".cache" / "hanzi.json"
    hanzi.keep_tables_in(path)
    try:
        assert hanzi.t2s_chars(chars) == {"乾": "干", "間": "间", "開": "开", "學": "学", "黨": "党"}
        kept = json.loads(path.read_text("utf-8"))
        assert list(kept.values()) == [{"乾": "干", "間": "间", "開": "开", "學": "学", "黨": "党"}]
        key = next(iter(kept))
        path.write_text(json.dumps({key: {"乾": "乾?"}}), "utf-8")  # what the file says is what is used
        assert hanzi.t2s_chars(chars) == {"乾": "乾?"}
        assert hanzi.t2s_chars(chars + "後") != {"乾": "乾?"}  # other characters: another table
        path.write_text("{not json", "utf-8")
        assert hanzi.t2s_chars(chars)["間"] == "间"
        assert hanzi.s2t_chars("党建") == {"党": "黨"}
        assert len(json.loads(path.read_text("utf-8"))) == 2
    finally:
        hanzi.keep_tables_in(None)
