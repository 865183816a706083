"""Finding a Chinese font for what the build draws itself (brand posters): Pillow brings none.

In order: the file site.yaml names (海报字体); else, when the environment variable
ZHUANLAN_FONT_DIRS is set, only the folders it lists (separated like PATH: for tests and unusual
machines); else fontconfig's choice for Simplified Chinese (Linux), then well-known files in the
usual font folders of Windows, macOS and Linux. A file counts only if it really draws Chinese
(fontconfig answers with a Latin font when there is no CJK one). Of a collection (.ttc) the
Simplified Chinese face is taken, so that 门 and 骨 have their mainland shapes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import cachepaths
from .problems import Problems
from .stamps import engine_key

if TYPE_CHECKING:
    from PIL import ImageFont  # imported where a font is opened: a build with nothing to draw needs no Pillow

FONT_DIRS_ENV = "ZHUANLAN_FONT_DIRS"
FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
# Regular (or medium) faces first, sans before serif; names as the files are called (lowercase).
KNOWN_FILES = (
    "notosanscjk-regular.ttc", "notosanscjksc-regular.otf", "notosanssc-regular.otf", "notosanssc-regular.ttf",
    "sourcehansanssc-regular.otf", "sourcehansans-regular.ttc", "sourcehansanscn-regular.otf",
    "msyh.ttc", "msyh.ttf", "pingfang.ttc", "hiragino sans gb.ttc", "stheiti medium.ttc", "simhei.ttf",
    "wqy-microhei.ttc", "wqy-zenhei.ttc", "droidsansfallbackfull.ttf", "notoserifcjk-regular.ttc",
    "sourcehanserifsc-regular.otf", "simsun.ttc", "songti.ttc",
)
NO_FONT = ("没有找到中文字体，这次没有生成品牌海报（品牌页上也不显示“保存海报”），网站的其他部分照常生成："
           "请安装中文字体（Debian/Ubuntu：sudo apt-get install fonts-noto-cjk），"
           "或在 site.yaml 中写明字体文件，例如 海报字体: C:/Windows/Fonts/msyh.ttc")


@dataclass(frozen=True)
class FontFile:
    """A Chinese face: file and index in it; `bold` a bold face of the same family, if found."""

    path: str
    index: int = 0
    bold_path: str = ""
    bold_index: int = 0

    @property
    def stamp(self) -> str:
        """What the drawing depends on, for cache keys: the files, their sizes and times."""
        parts = []
        for path, index in ((self.path, self.index), (self.bold_path, self.bold_index)):
            if path:
                info = os.stat(path)
                parts.append(f"{path}#{index}:{info.st_size}:{info.st_mtime_ns}")
        return "|".join(parts)

    def load(self, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
        if bold and self.bold_path:
            return _load(self.bold_path, self.bold_index, size)
        return _load(self.path, self.index, size)


@lru_cache(maxsize=64)
def _load(path: str, index: int, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(path, size, index=index)


def find_font(config, problems: Problems, faces_cache: Path | None = None) -> FontFile | None:
    """The font to draw with, or None (with a message saying why and what to do). `faces_cache`:
    a file keeping what the font files hold between builds (opening them took longer than the rest
    of a one-story rebuild's checks)."""
    known = _StoredFaces(faces_cache)
    try:
        return _find_font(config, problems)
    finally:
        known.save()


def _find_font(config, problems: Problems) -> FontFile | None:
    if config.poster_font:
        return _configured(config, problems)
    listed = os.environ.get(FONT_DIRS_ENV)
    if listed is not None:
        candidates = _font_files([Path(d) for d in listed.split(os.pathsep) if d], every=True)
    else:
        candidates = _fontconfig() + _font_files(system_font_dirs())
    for path in dict.fromkeys(candidates):
        index = chinese_face(path)
        if index is not None:
            return FontFile(path, index, *_bold_sibling(path))
    problems.warning(config.path, 0, NO_FONT)
    return None


def _configured(config, problems: Problems) -> FontFile | None:
    value = config.poster_font
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = config.root / path
    line = config.line_of("poster_font")
    if not path.is_file():
        problems.error(config.path, line, f"海报字体 \"{value}\" 不存在：写字体文件的路径（从网站文件夹算起，或完整路径），"
                                          f"例如 海报字体: fonts/NotoSansSC-Regular.otf")
        return None
    index = chinese_face(str(path))
    if index is None:
        problems.error(config.path, line, f"海报字体 \"{value}\" 不是含中文的字体文件：请换一个中文字体"
                                          f"（.ttf、.otf 或 .ttc），例如思源黑体、微软雅黑")
        return None
    return FontFile(str(path), index, *_bold_sibling(str(path)))


def system_font_dirs() -> list[Path]:
    home = Path.home()
    if sys.platform == "win32":
        windows = Path(os.environ.get("WINDIR", r"C:\Windows"))
        local = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
        return [windows / "Fonts", local / "Microsoft" / "Windows" / "Fonts"]
    if sys.platform == "darwin":
        return [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local" / "share" / "fonts",
            home / ".fonts"]


def _fontconfig() -> list[str]:
    """fontconfig's sans-serif for Simplified Chinese (may be a Latin font: checked by the caller)."""
    program = shutil.which("fc-match")
    if not program:
        return []
    try:
        found = subprocess.run([program, "-f", "%{file}", "sans-serif:lang=zh-cn"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return []
    return [found] if found and os.path.isfile(found) else []


def _font_files(dirs: list[Path], every: bool = False) -> list[str]:
    """Well-known Chinese fonts in these folders (and their sub-folders), best first; with `every`,
    then every other font file there too."""
    by_name: dict[str, str] = {}
    others: list[str] = []
    for folder in dirs:
        for current, subdirs, files in os.walk(folder):
            subdirs.sort()
            for name in sorted(files):
                if name.lower().endswith(FONT_SUFFIXES):
                    by_name.setdefault(name.lower(), os.path.join(current, name))
                    others.append(os.path.join(current, name))
    known = [by_name[name] for name in KNOWN_FILES if name in by_name]
    return known + [path for path in others if path not in known] if every else known


_STORED: dict[str, list] = {}  # "path\x1fstamp" → _faces(path, stamp), from the cache file (_StoredFaces)


class _StoredFaces:
    """What _faces found in each font file, kept in a cache file by the file's path and stamp."""

    def __init__(self, path: Path | None):
        self.path = path
        self.read: dict = {}
        data = cachepaths.read_json(path)
        if isinstance(data, dict) and data.get("engine") == engine_key() and isinstance(data.get("faces"), dict):
            self.read = data["faces"]
        _STORED.clear()
        _STORED.update(self.read)

    def save(self) -> None:
        if self.path is not None and _STORED != self.read:
            cachepaths.write_json(self.path, {"engine": engine_key(), "faces": _STORED})


@lru_cache(maxsize=32)
def _faces(path: str, stamp: str) -> tuple[tuple[int, str, bool], ...]:
    """(index, family name, draws Chinese) of each face in the file."""
    key = f"{path}\x1f{stamp}"
    stored = _STORED.get(key)
    if isinstance(stored, list) and all(isinstance(face, list) and len(face) == 3 for face in stored):
        return tuple((int(index), str(name), bool(draws)) for index, name, draws in stored)
    faces = _open_faces(path)
    _STORED[key] = [list(face) for face in faces]
    return faces


def _open_faces(path: str) -> tuple[tuple[int, str, bool], ...]:
    from PIL import ImageFont

    faces = []
    for index in range(64):
        try:
            font = ImageFont.truetype(path, 40, index=index)
        except OSError:
            break
        faces.append((index, font.getname()[0] or "", _draws_chinese(font)))
    return tuple(faces)


def _draws_chinese(font: ImageFont.FreeTypeFont) -> bool:
    """A font without a glyph draws its "missing" box: 国 must look different from a code point
    no font has."""
    known, missing = font.getmask("国"), font.getmask("\U000f0000")
    return known.size != missing.size or bytes(known) != bytes(missing)


def chinese_face(path: str) -> int | None:
    """Index of the face to use in the file (Simplified Chinese if it has several), or None."""
    try:
        info = os.stat(path)
        faces = _faces(path, f"{info.st_size}:{info.st_mtime_ns}")
    except OSError:
        return None
    chinese = [(index, name) for index, name, draws in faces if draws]
    for index, name in chinese:
        if any(mark in name for mark in (" SC", "GB", " CN", "简")) and "Mono" not in name:
            return index
    return chinese[0][0] if chinese else None


def _bold_sibling(path: str) -> tuple[str, int]:
    """The bold file of the same family beside a regular one (NotoSansCJK-Bold.ttc, msyhbd.ttc);
    ("", 0) when there is none, and bold text is drawn with a stroke instead."""
    folder, name = os.path.split(path)
    stem, suffix = os.path.splitext(name)
    names = [stem.replace("Regular", "Bold"), stem.replace("regular", "bold"), stem + "bd", stem + "-Bold"]
    for candidate in dict.fromkeys(n + suffix for n in names if n != stem):
        full = os.path.join(folder, candidate)
        if os.path.isfile(full):
            index = chinese_face(full)
            if index is not None:
                return full, index
    return "", 0
