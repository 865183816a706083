from pathlib import Path

from zhuanlan.config import load_config
from zhuanlan.problems import Problems


def load(tmp_path: Path, text: str):
    (tmp_path / "site.yaml").write_text(text, encoding="utf-8")
    problems = Problems()
    return load_config(tmp_path, problems), problems


def test_defaults_and_base_path(tmp_path):
    config, problems = load(tmp_path, "title: 站\nbase_url: https://a.gov.cn/dangjian\n")
    assert not problems.items
    assert config.base_url == "https://a.gov.cn/dangjian/"
    assert config.base_path == "/dangjian/"
    assert config.domain == "a.gov.cn"
    assert config.per_page == 10 and config.theme == "default"


def test_chinese_keys_and_footer(tmp_path):
    config, problems = load(tmp_path, "网站名称: 站\n网址: https://a.gov.cn/\nfooter:\n  主办单位: 甲\n"
                                      "  公安机关备案号: 浙公网安备 33010002000001号\n")
    assert not problems.items
    assert config.title == "站" and config.footer.host == "甲"
    assert config.footer.police_code == "33010002000001"


def test_mistakes_are_reported_with_lines(tmp_path):
    config, problems = load(tmp_path, "title: 站\nbase_url: www.a.gov.cn\nper_page: 十\ntheem: x\n")
    assert config is None
    messages = {p.line: p.message for p in problems.items}
    assert "完整网址" in messages[2]
    assert "整数" in messages[3]
    assert '是不是 "theme"' in messages[4]


def test_missing_file_says_how_to_start(tmp_path):
    problems = Problems()
    assert load_config(tmp_path, problems) is None
    assert "python build.py new" in problems.errors[0].message
