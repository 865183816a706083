"""Reading a content file: encoding checks, the `---` front matter block, YAML with line numbers.

The YAML loader is the C one where PyYAML was built with libyaml. Timestamps are left as text
so that our own date reader can give a Chinese message for an impossible date.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .problems import Problems

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    pass


# YAML 1.1 reads 9:30 or 4:3 as base-60 numbers (570, 243); officers mean text there.
_INT = re.compile(r"""^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$""")
_FLOAT = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, {"tag:yaml.org,2002:int": _INT, "tag:yaml.org,2002:float": _FLOAT}.get(tag, rx))
            for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

# The front matter most files have: one `key: value` line per key, values plain text or a flow list
# of plain text. Read here without YAML (a fifth of the time of parsing a story); anything else,
# and any value YAML would not read as text (a number, true, null…), goes to YAML. A plain value
# must not start with an indicator, nor hold a comment, a quote, brackets, a tab, ": " or end in ":".
_SIMPLE_LINE = re.compile(r"([A-Za-z_\u4e00-\u9fff][A-Za-z0-9_\u4e00-\u9fff-]{0,40}):(?: +(.*))?")
_PLAIN = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@`\s](?:[^#'\"\[\]{}\t:]|:(?! |$))*")
_FLOW_ITEM = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@`\s][^#'\"\[\]{}\t:,]*")
# What YAML reads as a line break or refuses (its reader's non-printable characters) besides \n:
# everything but \n, \x20-\x7e, \xa0-\ud7ff, \ue000-\ufefe, \uff00-\ufffd and the astral planes, and
# \u2028 and \u2029. Written as what it matches: the class of what it does not took 3 ms to compile,
# paid by every build (re's compiler visits each character of a range).
_YAML_SPECIAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


def _text_scalar(value: str) -> bool:
    """Whether YAML reads this plain scalar as text: no implicit type (bool, int, null…) matches."""
    resolvers = _Loader.yaml_implicit_resolvers.get(value[0], []) + _Loader.yaml_implicit_resolvers.get(None, [])
    return not any(regexp.match(value) for _, regexp in resolvers)


def _simple_yaml(fm: str) -> dict | None:
    """The mapping of simple front matter, as YAML reads it; None when it is not that simple."""
    if _YAML_SPECIAL.search(fm):
        return None
    data: dict = {}
    for line in fm.split("\n"):
        if not line.strip(" "):
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None or not _text_scalar(match.group(1)):
            return None
        value = (match.group(2) or "").rstrip(" ")
        if not value:
            data[match.group(1)] = None
        elif value[0] == "[":
            if value[-1] != "]":
                return None
            inner = value[1:-1].strip(" ")
            items = [item.strip(" ") for item in inner.split(",")] if inner else []
            if not all(_FLOW_ITEM.fullmatch(item) and _text_scalar(item) for item in items):
                return None
            data[match.group(1)] = items
        elif _PLAIN.fullmatch(value) and _text_scalar(value):
            data[match.group(1)] = value
        else:
            return None
    return data or None


_FENCE = re.compile(r"^---[ \t]*$")
_FENCE_END = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
# A top-level key at the start of a line, possibly quoted.
_KEY_LINE = re.compile(r"""^(?:"([^"]+)"|'([^']+)'|([^\s#:'"\-][^:]*?))\s*:(?:\s|$)""")
_FULLWIDTH_COLON_KEY = re.compile(r"^\s*([^\s:：#\-][^:：]{0,15})：")

YAML_HINTS = [
    ("mapping values are not allowed", "这里不能出现冒号：值里含有“: ”时，请用英文引号把整个值括起来"),
    ("found character '\\t'", "不能用 Tab 键缩进，请改用空格"),
    ("tab character", "不能用 Tab 键缩进，请改用空格"),
    ("could not find expected ':'", "缺少英文冒号“:”，请写成 键: 值（冒号后有一个空格）"),
    ("while scanning a quoted scalar", "引号没有配对：请检查这一行的引号是否成对"),
    ("while scanning a simple key", "缺少英文冒号“:”，请写成 键: 值（冒号后有一个空格）"),
    ("expected <block end>, but found", "缩进不一致：同一层的键要对齐，列表项以“- ”开头"),
    ("while parsing a flow", "方括号或花括号没有配对：列表请写成 [甲, 乙]"),
    ("found undefined alias", "“*”在 YAML 中有特殊含义：请用引号把值括起来"),
    ("found unhashable key", "键的写法有误：请检查这一行的冒号和括号"),
]


# Control characters (C0 but tab and newline, DEL, C1) and the two non-characters XML forbids. They
# come pasted from Word (U+000B is its manual line break) or from a damaged export: invisible in an
# editor, they make the feeds invalid XML. The build removes them and says where they were.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def strip_controls(text: str) -> tuple[str, list[int], str]:
    """`text` without control characters; the 1-based lines they were on; their code points ("U+000B")."""
    if not _CONTROL.search(text):
        return text, [], ""
    lines, codes = [], []
    for match in _CONTROL.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if not lines or lines[-1] != line:
            lines.append(line)
        code = f"U+{ord(match.group()):04X}"
        if code not in codes:
            codes.append(code)
    return _CONTROL.sub("", text), lines, "、".join(codes[:3]) + ("等" if len(codes) > 3 else "")


def controls_message(lines: list[int], codes: str) -> str:
    """The warning for control characters removed, reported at lines[0]."""
    more = f"（还有第 {'、'.join(map(str, lines[1:6]))}{' 等' if len(lines) > 6 else ''} 行）" if len(lines) > 1 else ""
    return (f"有看不见的控制字符 {codes}（多是从 Word 或其他软件复制来的，U+000B 是 Word 的换行），"
            f"生成时已删除{more}：请在编辑器中删掉，或重新以纯文本粘贴")


class SourceError(Exception):
    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Document:
    """One content file split into its front matter mapping and Markdown body."""

    path: Path
    rel: str  # posix path relative to content/
    meta: dict
    key_lines: dict[str, int]  # original key -> 1-based line in the file
    body: str
    body_line: int  # 1-based line of the file where the body starts
    fm_line: int = 1
    canonical_lines: dict[str, int] = field(default_factory=dict)
    front: str = ""  # the front matter's text, for compose() where nested lines are needed
    controls: list[int] = field(default_factory=list)  # lines control characters were removed from
    control_codes: str = ""  # which ones ("U+000B")

    def line_of(self, key: str) -> int:
        """Line of a canonical key, or of the front matter start when it is absent."""
        return self.canonical_lines.get(key, self.fm_line)


def decode(data: bytes) -> str:
    """UTF-8 text with any BOM removed and newlines normalised; a clear message otherwise."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(1, "文件是 UTF-16 编码，不是 UTF-8。请在编辑器中“另存为”，编码选择 UTF-8 后保存")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            raise SourceError(line, "文件含有无法识别的字节，不是 UTF-8 编码。请用编辑器打开后另存为 UTF-8") from None
        raise SourceError(
            line,
            "文件是 GBK（GB2312/GB18030）编码，不是 UTF-8。请在编辑器中“另存为”并选择 UTF-8 编码，"
            "或运行：iconv -f GBK -t UTF-8 原文件 > 新文件",
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split(text: str) -> tuple[str, int, str, int]:
    """(front matter text, its first line, body, the body's first line). Raises SourceError."""
    if not text.strip():
        raise SourceError(1, "文件是空的：请写入以 --- 开头和结尾的 front matter（标题、日期等）和正文，或删除这个文件")
    lines = text.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if not _FENCE.match(lines[first]):
        raise SourceError(
            first + 1,
            "缺少 front matter：文件第一行应是 ---，接着写 title: 标题、date: 日期 等，再以一行 --- 结束",
        )
    for index in range(first + 1, len(lines)):
        if _FENCE_END.match(lines[index]):
            fm = "\n".join(lines[first + 1 : index])
            body = "\n".join(lines[index + 1 :])
            return fm, first + 2, body, index + 2
    raise SourceError(first + 1, "front matter 没有结束：第一行的 --- 之后找不到用来结束的另一行 ---")


def load_yaml(fm: str, fm_line: int) -> dict:
    try:
        data = _simple_yaml(fm)
        if data is None:
            data = yaml.load(fm, Loader=_Loader)  # noqa: S506 - a safe loader subclass
    except yaml.MarkedYAMLError as exc:
        hint = _tab_hint(fm, fm_line, exc.problem_mark) or _fullwidth_colon_hint(fm, fm_line)
        if hint:
            raise SourceError(*hint) from None
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark and any(w in (exc.context or "") for w in ("quoted scalar", "flow sequence",
                                                                         "flow mapping")):
            mark = exc.context_mark  # where the unclosed quote or bracket opens
        index = mark.line if mark else 0
        filled = [i for i, text in enumerate(fm.split("\n")) if text.strip()]
        if filled and index > filled[-1]:
            index = filled[-1]  # "end of stream" errors belong to the last written line
        line = fm_line + index
        raise SourceError(line, _yaml_message(exc)) from None
    except yaml.YAMLError as exc:
        raise SourceError(fm_line, f"YAML 格式错误：{exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        hint = _fullwidth_colon_hint(fm, fm_line)
        if hint:
            raise SourceError(*hint)
        raise SourceError(fm_line, "front matter 应是“键: 值”的形式，每行一项，例如 title: 标题（冒号为英文冒号，后跟空格）")
    if any("：" in str(key) for key in data):
        hint = _fullwidth_colon_hint(fm, fm_line)
        if hint:
            raise SourceError(*hint)
    return data


def compose(fm: str) -> yaml.Node | None:
    """The node tree of front matter that load_yaml() already read: its marks give the line of
    every nested key and list item (0-based, from the front matter's first line)."""
    try:
        return yaml.compose(fm, Loader=_Loader) if fm.strip() else None
    except yaml.YAMLError:  # not expected: load_yaml() read the same text; its errors are reported there
        return None


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    text = f"{exc.context or ''} {exc.problem or ''}"
    for needle, hint in YAML_HINTS:
        if needle in text:
            return f"YAML 格式错误：{hint}"
    return f"YAML 格式错误（{(exc.problem or exc.context or '').strip()}）：请检查这一行的写法"


def _fullwidth_colon_hint(fm: str, fm_line: int) -> tuple[int, str] | None:
    for index, line in enumerate(fm.split("\n")):
        if _FULLWIDTH_COLON_KEY.match(line) and ": " not in line:
            return fm_line + index, "这一行用了中文冒号“：”：请改为英文冒号“:”并在后面加一个空格，例如 标题: 某某村开展主题党日活动"
    return None


def _tab_hint(fm: str, fm_line: int, mark) -> tuple[int, str] | None:
    """A Tab where YAML wants spaces: the C loader only says "found character that cannot start any token"."""
    lines = fm.split("\n")
    if mark is None or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    indent = line[:len(line) - len(line.lstrip(" \t"))]
    if "\t" not in indent and line[mark.column:mark.column + 1] != "\t":
        return None
    column = (indent.index("\t") if "\t" in indent else mark.column) + 1
    return fm_line + mark.line, (f"这一行的第 {column} 个字符是 Tab 键：YAML 只能用空格缩进，请把 Tab 换成空格"
                                 f"（下一层比上一层多两个空格，同一层对齐）")


# "颜色: #c8501e": YAML reads what follows " #" as a comment, so the key has no value at all.
_VALUE_COMMENT = re.compile(r"^[ \t]*(?:-[ \t]+)?[^#\s][^:]*:[ \t]+(#[^\n]*?)[ \t]*$")


def commented_value(line: str) -> str | None:
    """The comment a key's whole value became ("#c8501e"), when its line is `key: #…`."""
    match = _VALUE_COMMENT.match(line)
    return match.group(1) if match else None


def commented_value_message(key: str, comment: str) -> str:
    return (f"“{key}”是空的：YAML 把 # 及后面的“{comment}”当作注释忽略了。"
            f"如果这就是要写的值，请用英文引号括起来：{key}: \"{comment}\"")


def key_lines(fm: str, fm_line: int) -> dict[str, int]:
    """Line of each top-level key, found by a scan of unindented lines (cheap, no second parse)."""
    found: dict[str, int] = {}
    for index, line in enumerate(fm.split("\n")):
        if not line or line[0] in " \t#-":
            continue
        match = _KEY_LINE.match(line)
        if match:
            key = next(g for g in match.groups() if g is not None).strip()
            found.setdefault(key, fm_line + index)
    return found


def read_document(path: Path, rel: str, data: bytes | None = None) -> Document:
    """Parse one content file. Raises SourceError with a line number and a Chinese message."""
    if data is None:
        data = path.read_bytes()
    text, controls, codes = strip_controls(decode(data))
    fm, fm_line, body, body_line = split(text)
    meta = load_yaml(fm, fm_line)
    return Document(path, rel, meta, key_lines(fm, fm_line), body, body_line, fm_line, front=fm,
                    controls=controls, control_codes=codes)


def canonicalize(doc: Document, schema: dict[str, tuple[str, ...]], problems: Problems) -> dict:
    """Map Chinese aliases to canonical keys; warn on unknown keys with the closest known one."""
    alias_to_key = {}
    for key, aliases in schema.items():
        alias_to_key[key] = key
        for alias in aliases:
            alias_to_key[alias] = key
    result: dict = {}
    for raw_key, value in doc.meta.items():
        key_text = str(raw_key).strip()
        line = doc.key_lines.get(key_text, doc.fm_line)
        canonical = alias_to_key.get(key_text) or alias_to_key.get(key_text.lower())
        if canonical is None:
            problems.warning(doc.path, line, f"未知的键 \"{key_text}\"，已忽略{suggest(key_text, alias_to_key)}")
            continue
        if canonical in result:
            problems.warning(doc.path, line, f"\"{key_text}\" 与前面的键重复（都表示 {canonical}），以后写的为准")
        if value is None and doc.fm_line <= line:
            lines = doc.front.split("\n")
            comment = commented_value(lines[line - doc.fm_line]) if line - doc.fm_line < len(lines) else None
            if comment:
                problems.warning(doc.path, line, commented_value_message(key_text, comment))
        result[canonical] = value
        doc.canonical_lines[canonical] = line
    return result


def suggest(word: str, choices) -> str:
    """'，是不是 "x"？' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.5)
    return f"，是不是 \"{close[0]}\"？" if close else ""
