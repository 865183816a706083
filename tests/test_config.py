import re
from pathlib import Path

import pytest
from conftest import run_cli

from zhuanlan.config import CheckConfig, Config, Footer, ImageSettings, MenuItem, load_config
from zhuanlan.config.site import Target
from zhuanlan.config.options import URL, Choice, Flag, Integer, ListOf, Section, SubConfig, Text, Written
from zhuanlan.config.reference import DOCUMENT, current, tables
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


def test_one_option_written_under_two_names_says_which_counts(tmp_path):
    config, problems = load(tmp_path, "title: 站\n网站名称: 另一个站\nbase_url: https://a.gov.cn/\nfooter:\n  host: 甲\n  主办单位: 乙\n")
    assert config.title == "另一个站" and config.footer.host == "乙"  # the later one, as YAML readers expect
    assert [(p.line, p.level, p.message) for p in problems.items] == [
        (2, "警告", "“网站名称”和第 1 行的“title”是同一个设置，写了两次：只用这里（后写）的，请删去其中一个"),
        (6, "警告", "“footer.主办单位”和第 5 行的“footer.host”是同一个设置，写了两次：只用这里（后写）的，请删去其中一个"),
    ]


def test_a_secret_key_gets_one_message_not_also_an_unknown_key_warning(tmp_path):
    config, problems = load(tmp_path, "title: 站\nbase_url: https://a.gov.cn/\n发布:\n  - 名称: 盘\n"
                                      "    类型: folder\n    路径: /tmp/x\n    密码: hunter2\n")
    assert [(p.line, p.level, p.message[:21]) for p in problems.items] == [(7, "错误", "“密码”像是密码或密钥：site.yaml")]


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


# -- every option at every depth, at its own line ------------------------------------------------

def test_problems_in_sections_and_list_items_are_reported_at_their_own_line(tmp_path):
    config, problems = load(tmp_path, """\
title: 站
base_url: https://a.gov.cn/
footer:
  主办单位: 甲
  主办单味: 乙
  版权: [丙]
images:
  widths: [0, 960]
  质量: 101
  card_ratio: 4x3
menu:
  - {title: 首页, url: /}
  - title: 动态
    url: [/news/]
  - 只有文字
  - title: 没有网址
  - title: 关于
    url: /about/
    target: _blank
""")
    found = {(p.line, p.level, p.message) for p in problems.items}
    assert found == {
        (5, "警告", '未知的设置 "footer.主办单味"，已忽略，是不是 "主办单位"？'),
        (6, "错误", "版权信息应是一段文字"),
        (8, "错误", '图片宽度 "[0, 960]" 应是 16 到 8000 之间的整数列表，例如 [480, 960, 1440]'),
        (9, "错误", '图片质量 "101" 应是 1 到 100 之间的整数'),
        (10, "错误", '列表封面比例 "4x3" 应写成 宽:高，例如 4:3 或 4/3'),
        (14, "错误", "网址应是一段文字"),
        (15, "错误", "导航第 3 项应写成 {title: 名称, url: /网址/}"),
        (16, "错误", "导航第 4 项应写成 {title: 名称, url: /网址/}"),
        (19, "警告", '未知的设置 "menu.5.target"，已忽略'),
    }
    assert [(item.title, item.url) for item in config.menu] == [("首页", "/"), ("关于", "/about/")]
    assert config.line_of("footer.host") == 4 and config.line_of("menu.5.url") == 18
    assert config.line_of("images") == 7 and config.line_of("images.share") == 0


def test_nested_keys_take_chinese_aliases_and_word_lists_take_a_string(tmp_path):
    config, problems = load(tmp_path, "网站名称: 站\n网址: https://a.gov.cn\n关键词: 甲、乙, 丙\n图片:\n  宽度: [320]\n"
                                      "  分享图: images/s.jpg\n检查:\n  禁用词: XXX，待补充\n  外链超时: 3\n"
                                      "导航:\n  - 名称: 首页\n    网址: /\n")
    assert not problems.items
    assert config.keywords == ["甲", "乙", "丙"]
    assert config.images.widths == [320] and config.images.share == "images/s.jpg"
    assert config.check.forbidden == ["XXX", "待补充"] and config.check.link_timeout == 3
    assert config.menu[0].title == "首页" and config.menu[0].url == "/"


def test_a_required_option_written_empty_is_missing_and_a_wrong_one_is_reported_once(tmp_path):
    config, problems = load(tmp_path, "title:\nbase_url: ftp://a.gov.cn/\n")
    assert config is None
    assert [(p.line, p.message) for p in problems.sorted()] == [
        (1, "缺少网站名称：请在 site.yaml 中写 title:"),
        (2, '网站地址 "ftp://a.gov.cn/" 应是完整网址，例如 https://www.example.gov.cn/dangjian/'),
    ]


# -- defaults --------------------------------------------------------------------------------------

def test_defaults_are_not_shared_between_configs(tmp_path):
    first, _ = load(tmp_path, "title: 站\nbase_url: https://a.gov.cn/\n")
    first.keywords.append("改")
    first.images.widths.append(2000)
    first.check.forbidden.append("改")
    first.check.wording["甲"] = "乙"
    first.menu.append("改")
    second, _ = load(tmp_path, "title: 站\nbase_url: https://a.gov.cn/\n")
    assert second.keywords == [] and second.images.widths == [480, 960, 1440]
    assert second.check.forbidden == [] and second.check.wording == {} and second.menu == []
    made = Config(root=tmp_path, title="站", base_url="https://a.gov.cn/")
    assert made.images.widths == [480, 960, 1440] and made.keywords == [] and made.footer.host == ""


# -- declaring a new section -----------------------------------------------------------------------

class Mirror(Section):
    title = Text("名称", required=True, doc="镜像的名称")
    kind = Choice("类型", choices=("s3", "sftp", "folder"), required=True, doc="同步方式")
    endpoint = URL("地址", doc="S3 服务地址")
    port = Integer("端口", default=22, minimum=1, maximum=65535, doc="SFTP 端口")
    dry_run = Flag("演练", doc="只列出要上传的文件")


class ConfigWithMirrors(Config):
    mirrors = ListOf(SubConfig(Mirror, example="{名称: 正式站, 类型: s3}"), "镜像", doc="同步到哪里")


def test_a_new_section_declared_in_a_few_lines_is_read_checked_and_located(tmp_path):
    (tmp_path / "site.yaml").write_text("""\
title: 站
base_url: https://a.gov.cn/
镜像:
  - 名称: 正式站
    类型: s3
    地址: https://oss.example.com
  - 名称: 备份
    类型: ftp
    端口: 70000
    演练: 是
  - 类型: folder
""", "utf-8")
    problems = Problems()
    config = load_config(tmp_path, problems, ConfigWithMirrors)
    assert [(p.line, p.message) for p in problems.sorted()] == [
        (8, '类型 "ftp" 应是 s3、sftp、folder 之一，是不是 "sftp"？'),
        (9, '端口 "70000" 应是 1 到 65535 之间的整数'),
        (11, "镜像第 3 项应写成 {名称: 正式站, 类型: s3}"),
    ]
    assert [(t.title, t.kind, t.endpoint, t.port, t.dry_run) for t in config.mirrors] == [
        ("正式站", "s3", "https://oss.example.com", 22, False)]
    assert config.footer.host == "" and config.line_of("mirrors.2.port") == 9
    assert ConfigWithMirrors(root=tmp_path, title="站", base_url="https://a.gov.cn/").mirrors == []
    assert "镜像" in tables(ConfigWithMirrors) and "mirrors（镜像）的每一项" in tables(ConfigWithMirrors)


class Span(Section):
    start = Integer("起", default=0, doc="开始")
    end = Integer("止", default=0, doc="结束")

    def validate(self, written: Written) -> None:
        if "end" not in written.given:
            written.error("缺少止：请写 止:")
        elif self.end < self.start:
            written.warning(f"止 {self.end} 在起 {self.start} 之前，已对调", "end")
            self.start, self.end = self.end, self.start


class ConfigWithSpans(Config):
    spans = ListOf(SubConfig(Span), "区间", doc="区间")


def test_a_section_validates_what_ties_its_options_together_at_the_item_or_the_option_line(tmp_path):
    (tmp_path / "site.yaml").write_text("title: 站\nbase_url: https://a.gov.cn/\n区间:\n  - 起: 5\n    止: 2\n"
                                        "  - 起: 1\n  - {起: 1, 止: 3}\n", "utf-8")
    problems = Problems()
    config = load_config(tmp_path, problems, ConfigWithSpans)
    assert [(p.line, p.level, p.message) for p in problems.sorted()] == [
        (5, "警告", "止 2 在起 5 之前，已对调"),
        (6, "错误", "缺少止：请写 止:"),
    ]
    assert [(s.start, s.end) for s in config.spans] == [(2, 5), (1, 0), (1, 3)]


def test_a_declaration_without_a_doc_or_a_name_used_twice_is_refused():
    with pytest.raises(TypeError, match="doc"):
        type("Undocumented", (Section,), {"x": Text("某项", doc="")})
    with pytest.raises(TypeError, match="两|two"):
        type("Twice", (Section,), {"x": Text("某项", doc="一"), "y": Text("某项", doc="二")})


# -- the settings reference ------------------------------------------------------------------------

def test_the_settings_reference_matches_the_declarations():
    document = DOCUMENT.read_text("utf-8")
    assert current(document) == tables(), "docs/网站设置.md 已过时：请运行 python -m zhuanlan.config.reference"
    for section in (Config, Footer, ImageSettings, CheckConfig, MenuItem, Target):
        for option in section.options.values():
            assert f"| `{option.name}` | {'、'.join(option.aliases)} |" in document
    readme = (DOCUMENT.parents[1] / "README.md").read_text("utf-8")
    assert "docs/网站设置.md" in readme


def test_a_hand_written_menu_is_the_site_navigation(make_site):
    site = make_site({"site.yaml": "title: 站\nbase_url: https://a.gov.cn/dj/\n导航:\n  - {名称: 首页, 网址: /}\n"
                                   "  - title: 动态\n    url: /columns/news/\n"})
    assert run_cli("--site", str(site)) == 0
    page = (site / "output" / "index.html").read_text("utf-8")
    nav = page[page.index('<nav class="site-nav"'):page.index("</nav>")]
    assert re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav) == [("/dj/", "首页"), ("/dj/columns/news/", "动态")]


# -- secrets and publishing targets ----------------------------------------------------------------

def test_a_secret_in_site_yaml_is_refused_at_its_line_by_the_build_and_by_check(make_site, capsys):
    site = make_site({"site.yaml": "title: 站\nbase_url: https://a.gov.cn/\nfooter:\n  主办单位: 甲\n  Secret_Key: abc\n"
                                   "发布:\n  - {名称: U盘, 类型: folder, 路径: E:/dangjian/, 密码: 123456}\n"})
    for command in (["--site", str(site)], ["check", "--site", str(site)]):
        capsys.readouterr()
        assert run_cli(*command) == 1
        said = capsys.readouterr()
        assert "site.yaml:5: 错误: “Secret_Key”像是密码或密钥" in said.out + said.err, command
        assert "Traceback" not in said.err
    assert not (site / "output").exists()
    problems = Problems()
    load_config(site, problems)
    assert [(p.line, p.message.split("：")[0]) for p in problems.errors] == [(5, "“Secret_Key”像是密码或密钥"),
                                                                          (7, "“密码”像是密码或密钥")]


def test_publishing_targets_are_read_with_the_other_settings(tmp_path):
    config, problems = load(tmp_path, """\
title: 站
base_url: https://a.gov.cn/
deploy:
  - name: oss
    type: OSS
    地址: https://oss-cn-hangzhou.aliyuncs.com/
    存储桶: my-bucket
    路径: /dangjian
    寻址: 虚拟主机
    端口: 2222
  - 名称: 服务器
    类型: sftp
    主机: 10.0.0.5
    用户: web
    路径: var\\www
    保留: /MP_verify_*.txt、downloads/
  - 名称: oss
    类型: 文件夹
    路径: E:/dangjian
  - 名称: 机房
    类型: sftp
    路径: /var/www/
""")
    assert [(p.line, p.level, p.message) for p in problems.sorted()] == [
        (10, "警告", "端口只用于SFTP 服务器，发布目标“oss”是对象存储（S3 协议），已忽略"),
        (17, "错误", "发布目标“oss”重名：每个目标的名称要不同，--target 靠它选择"),
        (20, "错误", "发布目标“机房”缺少主机：请写 主机: 服务器地址"),
        (20, "错误", "发布目标“机房”缺少用户：请写 用户: web"),
    ]
    oss, server, usb = config.deploy[:3]
    assert (oss.kind, oss.endpoint, oss.path, oss.addressing, oss.port, oss.line) == (
        "s3", "https://oss-cn-hangzhou.aliyuncs.com", "dangjian/", "virtual", 22, 4)
    assert (server.kind, server.path, server.keep, server.delete_limit, server.workers) == (
        "sftp", "var/www/", ["MP_verify_*.txt", "downloads/"], 256, 8)
    assert (usb.kind, usb.path) == ("folder", "E:/dangjian/")
    assert config.line_of("deploy.2.keep") == 16


# -- the main colour --------------------------------------------------------------------------------

def test_the_main_colour_is_read_and_its_palette_made(tmp_path):
    config, problems = load(tmp_path, 'title: 站\nbase_url: https://a.gov.cn/\n主色: "#1A5FB4"\n')
    assert not problems.items
    assert config.main_color == "#1a5fb4"
    assert config.palette["main"] == "#1a5fb4" and config.palette["dark"] == "#144a8c"
    config, _ = load(tmp_path, 'title: 站\nbase_url: https://a.gov.cn/\nmain_color: "#c00"\n')
    assert config.main_color == "#cc0000"
    config, _ = load(tmp_path, "title: 站\nbase_url: https://a.gov.cn/\n")
    assert config.main_color == "" and config.palette is None  # the theme's own red


@pytest.mark.parametrize("line, words", [
    ('主色: "#e06666"', ['主色 "#e06666" 太浅了', "3.0:1", "至少要 4.5:1", '"#b15151"']),
    ('主色: "#d4380d"', ["4.3:1", '"#ce370d"']),
    ("主色: 红色", ['主色 "红色" 应写成 "#b3121b" 这样的颜色代码']),
    ("主色: #b3121b   # 党建红", ['主色没有读到', '请加上引号：主色: "#b3121b"']),
    ("主题色:   #c00", ['主色没有读到', '主题色: "#c00"']),
])
def test_a_main_colour_too_light_or_miswritten_is_an_error_at_its_line(tmp_path, line, words):
    _, problems = load(tmp_path, f"title: 站\nbase_url: https://a.gov.cn/\n{line}\n")
    [error] = problems.errors  # which stops the build
    assert error.line == 3
    for word in words:
        assert word in error.message, (word, error.message)


def test_a_suggested_main_colour_passes_and_the_default_red_has_room():
    from zhuanlan import colors

    assert colors.main_color_problem("#b3121b") is None
    for color in ("#e06666", "#ff0000", "#1a9fb4", "#ffd24d"):
        suggestion = re.search(r'"(#[0-9a-f]{6})"', colors.main_color_problem(color))[1]
        assert colors.main_color_problem(suggestion) is None, (color, suggestion)
        palette = colors.palette(suggestion)
        assert all(colors.contrast(palette["main"], bg) >= 4.5 for bg in colors.LIGHT_BACKGROUNDS)
        assert colors.contrast(palette["dark"], palette["softer"]) >= 4.5
