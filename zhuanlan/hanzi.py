"""Traditional ↔ simplified Chinese through OpenCC, in one place.

OpenCC is imported on first use: most builds never convert anything. `t2s` converts running text
(OpenCC's phrase rules included, as import --simplified wants); `t2s_chars` and `s2t_chars`
convert characters one at a time, for tables that must treat a character the same wherever it
stands (search's folding, the mixed-script rule).

A table is worked out from OpenCC once and then kept (`keep_tables_in`, the site's cache folder),
keyed by the characters asked for, OpenCC's installed files and this code: search's table of every
CJK character took 0.1–0.2 s of OpenCC, paid by every rebuild that indexed one edited story.
"""
from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from . import cachepaths

_KEPT_TABLES = 8  # a site uses two or three (search's t2s; the mixed-script rule's two)
_tables_file: Path | None = None


def keep_tables_in(path: Path | None) -> None:
    """Keep tables in this file from now on (None: work each out from OpenCC every time)."""
    global _tables_file
    _tables_file = path


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
    if not isinstance(chars, str):  # a string of many characters is taken as it is (its own key)
        chars = list(chars)
    path = _tables_file
    if path is None or not chars:
        return _converted(config, chars)
    from .stamps import engine_key, text_digest

    key = text_digest(engine_key(), config, _opencc_files(), chars if isinstance(chars, str) else "".join(chars))
    kept = cachepaths.read_json(path)
    kept = kept if isinstance(kept, dict) else {}
    table = kept.get(key)
    if not isinstance(table, dict):
        table = _converted(config, chars)
        kept = {k: v for k, v in kept.items() if k != key}
        kept = dict(list(kept.items())[-(_KEPT_TABLES - 1):] + [(key, table)])
        try:
            cachepaths.write_json(path, kept)
        except OSError:  # only a lost speed-up
            pass
    return table


@lru_cache(maxsize=1)
def _opencc_files() -> str:
    """OpenCC's installed files (its library and dictionaries), each by path, size and time."""
    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        return ""
    parts = []
    for top in spec.submodule_search_locations:
        for folder, subfolders, files in os.walk(top):
            subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
            for name in sorted(files):
                info = os.stat(os.path.join(folder, name))
                parts.append(f"{os.path.relpath(os.path.join(folder, name), top)}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)


def _converted(config: str, chars: list[str] | str) -> dict[str, str]:
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
