"""What is published: output/ as the last successful build left it, each file with its size and MD5.

A deploy refuses when there is no such build: output/ empty or missing files, a build cut off
half-way, inputs (site.yaml, content, theme) that changed after the last successful build, which
is also what a failed build leaves behind, or a scheduled story (定时发布) that became due since.
The inputs are compared the way the build's own nothing-changed shortcut compares them: the digest
of every input file's stamp, and the window in which its split of stories holds (schedule.py).

MD5s are kept in the site's .cache beside the build manifest, keyed by size and modification time,
so a deploy after a one-story edit reads only the files that build wrote.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import cachepaths, schedule
from ..dates import format_minute
from ..output import TEMP_SUFFIX, Manifest, finish_interrupted_commit
from ..problems import BuildFailed, Problems
from ..sources import Scanned, scan_site
from ..stamps import RACY_MARGIN_NS

BUILD_FIRST = "请先运行 python build.py 生成网站，再发布"
CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalFile:
    rel: str  # path under output/, posix
    size: int
    md5: str  # hex


def read_site(site_dir: Path, problems: Problems) -> Scanned | None:
    """site.yaml (the targets with it) and what the site folder holds, as the build scans them;
    None when site.yaml has errors (they are in `problems`, with its warnings)."""
    try:
        found = scan_site(site_dir, False, problems)  # the build's own scan and input digest
    except BuildFailed:
        found = None
    if found is None or problems.has_errors():
        problems.error("", 0, "网站的设置或文件有错误，不能发布：请按上面的提示改正，再运行 python build.py 生成网站，然后发布")
        return None
    return found


def built_files(found: Scanned, out_dir: Path, problems: Problems, now: datetime | None = None
                ) -> dict[str, LocalFile] | None:
    """Every file of output/ (rel → LocalFile), or None with the reason in `problems`. `now`: the
    time scheduled stories are judged by (the clock when None)."""
    manifest = _last_build(found, out_dir, problems, now or schedule.local_now())
    if manifest is None:
        return None
    hashes = _HashCache(manifest.path.with_suffix(".md5.json"))
    files: dict[str, LocalFile] = {}
    altered: list[str] = []
    for rel, path, info in _walk(out_dir):
        md5 = hashes.get(rel, info)
        if md5 is None:
            data_digest, md5 = _hash(path)
            stamp = manifest.entries.get(rel)
            if stamp is not None and not _matches(stamp, data_digest, info.st_size):
                altered.append(rel)
                continue
            hashes.put(rel, info, md5)
        files[rel] = LocalFile(rel, info.st_size, md5)
    missing = sorted(set(manifest.entries) - set(files) - set(altered))
    for rel, what in [(r, "在生成之后被改动过") for r in altered] + [(r, "不见了") for r in missing]:
        problems.error(out_dir / rel, 0, f"这个文件{what}：输出文件夹要和上一次生成的结果一致。{BUILD_FIRST}")
    if problems.has_errors():
        return None
    hashes.save(files)
    return files


def _last_build(found: Scanned, out_dir: Path, problems: Problems, now: datetime) -> Manifest | None:
    """The manifest of the last successful build into out_dir, if the sources are still what it
    built and no scheduled story became due since."""
    site_dir = found.config.root
    manifest = Manifest(cachepaths.manifest(site_dir, out_dir))
    if finish_interrupted_commit(manifest, out_dir):  # a build killed while committing: finish it first
        manifest = Manifest(manifest.path)
    if not manifest.entries or not out_dir.is_dir() or not any(out_dir.iterdir()):
        problems.error(out_dir, 0, f"输出文件夹是空的，或者还没有成功生成过网站。{BUILD_FIRST}")
        return None
    if manifest.marker.exists():
        problems.error(out_dir, 0, f"上一次生成没有完成（被中断或正在进行），输出文件夹可能不完整。{BUILD_FIRST}")
        return None
    if manifest.inputs != found.inputs:
        if scan_site(site_dir, True, Problems()).inputs == manifest.inputs:
            problems.error(out_dir, 0, "上一次生成包含草稿（--drafts），草稿不能发布：请先运行 python build.py"
                                       "（不带 --drafts）重新生成，再发布")
        else:
            problems.error(out_dir, 0, "上一次成功生成之后，网站的文件（site.yaml、content/ 或主题）又有改动，"
                                       f"或者最近一次生成失败了。{BUILD_FIRST}")
        return None
    due = schedule.due_since(manifest.schedule, now)
    if due:
        problems.error(out_dir, 0, f"定时发布的文章 {format_minute(datetime.fromisoformat(due))} 到了发布时间，"
                                   f"上一次生成在那之前，还没有包含它。{BUILD_FIRST}")
        return None
    if not schedule.holds(manifest.schedule, now):
        problems.error(out_dir, 0, f"上一次生成时的时间比现在晚（电脑的时钟被调回过？），网站中有日期在现在之后的文章。"
                                   f"{BUILD_FIRST}")
        return None
    return manifest


def _walk(out_dir: Path):
    """(rel, path, stat) of every regular file under out_dir; a build's leftover temporaries skipped."""
    stack = [(str(out_dir), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, prefix + entry.name + "/"))
                elif entry.is_file(follow_symlinks=False) and not entry.name.endswith(TEMP_SUFFIX):
                    yield prefix + entry.name, entry.path, entry.stat()


def _hash(path: str) -> tuple[str, str]:
    """(the build manifest's content digest — output.digest's blake2b —, MD5) of a file, read once."""
    content, md5 = hashlib.blake2b(digest_size=16), hashlib.md5()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            content.update(chunk)
            md5.update(chunk)
    return content.hexdigest(), md5.hexdigest()


def _matches(stamp: str, data_digest: str, size: int) -> bool:
    """A build manifest stamp is the content digest of a written file, or size:mtime of a copied source."""
    if ":" in stamp:
        return stamp.split(":", 1)[0] == str(size)
    return stamp == data_digest


class _HashCache:
    """rel → (size, mtime, MD5) of files hashed before; trusted only for files older than that run."""

    def __init__(self, path: Path):
        self.path = path
        self.started = time.time_ns()
        self.entries: dict[str, list] = {}
        self.scanned = 0
        try:
            data = json.loads(path.read_text("utf-8"))
            self.entries, self.scanned = data["files"], data["scanned"]
        except (OSError, ValueError, KeyError, TypeError):
            pass

    def get(self, rel: str, info: os.stat_result) -> str | None:
        entry = self.entries.get(rel)
        if entry and entry[0] == info.st_size and entry[1] == info.st_mtime_ns \
                and info.st_mtime_ns < self.scanned - RACY_MARGIN_NS:
            return entry[2]
        return None

    def put(self, rel: str, info: os.stat_result, md5: str) -> None:
        self.entries[rel] = [info.st_size, info.st_mtime_ns, md5]

    def save(self, files: dict[str, LocalFile]) -> None:
        kept = {rel: entry for rel, entry in self.entries.items() if rel in files}
        temp = self.path.with_suffix(".tmp")
        try:
            temp.write_text(json.dumps({"scanned": self.started, "files": kept}), "utf-8")
            os.replace(temp, self.path)
        except OSError:
            pass  # only a cache: the next deploy reads the files again
