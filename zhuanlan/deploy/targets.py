"""Publishing targets as the deploy uses them. They are declared, read and checked with the other
settings of site.yaml (config.site.Target, `config.deploy`); here, which one a deploy goes to and
how it is named in messages."""
from __future__ import annotations

from pathlib import Path

from ..config import CONFIG_FILE
from ..config.site import Target
from ..frontmatter import suggest
from ..problems import Problems

__all__ = ["EXAMPLE", "Target", "choose", "describe"]

EXAMPLE = "例如\n发布:\n  - 名称: oss\n    类型: s3\n    地址: https://oss-cn-hangzhou.aliyuncs.com\n    存储桶: my-bucket"


def describe(target: Target) -> str:
    if target.kind == "s3":
        return f"{target.name}（存储桶 {target.bucket}/{target.path}，{target.endpoint}）"
    if target.kind == "sftp":
        return f"{target.name}（{target.user}@{target.host}:{target.port} {target.path}）"
    return f"{target.name}（文件夹 {target.path}）"


def choose(targets: list[Target], name: str | None, path: Path, problems: Problems) -> Target | None:
    """The target named on the command line, or the first one."""
    if not targets:
        problems.error(path, 0, f"{CONFIG_FILE} 中没有发布目标：请在 发布: 下写出要发布到哪里，{EXAMPLE}\n"
                                f"（说明见 docs/发布.md）")
        return None
    if name is None:
        return targets[0]
    for target in targets:
        if target.name == name:
            return target
    names = "、".join(t.name for t in targets)
    problems.error(path, 0, f"没有名为“{name}”的发布目标（可选: {names}）{suggest(name, [t.name for t in targets])}")
    return None
