"""The build's first stage: what the site folder holds (site.yaml, content/, the theme folders),
each file with its stamp, and one digest of them all, which tells a build whether anything
changed at all. Nothing is read but site.yaml; files are only looked at."""
from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config, load_config
from .problems import BuildFailed, Problems
from .stamps import digest, engine_key, file_stamp, stamp_mtime, stamp_of, text_digest

# Files editors leave beside the ones they edit: never content, and no reason to rebuild (serve).
EDITOR_LEFTOVERS = (".swp", ".swx", ".tmp", "~", ".bak", ".DS_Store")
VIM_PROBE = "4913"  # the file vim writes and deletes to learn whether it may write in a folder
DEFAULT_THEME = Path(__file__).resolve().parent.parent / "themes" / "default"


def is_leftover(name: str) -> bool:
    return name.endswith(EDITOR_LEFTOVERS) or name == VIM_PROBE


def kind_of(rel: str) -> str | None:
    """Which record a content-relative .md path holds, by its first folder."""
    top = rel.split("/", 1)[0]
    return {"stories": "story", "brands": "brand", "columns": "column", "pages": "page"}.get(top)


def theme_dirs(site_root: Path, theme: str) -> list[Path]:
    """The site's theme first (if it has one), then the built-in default theme."""
    dirs = []
    own = site_root / "themes" / theme
    if own.is_dir() and own.resolve() != DEFAULT_THEME.resolve():
        dirs.append(own)
    dirs.append(DEFAULT_THEME)
    return dirs


@dataclass
class Sources:
    """What the content folder holds: .md documents and other files, with size:mtime stamps."""

    documents: list[tuple[Path, str, str]] = field(default_factory=list)  # (path, rel, stamp)
    assets: dict[str, Path] = field(default_factory=dict)
    asset_stamps: list[str] = field(default_factory=list)
    # Links to files or folders outside the site folder (rel, or rel + "/" for a folder) → where
    # they point: never read, never published; a reference to one is an error at its line.
    refused: dict[str, str] = field(default_factory=dict)

    def refusal(self, rel: str) -> str | None:
        """What to say of a reference to `rel` when it is, or lies in, a refused link."""
        for key, target in self.refused.items():
            if rel == key:
                where = ""
            elif key.endswith("/") and rel.startswith(key):
                where = f"所在的文件夹 content/{key.rstrip('/')} "
            else:
                continue
            return f"{where}是指向网站文件夹之外（{target}）的符号链接，为安全起见不发布：请把文件本身复制到 content/ 中"
        return None


@dataclass
class Scanned:
    """site.yaml and what the content and theme folders hold, with a digest of every input."""

    config: Config
    dirs: list[Path]
    sources: Sources
    scanned_ns: int
    config_digest: str
    inputs: str
    newest: int  # modification time of the youngest input file (ns)


def scan_site(site_dir: Path, drafts: bool, problems: Problems) -> Scanned:
    """Raises BuildFailed when there is no site to speak of (site.yaml missing or unreadable)."""
    config = load_config(site_dir, problems)
    if config is None:
        raise BuildFailed(problems)
    dirs = theme_dirs(config.root, config.theme)
    scanned_ns = time.time_ns()  # before any stamp is read: later changes count as new
    sources = scan_content(config.content_dir, problems, config.root)
    config_digest = digest(config.path.read_bytes())
    stamps = [f"{rel}\x1e{stamp}" for _, rel, stamp in sources.documents] + sources.asset_stamps
    stamps += [f"{_site_relative(p, config.root)}\x1e{file_stamp(p)}" for p in theme_files(dirs, config.root, problems)]
    inputs = text_digest(engine_key(), config_digest, str(drafts), *(_site_relative(d, config.root) for d in dirs),
                         *stamps)
    newest = max((stamp_mtime(s) for s in stamps), default=0)
    return Scanned(config, dirs, sources, scanned_ns, config_digest, inputs, newest)


def _site_relative(path: Path, root: Path) -> str:
    """A path as the inputs digest keeps it: relative to the site folder when inside it, so a
    copied or moved site (output and .cache included) has nothing to rebuild."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _inside(real: str, folder: str) -> bool:
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)


def scan_content(content_dir: Path, problems: Problems, site_dir: Path | None = None) -> Sources:
    found = Sources()
    if not content_dir.is_dir():
        problems.error(content_dir, 0, "找不到 content 文件夹：文章放在 content/stories/，品牌放在 content/brands/")
        return found
    site = os.path.realpath(site_dir or content_dir.parent)
    real = os.path.realpath(content_dir)
    if not _inside(real, site):
        problems.error(content_dir, 0, f"content 文件夹是指向网站文件夹之外（{real}）的符号链接，为安全起见不读取："
                                       f"请把 content 文件夹本身放在网站文件夹中")
        return found
    _ContentWalk(site, found, problems, real).walk(str(content_dir), "", (os.stat(content_dir),))
    return found


class _ContentWalk:
    """Walks content/ with os.scandir (its entries carry stat results cheaply), plain strings
    until needed. Only regular files are read (a named pipe would hang the build); links are
    followed only within the site folder; a folder link back to a folder above it is a loop, and a
    link to a folder or story elsewhere in content/ is skipped (what it shows is read there already)."""

    def __init__(self, site: str, found: Sources, problems: Problems, content: str):
        self.site, self.found, self.problems, self.content = site, found, problems, content

    def walk(self, folder: str, prefix: str, above: tuple[os.stat_result, ...]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if name.startswith(".") or is_leftover(name):
                continue
            try:
                self._entry(entry, prefix + name, above)
            except OSError:
                continue  # removed while we looked, or a link to nothing

    def _entry(self, entry: os.DirEntry, rel: str, above: tuple[os.stat_result, ...]) -> None:
        name = entry.name
        real = os.path.realpath(entry.path) if entry.is_symlink() else ""
        if real and not _inside(real, self.site):
            self._refuse(entry, rel, real)
            return
        if entry.is_dir():
            if name.startswith("_"):
                return
            info = entry.stat()
            loop = next((a for a in above if os.path.samestat(a, info)), None)
            if loop is not None:
                self.problems.warning(entry.path, 0, f"这个文件夹链接指向它自己的上级文件夹（{real or os.path.realpath(entry.path)}），形成循环，已跳过："
                                                     f"请删除这个链接")
                return
            if real and _inside(real, self.content):
                self._twice(entry, real)
                return
            self.walk(entry.path, rel + "/", (*above, info))
            return
        if real and name.lower().endswith(".md") and _inside(real, self.content):
            self._twice(entry, real)
            return
        info = entry.stat()
        if not stat.S_ISREG(info.st_mode):
            self.problems.warning(entry.path, 0, "这不是普通文件（可能是命名管道或设备文件），已跳过：请删除它，"
                                                 "或换成普通文件")
            return
        stamp = stamp_of(info)
        if name.lower().endswith(".md"):
            if kind_of(rel) is None:
                self.problems.warning(entry.path, 0, "这个 .md 文件不在 stories/、brands/、columns/ 或 pages/ 中，已忽略")
                return
            self.found.documents.append((Path(entry.path), rel, stamp))
        else:
            self.found.assets[rel] = Path(entry.path)
            self.found.asset_stamps.append(f"{rel}\x1e{stamp}")

    def _twice(self, entry: os.DirEntry, real: str) -> None:
        """A link to a folder or story that content/ holds itself: read once, where it really is
        (followed, every story in it would be a second page at the same address)."""
        where = os.path.relpath(real, os.path.dirname(self.content))
        self.problems.warning(entry.path, 0, f"这个链接指向 content 中已有的 {where}，那里的文章已经读过，这里跳过，"
                                             f"不重复发布：请删除这个链接")

    def _refuse(self, entry: os.DirEntry, rel: str, real: str) -> None:
        """A link out of the site folder: not read. Markdown is refused here; a picture or an
        attachment where a reference names it (Sources.refusal)."""
        if os.path.isdir(real):
            self.found.refused[rel + "/"] = real
            self.problems.warning(entry.path, 0, f"这个文件夹是指向网站文件夹之外（{real}）的符号链接，为安全起见"
                                                 f"其中的文章和文件都不读取、不发布：请把需要的文件复制到 content/ 中")
        elif entry.name.lower().endswith(".md"):
            self.problems.error(entry.path, 0, f"这个文件是指向网站文件夹之外（{real}）的符号链接，为安全起见不读取、"
                                               f"不发布：请把文件本身复制到 content/ 中")
        else:
            self.found.refused[rel] = real


def theme_files(dirs: list[Path], site_dir: Path, problems: Problems | None = None) -> list[Path]:
    """Every file of the themes' templates/ and static/. A link out of the site folder (and out
    of the built-in theme) is an error when `problems` is given, and never listed."""
    files = []
    for theme in dirs:
        for sub in ("templates", "static"):
            folder = theme / sub
            if folder.is_dir():
                files.extend(_theme_tree(folder, site_dir, problems))
    return files


def _theme_tree(folder: Path, site_dir: Path, problems: Problems | None) -> list[Path]:
    allowed = [os.path.realpath(DEFAULT_THEME), os.path.realpath(site_dir)]

    def outside(path: Path) -> bool:
        real = os.path.realpath(path)
        if any(_inside(real, a) for a in allowed):
            return False
        if problems is not None:
            problems.error(path, 0, f"主题中的这个文件或文件夹是指向网站文件夹之外（{real}）的符号链接，为安全起见"
                                    f"不读取、不发布：请把文件本身复制到主题文件夹中")
        return True

    if outside(folder):
        return []
    return [path for path in sorted(folder.rglob("*"))
            if not (path.is_symlink() and outside(path)) and path.is_file()]


def static_files(dirs: list[Path], site_dir: Path) -> dict[str, Path]:
    """output-relative path → source; a site theme's file replaces the default one of that name."""
    files: dict[str, Path] = {}
    for theme in reversed(dirs):  # default first, the site's own theme last so it wins
        static = theme / "static"
        if not static.is_dir():
            continue
        for path in _theme_tree(static, site_dir, None):
            if not path.name.startswith("."):
                files["static/" + path.relative_to(static).as_posix()] = path
    return files
