"""The settings of site.yaml, each declared once (see options.py), and `load_config`.

To add a section, declare a Section of its options and one option for it in Config, e.g. a list
of publishing targets:

    class Target(Section):
        title = Text("名称", required=True, doc="…")
        kind = Choice("类型", choices=("s3", "sftp", "folder"), required=True, doc="…")
        ...

    class Config(Section):
        ...
        deploy = ListOf(SubConfig(Target, example="{名称: 正式站, 类型: s3, …}"), "发布", doc="…")

The attributes, the reader, the line numbers and the messages follow from the declarations;
`python -m zhuanlan.config.reference` then updates the tables in docs/网站设置.md.
"""
from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit

from ..frontmatter import SourceError, decode, load_yaml
from ..problems import Problems
from .. import colors
from .options import (URL, Color, Integer, IntegerList, ListOf, Mapping, Reading, Section, SubConfig, Text, TextList,
                      locate, read_section)

CONFIG_FILE = "site.yaml"


def _ratio(value: str) -> str | None:
    match = re.fullmatch(r"\s*(\d+)\s*[:：/]\s*(\d+)\s*", value)
    if match and int(match[1]) > 0 and int(match[2]) > 0:
        return None
    return "应写成 宽:高，例如 4:3 或 4/3"


class Footer(Section):
    """The legal items every page's footer shows."""

    host = Text("主办单位", doc="主办单位名称")
    undertaker = Text("承办单位", doc="承办单位名称")
    contact = Text("联系方式", "联系电话", doc="联系电话或邮箱")
    address = Text("地址", "联系地址", doc="联系地址")
    icp = Text("ICP备案号", "icp备案号", "备案号", doc="ICP 备案号，链接到工信部备案系统")
    police = Text("公安机关备案号", "公安备案号", doc="公安机关备案号，链接到全国互联网安全管理服务平台")
    gov_badge = Text("党政机关网站标识", doc="党政机关网站标识的 HTML 代码，原样放进页脚（会从 conac.cn 加载图片和脚本）")
    copyright = Text("版权", "版权所有", label="版权信息", doc="版权声明，例如“版权所有 © 中共某某镇委员会”")

    @property
    def police_code(self) -> str:
        """The digits of the 公安机关备案号, which its record link needs."""
        return "".join(re.findall(r"\d+", self.police))


class ImageSettings(Section):
    """How images are resized and encoded (see zhuanlan/images/)."""

    widths = IntegerList("宽度", minimum=16, maximum=8000, default=(480, 960, 1440), label="图片宽度",
                         doc="照片缩小成的各种宽度（像素），不会放大")
    quality = Integer("质量", default=80, minimum=1, maximum=100, label="图片质量", doc="WebP 和 JPEG 的压缩质量")
    card_ratio = Text("卡片比例", "封面比例", default="4:3", label="列表封面比例", check=_ratio,
                      doc="列表中封面缩略图的宽高比，写成 4/3，或加引号写成 \"4:3\"")
    share = Text("分享图", label="默认分享图",
                 doc="没有配图的页面分享到微信时用的图，从 content/ 算起，至少 300×300 像素，不能是 SVG")

    @property
    def card_aspect(self) -> tuple[int, int]:
        width, height = re.split(r"[:：/]", self.card_ratio.replace(" ", ""))
        return int(width), int(height)


class CheckConfig(Section):
    """What `python build.py check` looks for (see docs/检查与导入.md)."""

    stale_days = Integer("更新期限", "专栏更新期限", "栏目更新期限", default=180, minimum=0, note="0 表示不检查",
                         label="专栏更新期限（天）", doc="专栏超过这么多天没有新文章就提醒；0 表示不检查")
    forbidden = TextList("禁用词", doc="出现就报错的词，例如模板里没改掉的“XXX”“此处填写”；生成也会停下")
    wording = Mapping("规范提法", "提法", item_hint="应写成“错误提法: 正确提法”，冒号后写一个正确的提法",
                      doc="错误提法: 正确提法（人名、职务、固定提法），出现错误提法就报错并给出正确的")
    allow = TextList("允许", "白名单", "公开号码", label="允许公开的号码",
                     doc="可以公开的手机号码（如服务热线），列在这里就不再提醒")
    link_timeout = Integer("外链超时", default=10, minimum=1, label="外部链接超时（秒）",
                           doc="检查外部链接时，每个链接最多等几秒")
    link_workers = Integer("外链并发", default=8, minimum=1, label="外部链接并发数", doc="同时检查几个外部链接")

    @property
    def words(self):
        """The word list the text rules use."""
        from ..textrules import WordList

        allow = frozenset(re.sub(r"[\s-]", "", a).upper() for a in self.allow)
        return WordList(forbidden=tuple(self.forbidden),
                        wording=tuple((str(k).strip(), str(v).strip()) for k, v in self.wording.items()),
                        allow=allow)


class MenuItem(Section):
    """One entry of a hand-written navigation menu."""

    title = Text("名称", "标题", required=True, doc="导航中显示的文字")
    url = Text("网址", "地址", required=True, label="网址", doc="站内网址（如 /columns/news/）或完整网址")


class Config(Section):
    """site.yaml. `root` is the site folder; `lines` the line of every option read (see line_of)."""

    root: Path
    lines: dict[str, int] = field(default_factory=dict)

    title = Text("网站名称", "标题", "名称", required=True, doc="网站名称，显示在每页页头和浏览器标题中")
    subtitle = Text("副标题", doc="显示在网站名称下方")
    base_url = URL("网址", "网站地址", required=True, folder=True, label="网站地址",
                   doc="网站正式地址，可以带子路径，例如 https://www.example.gov.cn/dangjian/")
    description = Text("简介", "描述", label="网站简介", doc="网站简介，显示在首页，也是没有摘要的页面的 description 元数据")
    keywords = TextList("关键词", doc="网站关键词，写入没有自己关键词的页面的 keywords 元数据")
    theme = Text("主题", default="default", doc="主题名称；自定义主题放在 themes/<名称>/")
    site_id_code = Text("网站标识码", doc="政府网站标识码，写入每页的 SiteIDCode 元数据并显示在页脚")
    per_page = Integer("每页条数", default=10, minimum=1, doc="专栏、品牌、标签等列表每页的文章数")
    home_latest = Integer("首页最新条数", default=8, minimum=1, doc="首页“最新”列出的文章数")
    feed_limit = Integer("订阅条数", default=20, minimum=1, doc="每个订阅（feed.xml）中的文章数")
    related_limit = Integer("相关阅读条数", default=5, minimum=1, doc="文章页“相关阅读”的最多条数")
    footer = SubConfig(Footer, "页脚", doc="页脚的主办单位、备案号等")
    menu = ListOf(SubConfig(MenuItem, example="{title: 名称, url: /网址/}"), "导航",
                  doc="自定义导航，例如 [{title: 首页, url: /}, …]；不写时由首页、品牌矩阵、专栏和页面自动组成")
    logo = Text("标志", label="网站标志", doc="网站标志图片，从 content/ 算起的路径；也是浏览器标签页上的小图标")
    banner = Text("横幅", "首页横幅", "头图", label="首页横幅",
                  doc="首页顶部的横幅图片，从 content/ 算起的路径，宜宽约 3:1；不写时显示用主色画的默认横幅")
    main_color = Color("主色", "主题色", label="主色", check=colors.main_color_problem,
                       doc="网站的主色（页头、链接、按钮），不写时为党建红 \"#b3121b\"；太浅、白字看不清时生成会报错，"
                           "并给出同一色调中够深的颜色")
    images = SubConfig(ImageSettings, "图片", label="图片设置", doc="图片的尺寸、质量和默认分享图")
    check = SubConfig(CheckConfig, "检查", label="检查设置", doc="发布前检查（python build.py check）的设置，说明见 docs/检查与导入.md")

    def line_of(self, name: str) -> int:
        """Line of an option in site.yaml ("logo", "images.share", "menu.2.url"); 0 when not written."""
        return self.lines.get(name, 0)

    @property
    def palette(self) -> dict[str, str] | None:
        """The theme's colours made from 主色 (base.html puts them on every page); None for the default."""
        return colors.palette(self.main_color) if self.main_color else None

    @property
    def base_path(self) -> str:
        """The URL path the site lives under, e.g. '/dangjian/'."""
        return urlsplit(self.base_url).path or "/"

    @property
    def domain(self) -> str:
        return urlsplit(self.base_url).netloc

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def path(self) -> Path:
        return self.root / CONFIG_FILE


def load_config(root: Path, problems: Problems, schema: type[Config] = Config) -> Config | None:
    """Read site.yaml in `root`. Problems are collected; None when the site cannot be built."""
    path = root / CONFIG_FILE
    if not path.is_file():
        problems.error(path, 0, f"找不到 {CONFIG_FILE}：请在网站文件夹中运行，或用 --site 指定网站文件夹；"
                                f"新建网站请运行 python build.py new 文件夹名")
        return None
    try:
        text = decode(path.read_bytes())
        raw = load_yaml(text, 1) if text.strip() else {}
    except SourceError as exc:
        problems.error(path, exc.line, exc.message)
        return None
    reading = Reading(path, problems)
    return read_section(schema, raw, locate(text), reading, root=root, lines=reading.lines)
