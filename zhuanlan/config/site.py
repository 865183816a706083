"""The settings of site.yaml, each declared once (see options.py), and `load_config`.

To add a section, declare a Section of its options and one option for it in Config, as the
publishing targets are:

    class Target(Section):
        name = Text("名称", required=True, doc="…")
        kind = Choice("类型", choices=("s3", "sftp", "folder", …), required=True, doc="…")
        ...

    class Config(Section):
        ...
        deploy = ListOf(SubConfig(Target, example="{名称: oss, 类型: s3, …}"), "发布", doc="…")

The attributes, the reader, the line numbers and the messages follow from the declarations; rules
that tie options together go in the section's `validate`. `python -m zhuanlan.config.reference`
then updates the tables in docs/网站设置.md.
"""
from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path
from urllib.parse import urlsplit

from ..frontmatter import SourceError, controls_message, decode, load_yaml, strip_controls
from ..problems import Problems
from .. import colors
from ..sanitize import HtmlPolicy, normal_host
from ..stamps import text_digest
from ..urls import is_external
from .options import (URL, Choice, Color, Flag, Integer, IntegerList, ListOf, Mapping, Reading, Section,
                      SubConfig, Text, TextList, Written, locate, read_section)
from .secrets import report_secrets

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


def _hosts(hosts: list[str]) -> str | None:
    wrong = [host for host in hosts if not re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", normal_host(host))]
    return f"中 \"{wrong[0]}\" 不是网站的域名：应写成 v.example.gov.cn 这样" if wrong else None


class HtmlSettings(Section):
    """What becomes of HTML written into content (zhuanlan/sanitize.py; docs/写作指南.md)."""

    sanitize = Flag("过滤", "安全过滤", default=True, label="过滤正文中的 HTML",
                    doc="删除正文 HTML 中的脚本、事件属性、javascript: 链接和未列出网站的嵌入网页，保留表格、"
                        "图片、视频、音频和颜色等格式。设为 false 则原样发布：任何能改文章的人都能让读者的浏览器"
                        "运行脚本（见写作指南）")
    iframe_hosts = TextList("允许嵌入的网站", "嵌入网站", label="允许嵌入的网站", check=_hosts,
                            doc="可以用 `<iframe>` 嵌入正文的网站域名（含其子域名），例如县融媒体中心的视频平台 "
                                "[v.example.gov.cn]；不在其中的 `<iframe>` 会被删除")

    @property
    def policy(self) -> HtmlPolicy:
        return HtmlPolicy(self.sanitize, tuple(sorted({normal_host(host) for host in self.iframe_hosts})))


def _menu_url(url: str) -> str | None:
    if not is_external(url) or urlsplit(url if ":" in url else "https:" + url).scheme.lower() in ("http", "https",
                                                                                                   "mailto", "tel"):
        return None
    return "应是站内网址（如 /columns/news/）或以 https:// 开头的完整网址：导航中不能有脚本"


class MenuItem(Section):
    """One entry of a hand-written navigation menu."""

    title = Text("名称", "标题", required=True, doc="导航中显示的文字")
    url = Text("网址", "地址", required=True, label="网址", check=_menu_url,
               doc="站内网址（如 /columns/news/）或完整网址（如 https://www.gov.cn/，原样链接）")


KIND_LABELS = {"s3": "对象存储（S3 协议）", "sftp": "SFTP 服务器", "folder": "文件夹"}
_KIND_WORDS = {"oss": "s3", "cos": "s3", "obs": "s3", "文件夹": "folder", "目录": "folder"}
_ADDRESSING_WORDS = {"自动": "auto", "路径": "path", "虚拟主机": "virtual"}
_ONLY_FOR = {"endpoint": "s3", "bucket": "s3", "region": "s3", "addressing": "s3",
             "host": "sftp", "port": "sftp", "user": "sftp", "key_file": "sftp", "known_hosts": "sftp"}
_NEEDED = {"s3": ("endpoint", "bucket"), "sftp": ("host", "user", "path"), "folder": ("path",)}
_NEEDED_EXAMPLES = {"endpoint": "地址: https://oss-cn-hangzhou.aliyuncs.com", "bucket": "存储桶: my-bucket",
                    "host": "主机: 服务器地址", "user": "用户: web"}


class Target(Section):
    """One place the site is published to (`python build.py deploy`, docs/发布.md)."""

    line: int = 0  # of the target in site.yaml

    name = Text("名称", required=True, doc="目标的名称，用 --target 名称 选择；第一个目标是默认的，各目标不能重名")
    kind = Choice("类型", "type", choices=("s3", "sftp", "folder", *_KIND_WORDS), required=True,
                  doc="s3（对象存储：阿里云 OSS、腾讯云 COS、华为云 OBS 等，也可写 oss、cos、obs）、"
                      "sftp（服务器）或 folder（文件夹、U 盘，也可写 文件夹）")
    path = Text("路径", doc="s3：存储桶中的前缀，不写则放在根部；sftp：服务器上的网站文件夹（必填）；"
                          "folder：本机文件夹（必填，相对路径从网站文件夹算起）")
    endpoint = URL("地址", doc="s3 必填：服务地址，例如 https://oss-cn-hangzhou.aliyuncs.com")
    bucket = Text("存储桶", doc="s3 必填：存储桶名称")
    region = Text("区域", "地域", doc="s3：存储桶所在区域，服务商要求时填写，例如腾讯云 ap-guangzhou")
    addressing = Choice("寻址", "addressing_style", choices=("auto", "path", "virtual", *_ADDRESSING_WORDS),
                        default="auto", label="寻址方式",
                        doc="s3：virtual（存储桶名在域名里，阿里云 OSS 需要）、path（在路径里，MinIO 等）或 auto（自动）")
    host = Text("主机", doc="sftp 必填：服务器的域名或 IP 地址")
    port = Integer("端口", default=22, minimum=1, maximum=65535, doc="sftp：SSH 端口")
    user = Text("用户", "用户名", doc="sftp 必填：登录服务器的用户名")
    key_file = Text("私钥文件", "identity_file", doc="sftp：登录用的私钥文件；不写时用 SSH 代理和 ~/.ssh/ 中的私钥")
    known_hosts = Text("已知主机", "known_hosts_file", label="已知主机文件",
                       doc="sftp：记录服务器公钥的 known_hosts 文件，默认 ~/.ssh/known_hosts")
    delete_limit = Integer("删除上限", default=256, minimum=0, doc="一次发布最多删除几个文件，更多时要加 --yes 确认")
    workers = Integer("并发", "并发数", default=8, minimum=1, maximum=32, label="并发数", doc="同时上传几个文件")
    keep = TextList("保留", doc="不许删除的远程文件或通配符，例如 [MP_verify_*.txt, downloads/]；以 / 结尾表示整个文件夹")

    def validate(self, written: Written) -> None:
        """What each kind needs and uses; the path, endpoint and patterns as the deploy uses them."""
        self.line = written.line
        self.kind = _KIND_WORDS.get(self.kind, self.kind)
        self.addressing = _ADDRESSING_WORDS.get(self.addressing, self.addressing)
        label = f"发布目标“{self.name}”"
        for name in sorted(written.given, key=list(self.options).index):
            if _ONLY_FOR.get(name, self.kind) != self.kind:
                option = self.options[name]
                written.warning(f"{option.label}只用于{KIND_LABELS[_ONLY_FOR[name]]}，{label}是{KIND_LABELS[self.kind]}，"
                                f"已忽略", name)
                setattr(self, name, option.fresh_default())
        for name in _NEEDED[self.kind]:
            if name not in written.given:
                example = _NEEDED_EXAMPLES.get(name) or (
                    "路径: /var/www/dangjian/" if self.kind == "sftp" else "路径: E:/dangjian/")
                written.error(f"{label}缺少{self.options[name].label}：请写 {example}")
        self.endpoint = self.endpoint.rstrip("/")
        if self.kind == "s3":
            prefix = self.path.replace("\\", "/").strip("/")
            self.path = prefix + "/" if prefix else ""
        elif self.path:
            path = self.path.replace("\\", "/") if self.kind == "sftp" else self.path
            self.path = path if path.endswith(("/", "\\")) else path + "/"
        self.keep = [pattern.strip().lstrip("/") for pattern in self.keep if pattern.strip()]


class Config(Section):
    """site.yaml. `root` is the site folder; `lines` the line of every option read (see line_of)."""

    root: Path
    lines: dict[str, int] = field(default_factory=dict)
    pages_digest: str = ""  # of what site.yaml says that pages can show: see load_config

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
    poster_font = Text("海报字体", label="海报字体",
                       doc="画品牌海报用的中文字体文件（.ttf、.otf 或 .ttc），从网站文件夹算起或写完整路径；"
                           "不写时自动找系统中的中文字体")
    images = SubConfig(ImageSettings, "图片", label="图片设置", doc="图片的尺寸、质量和默认分享图")
    check = SubConfig(CheckConfig, "检查", label="检查设置", doc="发布前检查（python build.py check）的设置，说明见 docs/检查与导入.md")
    html = SubConfig(HtmlSettings, "网页代码", "HTML", label="正文 HTML 设置",
                     doc="正文中直接写的 HTML 如何处理：默认删除脚本等不安全的内容，可列出允许嵌入的视频网站")
    deploy = ListOf(SubConfig(Target, example="{名称: oss, 类型: s3, 地址: https://…, 存储桶: …}"), "发布",
                    label="发布目标", doc="python build.py deploy 发布到哪里：存储桶、服务器或文件夹，说明见 docs/发布.md")

    def validate(self, written: Written) -> None:
        seen: set[str] = set()
        for target in self.deploy:
            if target.name in seen:
                written.reading.error(target.line, f"发布目标“{target.name}”重名：每个目标的名称要不同，--target 靠它选择")
            seen.add(target.name)

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
        text, controls, codes = strip_controls(decode(path.read_bytes()))
        if controls:
            problems.warning(path, controls[0], controls_message(controls, codes))
        report_secrets(path, text, problems)  # before the YAML is read: a broken file is checked too
        raw = load_yaml(text, 1) if text.strip() else {}
    except SourceError as exc:
        problems.error(path, exc.line, exc.message)
        return None
    reading = Reading(path, problems, text=text.split("\n"), schema=schema)
    return read_section(schema, raw, locate(text), reading, root=root, lines=reading.lines,
                        pages_digest=_pages_digest(raw, schema))


def _pages_digest(raw, schema: type[Config]) -> str:
    """The settings as written, but for where the site is published (发布/deploy) and comments:
    every page's fingerprint holds this, so a new deploy target or a comment re-renders nothing."""
    if not isinstance(raw, dict):
        return text_digest(repr(raw))
    deploy = schema.options["deploy"]
    published = {deploy.name, *deploy.aliases}
    return text_digest(repr([(key, value) for key, value in raw.items() if str(key).strip() not in published]))
