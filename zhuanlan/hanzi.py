"""Traditional ↔ simplified Chinese through OpenCC, in one place.

OpenCC is imported on first use: most builds never convert anything. `t2s` converts running text
(OpenCC's phrase rules included, as import --simplified wants); `t2s_chars` and `s2t_chars`
convert characters one at a time, for tables that must treat a character the same wherever it
stands (search's folding, the mixed-script rule).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=None)
def _converter(config: str):
    import opencc  # imported here: only imports, checks and search indexes need it

    return opencc.OpenCC(config)


def t2s(text: str) -> str:
    """Running text in simplified characters (OpenCC "t2s", phrases included)."""
    return _converter("t2s").convert(text)


def t2s_chars(chars: Iterable[str]) -> dict[str, str]:
    """Traditional → simplified, character by character: each character of `chars` that OpenCC turns
    into exactly one other character, with that character."""
    return _char_table("t2s", chars)


def s2t_chars(chars: Iterable[str]) -> dict[str, str]:
    """Simplified → traditional, character by character (as `t2s_chars`)."""
    return _char_table("s2t", chars)


def _char_table(config: str, chars: Iterable[str]) -> dict[str, str]:
    chars = list(chars)
    converter = _converter(config)
    # One character per line, so that no phrase rule applies across characters: one call for all.
    converted = converter.convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # never seen; fall back to the slow, certain way
        converted = [converter.convert(char) for char in chars]
    # The table is made anew from one string once the temporaries are gone: its few thousand
    # characters, made among some 200,000 temporary ones, kept their memory (13 MB) from going back.
    kept = "".join(char + out for char, out in zip(chars, converted) if len(out) == 1 and out != char)
    del chars, converted
    return dict(zip(kept[0::2], kept[1::2]))
