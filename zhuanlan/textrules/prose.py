"""What every text rule shares: the prose view of a file (markup, code, URLs and paths blanked out,
positions kept), offsets → line and column, the finding a rule reports, and the site's word list.
"""
from __future__ import annotations

import bisect
import functools
import hashlib
import re
from dataclasses import dataclass, field

HAN_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # for character classes: [{HAN_CHARS}]
HAN = re.compile(f"[{HAN_CHARS}]")


@dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    line: int  # 1-based
    col: int  # 1-based, in characters
    length: int  # characters of the span at fault
    message: str
    fix: str | None = None  # what the span should become, when that is certain enough to apply


@dataclass(frozen=True)
class WordList:
    """The site's words: terms never to publish, wrong → right formulations, numbers known to be fine."""

    forbidden: tuple[str, ...] = ()
    wording: tuple[tuple[str, str], ...] = ()  # (wrong, right)
    allow: frozenset[str] = field(default_factory=frozenset)  # digits of public numbers, e.g. a hotline

    @functools.cached_property  # asked for every cached file of every build
    def key(self) -> str:
        """A short fingerprint, so that cached results can be keyed by (file hash, word list)."""
        text = repr((self.forbidden, self.wording, sorted(self.allow)))
        return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


NO_WORDS = WordList()


# ---------------------------------------------------------------- the prose view

_FENCE = re.compile(r"^[ \t]*---[ \t]*$")
_FM_KEY = re.compile(r"^([ \t]*(?:-[ \t]+)?)((?:\"[^\"\n]*\"|'[^'\n]*'|[^:#\n\"'][^:\n]*?)[ \t]*:(?:[ \t]|$))")
_FLOW_ITEM = re.compile(r"[ \t]*-[ \t]+[\[{]")  # a list item written as a flow mapping or list: "- {名称: U盘}"
_FM_QUOTED = re.compile(r"""^([ \t]*)(["'])(.*)\2([ \t]*(?:#.*)?)$""")
_CODE_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
# Markup to blank out, each with a substring that must be present for the pattern to be worth running.
_BLANKS = [
    ("<!--", re.compile(r"<!--.*?-->", re.S)),  # HTML comments
    ("`", re.compile(r"`+[^`\n]*`+")),  # inline code
    ("<", re.compile(r"<[A-Za-z/!][^<>\n]*>")),  # HTML tags and autolinks
    ("](", re.compile(r"(?<=\])\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'))?\)")),  # targets
    ("]:", re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.M)),  # reference definitions
    (":", re.compile(r"(?:https?|ftp|mailto):[!-~]+|www\.[!-~]+")),  # bare URLs
]
# An ASCII token with a slash and a letter in it is a path or an address, not prose.
_ASCII_TOKEN = re.compile(r"[A-Za-z0-9._~%/+-]+")


def _blank_paths(text: str) -> str:
    if "/" not in text:
        return text
    return _ASCII_TOKEN.sub(lambda m: " " * len(m.group())
                            if "/" in m.group() and re.search("[A-Za-z]", m.group()) else m.group(), text)


def _blank_markup(text: str, which=None) -> str:
    for needle, pattern in which or _BLANKS:
        if needle in text:
            text = pattern.sub(lambda m: _blank(m.group()), text)
    return _blank_paths(text)


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text) if "\n" in text else " " * len(text)


def front_matter_end(source: str) -> int:
    """Line index (0-based) just after the closing `---` of the front matter, 0 when there is none."""
    lines = source.split("\n")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first >= len(lines) or not _FENCE.match(lines[first]):
        return 0
    for index in range(first + 1, len(lines)):
        if re.match(r"^(?:---|\.\.\.)[ \t]*$", lines[index]):
            return index + 1
    return 0


def body_offset(source: str) -> int:
    """Offset of the body: the first character after the front matter's closing line (0 without one)."""
    end = front_matter_end(source)
    if not end:
        return 0
    pieces = source.split("\n", end)
    return len(source) - len(pieces[-1]) if len(pieces) > end else len(source)


def prose_view(source: str, front_matter: bool = True, yaml: bool = False) -> str:
    """`source` with every character that is not prose replaced by a space (same length, same lines).

    `yaml`: the whole text is YAML (site.yaml), read the way front matter is.
    """
    lines = source.split("\n")
    fm_end = len(lines) if yaml else front_matter_end(source) if front_matter else 0
    for index in range(fm_end):
        line = lines[index]
        if _FENCE.match(line) or re.match(r"^(?:---|\.\.\.)[ \t]*$", line) or line.lstrip().startswith("#"):
            lines[index] = " " * len(line)
            continue
        key = None if _FLOW_ITEM.match(line) else _FM_KEY.match(line)
        head = ""
        if key:
            head, line = " " * key.end(), line[key.end():]
        elif line.lstrip().startswith("- "):
            cut = line.index("- ") + 2
            head, line = " " * cut, line[cut:]
        if line.strip()[:1] in ("[", "{") and line.strip()[-1:] in ("]", "}"):
            # a YAML flow list or mapping: brackets, commas and the colons after keys are syntax
            line = re.sub(r"[\[\]{},]|:(?=[ \t])", " ", line)
        quoted = _FM_QUOTED.match(line)
        if quoted:  # YAML quotes around a value are syntax, not Chinese punctuation
            line = quoted.group(1) + " " + quoted.group(3) + " " + " " * len(quoted.group(4))
        line = re.sub(r"[ \t]+#.*$", lambda m: " " * len(m.group()), line)  # YAML comments
        lines[index] = head + line
    fence = None
    for index in range(fm_end, len(lines)):
        match = _CODE_FENCE.match(lines[index])
        if fence:
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
            lines[index] = " " * len(lines[index])
        elif match:
            fence = match.group(1)
            lines[index] = " " * len(lines[index])
        elif lines[index].startswith(("    ", "\t")) and index > fm_end and not lines[index - 1].strip():
            lines[index] = " " * len(lines[index])  # indented code block
    body = _blank_markup("\n".join(lines[fm_end:]))
    head = _blank_markup("\n".join(lines[:fm_end]), _BLANKS[-1:])  # front matter: URLs and paths only
    return head + ("\n" if fm_end and fm_end < len(lines) else "") + body if fm_end else body


class Positions:
    """Offsets in a text → (line, col), both 1-based."""

    def __init__(self, text: str, first_line: int = 1):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.first_line = first_line

    def __call__(self, offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(self.starts, offset) - 1
        return self.first_line + index, offset - self.starts[index] + 1


def encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True
