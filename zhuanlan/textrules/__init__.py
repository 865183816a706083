"""Text rules shared by `check`, `import` and the build: personal data, mojibake, pinyin left from
copied pages, traditional and simplified characters mixed, half-width punctuation in Chinese, and
the site's own word list (forbidden terms, wrong → right formulations).

Every rule is a pure function of one file's text (and the word list), so results can be cached
per file. Rules run on a "prose view" of the source (`prose`): the same text with Markdown and
YAML markup, code, URLs and paths replaced by spaces, so positions still match the file but a link
target or a front matter key is never mistaken for prose.

One module per rule family, each with its detector and the fixer import uses: `personal`,
`wordlist`, `mojibake`, `pinyin`, `mixedscript`, `punctuation`. This module runs them.
"""
from __future__ import annotations

from pathlib import Path

from ..frontmatter import SourceError, decode
from ..problems import Problem
from . import personal, wordlist
from .personal import BANK_CARD, ID_NUMBER, MOBILE, find_personal_data, has_long_number
from .prose import NO_WORDS, Finding, Positions, WordList, body_offset, prose_view
from .wordlist import FORBIDDEN, WORDING, alternation, find_words

# The warning-level families' rule names (their modules take them from here); the modules are imported
# by the scan that runs them: a build runs only the error rules (personal data, the word list), and
# importing the rest (compiling their patterns) took 15 ms of every rebuild.
MOJIBAKE, PINYIN, MIXED_SCRIPT, PUNCTUATION = "mojibake", "pinyin", "mixed-script", "punctuation"

# The build refuses to publish what these find; `check` reports every rule.
ERROR_RULES = frozenset({ID_NUMBER, BANK_CARD, FORBIDDEN, WORDING})
ALL_RULES = ERROR_RULES | {MOBILE, MOJIBAKE, PINYIN, MIXED_SCRIPT, PUNCTUATION}


def scan(source: str, words: WordList = NO_WORDS, rules: frozenset[str] = ALL_RULES,
         front_matter: bool = True, yaml: bool = False) -> list[Finding]:
    """Every finding of `rules` in one file's text, in reading order. Pure: same input, same output.

    Cheap searches of the raw text decide first whether a rule can find anything at all, so that
    the build's error rules cost one or two regex passes on a clean file.
    """
    wanted = set(rules)
    if wanted & personal.RULES and not has_long_number(source):
        wanted -= personal.RULES
    if FORBIDDEN in wanted and not (words.forbidden and alternation(words.forbidden).search(source)):
        wanted.discard(FORBIDDEN)
    if WORDING in wanted and not (words.wording and alternation(tuple(w for w, _ in words.wording)).search(source)):
        wanted.discard(WORDING)
    if not wanted:
        return []
    rules = frozenset(wanted)
    view = prose_view(source, front_matter, yaml)
    at = Positions(view)
    found: list[Finding] = []
    if rules & personal.RULES:
        body_start = -1 if yaml else body_offset(source) if front_matter else 0
        numbers = personal.number_view(source, view, body_start) if body_start >= 0 else personal.fold(view)
        found += find_personal_data(numbers, at, words, rules, source, body_start)
    if rules & wordlist.RULES:
        found += find_words(view, at, words, rules)
    if MOJIBAKE in rules:
        from .mojibake import find_mojibake

        found += find_mojibake(view, at)
    if PINYIN in rules:
        from .pinyin import find_pinyin

        found += find_pinyin(view, at)
    if MIXED_SCRIPT in rules:
        from .mixedscript import find_mixed_script
        from .mojibake import find_mojibake

        garbled = {f.line for f in (found if MOJIBAKE in rules else find_mojibake(view, at)) if f.rule == MOJIBAKE}
        found += [f for f in find_mixed_script(view, at) if f.line not in garbled]  # mojibake is not a script choice
    if PUNCTUATION in rules:
        from .punctuation import find_punctuation

        found += find_punctuation(view, at)
    return sorted(found, key=lambda f: (f.line, f.col, f.rule))


def scan_errors(source: str, words: WordList = NO_WORDS) -> list[Finding]:
    """The rules that stop a build: what must never be published."""
    return scan(source, words, ERROR_RULES)


def as_problem(path: str, finding: Finding) -> Problem:
    return Problem(path, finding.line, finding.level, finding.message, finding.col, finding.rule)


def file_errors(path: str, words: WordList = NO_WORDS, data: bytes | None = None) -> list[Problem]:
    """The build's text rules for one content file (unmasked ID and bank card numbers, forbidden
    terms, wrong formulations): a function of the file's bytes and the word list, so the parse
    cache keeps the result with the record."""
    try:
        source = decode(Path(path).read_bytes() if data is None else data)
    except (OSError, SourceError):
        return []  # the parser reports a file it cannot read
    return [as_problem(path, finding) for finding in scan_errors(source, words)]
