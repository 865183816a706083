"""A folder target: a shared folder, a mounted disk or a USB drive (U 盘).

Each file is copied beside its place and moved there with os.replace, so a reader of the folder
(a web server serving it) sees the old file or the new one, never half of one.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from .remote import TEMP_SUFFIX, DeployError, Journal, ManifestTarget
from .targets import Target

_REASONS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
    errno.EROFS: "磁盘是只读的（U 盘有写保护开关吗？）", errno.ENOTDIR: "路径中有同名的文件挡住了文件夹",
    errno.EIO: "读写出错（磁盘或 U 盘可能已拔出或损坏）", errno.ENOENT: "文件夹不存在（U 盘已拔出？）",
}


def reason(exc: OSError) -> str:
    return _REASONS.get(exc.errno or 0, exc.strerror or str(exc))


class FolderTarget(ManifestTarget):
    def __init__(self, target: Target, site_dir: Path, out_dir: Path, journal: Journal):
        super().__init__(journal)
        root = Path(os.path.expanduser(target.path))
        self.root = (root if root.is_absolute() else site_dir / root).resolve()
        out = out_dir.resolve()
        if self.root == out or out in self.root.parents or self.root in out.parents:
            raise DeployError(f"发布目标“{target.name}”的文件夹 {self.root} 与输出文件夹 {out} 重叠："
                              f"请在 路径: 中写另一个文件夹（例如 U 盘上的 E:/dangjian/）")
        if not self.root.is_dir() and not self.root.parent.is_dir():  # the folder itself is made by the first copy
            raise DeployError(f"找不到文件夹 {self.root.parent}：请检查发布目标“{target.name}”的 路径:，"
                              f"U 盘或网络盘是否已经插好、连上")
        self._folders: set[str] = set()

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def _read(self, name: str) -> bytes | None:
        try:
            return Path(self._path(name)).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DeployError(f"读不出 {self._path(name)}：{reason(exc)}") from None

    def _write(self, name: str, data: bytes) -> None:
        target = self._path(name)
        try:
            self.root.mkdir(exist_ok=True)
            with open(target + TEMP_SUFFIX, "wb") as handle:
                handle.write(data)
            os.replace(target + TEMP_SUFFIX, target)
        except OSError as exc:
            raise DeployError(f"写不进 {target}：{reason(exc)}") from None

    def _sizes(self, folders: set[str]) -> dict[str, int]:
        sizes: dict[str, int] = {}
        for folder in folders:
            try:
                with os.scandir(self._path(folder) if folder else self.root) as entries:
                    for entry in entries:
                        if not entry.is_file(follow_symlinks=False):
                            continue
                        rel = f"{folder}/{entry.name}" if folder else entry.name
                        if entry.name.endswith(TEMP_SUFFIX):
                            self.leftovers.append(rel)
                        else:
                            sizes[rel] = entry.stat().st_size
                self._folders.add(folder)
            except (FileNotFoundError, NotADirectoryError):
                continue
            except OSError as exc:
                raise DeployError(f"读不出文件夹 {self._path(folder)}：{reason(exc)}") from None
        return sizes

    def _put(self, rel: str, source: Path) -> None:
        target = self._path(rel)
        try:
            folder = rel.rpartition("/")[0]
            if folder not in self._folders:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                self._folders.add(folder)
            shutil.copyfile(source, target + TEMP_SUFFIX)
            os.replace(target + TEMP_SUFFIX, target)
        except OSError as exc:
            raise DeployError(f"复制 {rel} 到 {self.root} 失败：{reason(exc)}") from None

    def _remove(self, rel: str, missing_ok: bool = False) -> None:
        target = Path(self._path(rel))
        try:
            target.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise DeployError(f"删除 {target} 失败：{reason(exc)}") from None
        folder = target.parent
        while folder != self.root and self.root in folder.parents:  # the story's folder, once empty
            try:
                folder.rmdir()
            except OSError:
                break
            self._folders.discard(folder.relative_to(self.root).as_posix())
            folder = folder.parent

    def close(self) -> None:
        self.journal.close()
