"""Publishing targets: the `发布:` list of site.yaml (alias `deploy:`) read into Target records, every
mistake reported at its line; and the refusal of anything that looks like a secret in site.yaml.

site.yaml is shared and often committed, so no password or key may live there: S3 keys come from
the environment or the system keyring, SFTP logins from the SSH agent, key files or the keyring.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..config import CONFIG_FILE
from ..frontmatter import SourceError, decode, load_yaml, suggest
from ..problems import Problems

SECTION = ("发布", "deploy")
DEFAULT_DELETE_LIMIT = 256  # as in Hugo: more deletions than this need --yes
DEFAULT_WORKERS = 8

KINDS = {"s3": "s3", "oss": "s3", "cos": "s3", "obs": "s3", "sftp": "sftp", "folder": "folder",
         "文件夹": "folder", "目录": "folder"}
KIND_LABELS = {"s3": "对象存储（S3 协议）", "sftp": "SFTP 服务器", "folder": "文件夹"}
ADDRESSING = {"auto": "auto", "自动": "auto", "path": "path", "路径": "path", "virtual": "virtual",
              "虚拟主机": "virtual"}


@dataclass(frozen=True)
class Target:
    """One place the site is published to."""

    name: str
    kind: str  # s3 | sftp | folder
    path: str = ""  # s3: key prefix ("" or ending in /); sftp: folder on the server; folder: local folder
    endpoint: str = ""  # s3
    bucket: str = ""
    region: str = ""
    addressing: str = "auto"  # s3 addressing style: 阿里云 OSS needs virtual-hosted; test servers use path
    host: str = ""  # sftp
    port: int = 22
    user: str = ""
    key_file: str = ""
    known_hosts: str = ""  # default ~/.ssh/known_hosts
    delete_limit: int = DEFAULT_DELETE_LIMIT
    workers: int = DEFAULT_WORKERS
    keep: tuple[str, ...] = ()  # patterns of remote files never deleted (e.g. MP_verify_*.txt)
    line: int = 0  # line of the target in site.yaml

    def describe(self) -> str:
        if self.kind == "s3":
            return f"{self.name}（存储桶 {self.bucket}/{self.path}，{self.endpoint}）"
        if self.kind == "sftp":
            return f"{self.name}（{self.user}@{self.host}:{self.port} {self.path}）"
        return f"{self.name}（文件夹 {self.path}）"


@dataclass(frozen=True)
class _Field:
    aliases: tuple[str, ...]
    label: str
    kinds: tuple[str, ...] = ("s3", "sftp", "folder")  # target types the key applies to


FIELDS = {
    "name": _Field(("名称",), "名称"),
    "kind": _Field(("类型", "type"), "类型"),
    "endpoint": _Field(("地址",), "地址", ("s3",)),
    "bucket": _Field(("存储桶",), "存储桶", ("s3",)),
    "path": _Field(("路径",), "路径"),
    "region": _Field(("区域", "地域"), "区域", ("s3",)),
    "addressing": _Field(("寻址", "addressing_style"), "寻址方式", ("s3",)),
    "host": _Field(("主机",), "主机", ("sftp",)),
    "port": _Field(("端口",), "端口", ("sftp",)),
    "user": _Field(("用户", "用户名"), "用户", ("sftp",)),
    "key_file": _Field(("私钥文件", "identity_file"), "私钥文件", ("sftp",)),
    "known_hosts": _Field(("已知主机", "known_hosts_file"), "已知主机文件", ("sftp",)),
    "delete_limit": _Field(("删除上限",), "删除上限"),
    "workers": _Field(("并发", "并发数"), "并发数"),
    "keep": _Field(("保留",), "保留"),
}
REQUIRED = {"s3": ("endpoint", "bucket"), "sftp": ("host", "user", "path"), "folder": ("path",)}
_BY_KEY = {key: name for name, spec in FIELDS.items() for key in (name, *spec.aliases)}

EXAMPLE = "例如\n发布:\n  - 名称: oss\n    类型: s3\n    地址: https://oss-cn-hangzhou.aliyuncs.com\n    存储桶: my-bucket"


# -- secrets ----------------------------------------------------------------------------------

SECRET_WORDS = ("secret", "password", "passwd", "accesskey", "secretkey", "token", "密钥", "密码", "口令")
# A key at the start of a line (possibly a list item's first key), quoted or not.
_ANY_KEY = re.compile(r"""^\s*(?:-\s+)*(?:"([^"]+)"|'([^']+)'|([^\s#:'"{}\[\],&*!|>%@`-][^:#]*?))\s*:(?:\s|$)""")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")


def secret_keys(text: str) -> list[tuple[int, str]]:
    """(line, key) of every key at any depth whose name says it holds a secret, and of any private
    key pasted in. Lines are scanned one by one, so a file whose YAML is broken is checked too."""
    found = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("#"):
            continue
        if _PRIVATE_KEY.search(line):
            found.append((number, "PRIVATE KEY"))
            continue
        match = _ANY_KEY.match(line)
        if match:
            key = next(g for g in match.groups() if g is not None).strip()
            plain = re.sub(r"[\s_\-.]", "", key.lower())
            if any(word in plain for word in SECRET_WORDS):
                found.append((number, key))
    return found


def report_secrets(path: Path, text: str, problems: Problems) -> None:
    """An error at every secret-looking key (deploy refuses to run; `check` reports them too)."""
    for line, key in secret_keys(text):
        problems.error(path, line, f"“{key}”像是密码或密钥：{CONFIG_FILE} 常被多人共享、提交到版本库，不能存放密钥。"
                                   f"请删除这一行；存储桶的密钥放在环境变量 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY "
                                   f"或系统钥匙串中，服务器用 SSH 代理、私钥文件或钥匙串中的密码登录（见 docs/发布.md）")


# -- targets ----------------------------------------------------------------------------------

def load_targets(site_dir: Path, problems: Problems) -> list[Target]:
    """The site's targets; problems (secrets included) are collected, not raised."""
    path = site_dir / CONFIG_FILE
    if not path.is_file():
        problems.error(path, 0, f"找不到 {CONFIG_FILE}：请在网站文件夹中运行，或用 --site 指定网站文件夹")
        return []
    try:
        text = decode(path.read_bytes())
        report_secrets(path, text, problems)
        raw = load_yaml(text, 1) if text.strip() else {}
    except SourceError as exc:
        problems.error(path, exc.line, exc.message)
        return []
    return parse_targets(raw, text, path, problems)


def parse_targets(raw: dict, text: str, path: Path, problems: Problems) -> list[Target]:
    """The `发布:` section of site.yaml's mapping `raw` (its `text` gives the lines)."""
    keys = [key for key in raw if str(key).strip() in SECTION]
    if not keys:
        return []
    section_line, item_lines = _section_lines(text, str(keys[0]).strip())
    if len(keys) > 1:
        problems.warning(path, section_line, "“发布”和“deploy”只写一个即可；这里以后写的为准")
    items = raw[keys[-1]]
    if items is None:
        return []
    if not isinstance(items, list):
        problems.error(path, section_line, f"发布应是目标的列表，每个目标以“- 名称: …”开头，{EXAMPLE}")
        return []
    targets: list[Target] = []
    for index, item in enumerate(items):
        item_line, lines = item_lines[index] if index < len(item_lines) else (section_line, {})
        if not isinstance(item, dict):
            problems.error(path, item_line, f"发布的第 {index + 1} 项应是“键: 值”的分项（名称、类型、地址……），{EXAMPLE}")
            continue
        target = _target(item, item_line, lines, path, problems)
        if target is None:
            continue
        if any(t.name == target.name for t in targets):
            problems.error(path, item_line, f"发布目标“{target.name}”重名：每个目标的名称要不同，--target 靠它选择")
            continue
        targets.append(target)
    return targets


def _target(item: dict, item_line: int, lines: dict[str, int], path: Path, problems: Problems) -> Target | None:
    values: dict[str, object] = {}
    where: dict[str, int] = {}
    for key, value in item.items():
        key_text = str(key).strip()
        line = lines.get(key_text, item_line)
        name = _BY_KEY.get(key_text) or _BY_KEY.get(key_text.lower())
        if name is None:
            problems.warning(path, line, f"发布目标中未知的设置“{key_text}”，已忽略{suggest(key_text, _BY_KEY)}")
            continue
        values[name], where[name] = value, line
    kind_raw = values.get("kind")
    kind = KINDS.get(str(kind_raw).strip().lower()) if kind_raw is not None else None
    label = f"发布目标“{values['name']}”" if values.get("name") not in (None, "") else "发布目标"
    if kind is None:
        choices = "s3（阿里云 OSS、腾讯云 COS、华为云 OBS 等对象存储）、sftp（服务器）或 folder（文件夹、U 盘）"
        said = f"“{kind_raw}”" if kind_raw is not None else "没有写"
        problems.error(path, where.get("kind", item_line), f"{label}的类型{said}：应是 {choices}")
        return None
    before = len(problems.errors)
    fields: dict[str, object] = {}
    wrong: set[str] = set()
    for name, value in values.items():
        spec, line = FIELDS[name], where[name]
        if kind not in spec.kinds:
            used = "、".join(KIND_LABELS[k] for k in spec.kinds)
            problems.warning(path, line, f"{spec.label}只用于{used}，{label}是{KIND_LABELS[kind]}，已忽略")
            continue
        if value is None or name == "kind":
            continue
        checked = _check(name, value, kind, f"{label}的{spec.label}", path, line, problems)
        if checked is None:
            wrong.add(name)
        else:
            fields[name] = checked
    for name in ("name", *REQUIRED[kind]):
        if name not in fields and name not in wrong:
            example = {"name": "名称: oss", "endpoint": "地址: https://oss-cn-hangzhou.aliyuncs.com",
                       "bucket": "存储桶: my-bucket", "host": "主机: 服务器地址", "user": "用户: web",
                       "path": "路径: /var/www/dangjian/" if kind == "sftp" else "路径: E:/dangjian/"}[name]
            problems.error(path, item_line, f"{label}缺少{FIELDS[name].label}：请写 {example}")
    if len(problems.errors) > before:
        return None
    return Target(kind=kind, line=item_line, **fields)  # type: ignore[arg-type]


def _check(name: str, value: object, kind: str, label: str, path: Path, line: int, problems: Problems):
    """The value as the Target field holds it, or None (and an error) when it is wrong."""
    if name in ("port", "delete_limit", "workers"):
        low, high = {"port": (1, 65535), "delete_limit": (0, 10**9), "workers": (1, 32)}[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.error(path, line, f"{label}应是 {low} 到 {high} 之间的整数，而不是“{value}”")
            return None
        return value
    if name == "keep":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int)) and str(v).strip() for v in items):
            problems.error(path, line, f"{label}应是文件名或通配符的列表，例如 [MP_verify_*.txt, baidu_verify_*.html]")
            return None
        return tuple(str(v).strip().lstrip("/") for v in items)
    if isinstance(value, (dict, list, bool)):
        problems.error(path, line, f"{label}应是一段文字")
        return None
    text = str(value).strip()
    if not text:
        problems.error(path, line, f"{label}是空的")
        return None
    if name == "endpoint":
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.error(path, line, f"{label}“{text}”应是完整网址，例如 https://oss-cn-hangzhou.aliyuncs.com")
            return None
        return text.rstrip("/")
    if name == "addressing":
        style = ADDRESSING.get(text.lower())
        if style is None:
            problems.error(path, line, f"{label}“{text}”应是 virtual（虚拟主机式，阿里云 OSS 等需要）、"
                                       f"path（路径式）或 auto（自动）")
        return style
    if name == "path":
        text = text.replace("\\", "/") if kind != "folder" else text
        if kind == "s3":
            text = text.strip("/")
            return text + "/" if text else ""
        return text if text.endswith(("/", "\\")) else text + "/"
    return text


def _section_lines(text: str, key: str) -> tuple[int, list[tuple[int, dict[str, int]]]]:
    """Line of the section's key, and for each list item its first line and the line of each key."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return 1, []
    if not isinstance(root, yaml.MappingNode):
        return 1, []
    for key_node, value_node in root.value:
        if str(key_node.value).strip() != key:
            continue
        items = []
        if isinstance(value_node, yaml.SequenceNode):
            for item in value_node.value:
                lines = {}
                if isinstance(item, yaml.MappingNode):
                    lines = {str(k.value).strip(): k.start_mark.line + 1 for k, _ in item.value}
                items.append((item.start_mark.line + 1, lines))
        return key_node.start_mark.line + 1, items
    return 1, []


def choose(targets: list[Target], name: str | None, path: Path, problems: Problems) -> Target | None:
    """The target named on the command line, or the first one."""
    if not targets:
        if not problems.has_errors():
            problems.error(path, 0, f"{CONFIG_FILE} 中没有发布目标：请在 发布: 下写出要发布到哪里，{EXAMPLE}\n"
                                    f"（说明见 docs/发布.md）")
        return None
    if name is None:
        return targets[0]
    for target in targets:
        if target.name == name:
            return target
    names = "、".join(t.name for t in targets)
    problems.error(path, 0, f"没有名为“{name}”的发布目标（可选: {names}）{suggest(name, [t.name for t in targets])}")
    return None

