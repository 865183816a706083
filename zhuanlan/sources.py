"""The build's first stage: what the site folder holds (site.yaml, content/, the theme folders),
each file with its stamp, and one digest of them all, which tells a build whether anything
changed at all. Nothing is read but site.yaml; files are only looked at."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import ENGINE_VERSION
from .config import Config, load_config
from .content import kind_of
from .problems import BuildFailed, Problems
from .render import theme_dirs
from .stamps import digest, file_stamp, stamp_mtime, stamp_of, text_digest

# Files editors leave beside the ones they edit: never content, and no reason to rebuild (serve).
EDITOR_LEFTOVERS = (".swp", ".swx", ".tmp", "~", ".bak", ".DS_Store")
VIM_PROBE = "4913"  # the file vim writes and deletes to learn whether it may write in a folder


def is_leftover(name: str) -> bool:
    return name.endswith(EDITOR_LEFTOVERS) or name == VIM_PROBE


@dataclass
class Sources:
    """What the content folder holds: .md documents and other files, with size:mtime stamps."""

    documents: list[tuple[Path, str, str]] = field(default_factory=list)  # (path, rel, stamp)
    assets: dict[str, Path] = field(default_factory=dict)
    asset_stamps: list[str] = field(default_factory=list)


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
    sources = scan_content(config.content_dir, problems)
    config_digest = digest(config.path.read_bytes())
    stamps = [f"{rel}\x1e{stamp}" for _, rel, stamp in sources.documents] + sources.asset_stamps
    stamps += [f"{p}\x1e{file_stamp(p)}" for p in theme_files(dirs)]
    inputs = text_digest(ENGINE_VERSION, config_digest, str(drafts), str(dirs), *stamps)
    newest = max((stamp_mtime(s) for s in stamps), default=0)
    return Scanned(config, dirs, sources, scanned_ns, config_digest, inputs, newest)


def scan_content(content_dir: Path, problems: Problems) -> Sources:
    found = Sources()
    if not content_dir.is_dir():
        problems.error(content_dir, 0, "找不到 content 文件夹：文章放在 content/stories/，品牌放在 content/brands/")
        return found
    _scan(str(content_dir), "", found, problems)
    return found


def _scan(folder: str, prefix: str, found: Sources, problems: Problems) -> None:
    """Walk with os.scandir (its entries carry stat results cheaply); plain strings until needed."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if name.startswith(".") or is_leftover(name):
            continue
        rel = prefix + name
        try:
            if entry.is_dir():
                if not name.startswith("_"):
                    _scan(entry.path, rel + "/", found, problems)
                continue
            info = entry.stat()
        except OSError:
            continue  # removed while we looked
        stamp = stamp_of(info)
        if name.lower().endswith(".md"):
            if kind_of(rel) is None:
                problems.warning(entry.path, 0, "这个 .md 文件不在 stories/、brands/、columns/ 或 pages/ 中，已忽略")
                continue
            found.documents.append((Path(entry.path), rel, stamp))
        else:
            found.assets[rel] = Path(entry.path)
            found.asset_stamps.append(f"{rel}\x1e{stamp}")


def theme_files(dirs: list[Path]) -> list[Path]:
    files = []
    for theme in dirs:
        for sub in ("templates", "static"):
            folder = theme / sub
            if folder.is_dir():
                files.extend(sorted(p for p in folder.rglob("*") if p.is_file()))
    return files


def static_files(dirs: list[Path]) -> dict[str, Path]:
    """output-relative path → source; a site theme's file replaces the default one of that name."""
    files: dict[str, Path] = {}
    for theme in reversed(dirs):  # default first, the site's own theme last so it wins
        static = theme / "static"
        if not static.is_dir():
            continue
        for path in sorted(static.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files["static/" + path.relative_to(static).as_posix()] = path
    return files
