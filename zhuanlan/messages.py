"""What the command line says about a build: its problems, the line it ends with, a disk error.
Shared by `build` (cli) and `serve`."""
from __future__ import annotations

import errno
import sys
from pathlib import Path

from .problems import Problems


def report(problems: Problems, stream=None) -> None:
    stream = stream or sys.stderr
    for problem in problems.sorted():
        print(problem.format(), file=stream)


_OS_ERRORS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
    errno.EROFS: "磁盘是只读的", errno.ENOTDIR: "路径中有同名的文件挡住了文件夹", errno.EEXIST: "已有同名的文件",
    errno.EISDIR: "这是一个文件夹", errno.ENAMETOOLONG: "路径太长",
}


def os_error_message(exc: OSError) -> str:
    reason = _OS_ERRORS.get(exc.errno or 0, exc.strerror or str(exc))
    where = f"“{exc.filename}”" if exc.filename else "文件"
    return (f"生成失败：读写{where}时出错：{reason}。本次生成写到一半的临时文件已清除；"
            f"请检查磁盘空间、文件夹权限和输出路径后重试。")


def summary(result, out: Path) -> str:
    """The one line a build ends with."""
    stats = result.stats
    warn = f"，{len(result.problems.warnings)} 个警告" if result.problems.warnings else ""
    if result.nothing_changed:
        return f"没有变化：{result.stories} 篇文章，{result.pages} 个页面均为最新；用时 {result.seconds:.2f} 秒{warn}。"
    pictures = result.images
    made = f"；图片 {pictures.sources} 张，新处理 {pictures.decoded} 张" if pictures and pictures.sources else ""
    return (f"完成：{result.stories} 篇文章，{result.pages} 个页面{made}；写入 {stats.written} 个文件，"
            f"未变 {stats.unchanged} 个，删除 {stats.removed} 个；用时 {result.seconds:.2f} 秒{warn}。输出在 {out}")
