"""Traditional ↔ simplified through OpenCC: running text with its phrases, tables character by character."""
from __future__ import annotations

from zhuanlan import hanzi


def test_running_text_follows_opencc_phrases():
    assert hanzi.t2s("開啟新學期") == "开启新学期"
    assert hanzi.t2s("乾隆年間") == "乾隆年间"  # a phrase keeps 乾


def test_tables_convert_each_character_on_its_own():
    # Out of its phrase, 乾 takes OpenCC's first choice; characters that do not change are left out.
    assert hanzi.t2s_chars("乾隆年間") == {"乾": "干", "間": "间"}
    assert hanzi.s2t_chars("党建") == {"党": "黨"}
    assert hanzi.t2s_chars([]) == {}
