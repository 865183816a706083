"""What the command line says about a build: its problems, the line it ends with, a disk error,
and the time of each stage (`build --timings`). Shared by `build` (cli) and `serve`."""
from __future__ import annotations

import errno
import sys
import unicodedata
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


def _seconds(seconds: float) -> str:
    # rounded from the --timings table's total (3 decimals), so the two never disagree by a rounding
    return f"{round(seconds, 3):.2f}"


def summary(result, out: Path) -> str:
    """The one line a build ends with."""
    stats = result.stats
    warn = f"，{len(result.problems.warnings)} 个警告" if result.problems.warnings else ""
    if result.nothing_changed:
        return f"没有变化：{result.stories} 篇文章，{result.pages} 个页面均为最新；用时 {_seconds(result.seconds)} 秒{warn}。"
    pictures = result.images
    made = f"；图片 {pictures.sources} 张，新处理 {pictures.decoded} 张" if pictures and pictures.sources else ""
    return (f"完成：{result.stories} 篇文章，{result.pages} 个页面{made}；写入 {stats.written} 个文件，"
            f"未变 {stats.unchanged} 个，删除 {stats.removed} 个；用时 {_seconds(result.seconds)} 秒{warn}。输出在 {out}")


# The build's stages (pipeline.py), as `build --timings` names them.
STAGE_LABELS = {
    "scan": "扫描文件", "parse": "解析", "link": "关联与交叉检查", "images": "图片处理", "templates": "编译模板",
    "plan": "判断改动", "render": "渲染页面", "search": "搜索索引", "feeds": "订阅与站点地图",
    "static": "主题静态文件", "files": "复制图片与附件", "posters": "品牌海报", "write": "写入输出",
}


def timings_table(timings: dict[str, float], total: float) -> str:
    """Each stage's time, in the order the stages ran, and its share of the whole build."""
    rows = [(f"{STAGE_LABELS.get(name, name)}（{name}）", f"{seconds:.3f}",
             f"{seconds / total:.0%}" if total > 0 else "") for name, seconds in timings.items()]
    rows.append(("合计", f"{total:.3f}", "100%" if total > 0 else ""))
    head = ("阶段", "用时（秒）", "占比")
    widths = [max(_width(row[i]) for row in [head, *rows]) for i in range(3)]
    lines = []
    for row in [head, *rows]:
        cells = [_pad(row[0], widths[0], left=True)] + [_pad(cell, width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, left: bool = False) -> str:
    space = " " * (width - _width(text))
    return text + space if left else space + text
