"""Traditional and simplified characters mixed in one text: the odd characters named with their
right form, or one warning for a story written in traditional characters throughout."""
from __future__ import annotations

import re
from functools import lru_cache

from .. import hanzi
from ..problems import WARNING
from . import MIXED_SCRIPT  # the rule's name is the package's (a build names it without importing this module)
from .prose import Finding, Positions, encodable


@lru_cache(maxsize=1)
def script_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(traditional-only → simplified, simplified-only → traditional), character by character.

    Built once from OpenCC's own tables. A character counts as traditional-only when OpenCC
    simplifies it and GB2312 lacks it, and simplified-only when OpenCC makes it traditional and
    Big5 lacks it; so 后、里、干、台, which traditional texts use too, are neither.
    """
    chars = [chr(c) for c in range(0x4E00, 0x9FA6)]
    trad = {c: s for c, s in hanzi.t2s_chars(chars).items() if not encodable(c, "gb2312")}
    simple = {c: t for c, t in hanzi.s2t_chars(chars).items() if not encodable(c, "big5")}
    return trad, simple


@lru_cache(maxsize=1)
def _script_patterns() -> tuple[re.Pattern, re.Pattern]:
    trad, simple = script_tables()
    return (re.compile("[" + "".join(sorted(trad)) + "]"), re.compile("[" + "".join(sorted(simple)) + "]"))


def script_counts(text: str) -> tuple[int, int]:
    """(traditional-only characters, simplified-only characters) in `text`."""
    trad, simple = _script_patterns()
    return len(trad.findall(text)), len(simple.findall(text))


def find_mixed_script(view: str, at: Positions) -> list[Finding]:
    trad, simple = script_tables()
    n_trad, n_simple = script_counts(view)
    if n_trad >= 5 and n_trad > 4 * n_simple:  # traditional throughout (a stray 后 or 台 does not change that)
        first = _script_patterns()[0].search(view).start()
        row, col = at(first)
        return [Finding(MIXED_SCRIPT, WARNING, row, col, 1,
                        f"这篇文章用的是繁体字（{n_trad} 处）：网站应使用规范汉字（简体），"
                        f"可用 python build.py import --simplified 从原文重新导入")]
    if not n_trad or not n_simple:
        return []
    trad_pattern, simple_pattern = _script_patterns()
    table, pattern, script, other = ((trad, trad_pattern, "繁体", "简体") if n_trad <= n_simple
                                     else (simple, simple_pattern, "简体", "繁体"))
    found = []
    offset = 0
    for line in view.split("\n"):
        hits = [m.start() for m in pattern.finditer(line)]
        if hits:
            chars = "".join(dict.fromkeys(line[i] for i in hits))
            right = "".join(table[c] for c in chars)
            row, col = at(offset + hits[0])
            found.append(Finding(MIXED_SCRIPT, WARNING, row, col, 1,
                                 f"{script}字“{'、'.join(chars)}”混在{other}文章中，应为“{'、'.join(right)}”"))
        offset += len(line) + 1
    return found
