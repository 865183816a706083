"""`python build.py deploy`: publish the last successful build's output/ to a target.

Decide everything first (targets, the build, what the target holds, the plan), then upload tier by
tier with parallel workers, then delete, then record. A failure stops the uploads still queued and
says so in Chinese; running the same command again picks up where it stopped.
"""
from __future__ import annotations

import hashlib
import math
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from .. import cachepaths
from ..config import CONFIG_FILE
from ..output import output_lock
from ..problems import Problems
from ..progress import ProgressBar
from .local import built_files, read_site
from .plan import TIER_NAMES, Plan, Upload, make_plan
from .remote import Counters, DeployError, Journal, Transport
from .targets import Target, choose, describe

Progress = Callable[[str, int, int], None]


@dataclass
class DeployOptions:
    site_dir: Path
    output_dir: Path | None = None
    target: str | None = None  # name; the first target when None
    dry_run: bool = False
    force: bool = False  # upload every file, whatever the target holds
    yes: bool = False  # allow more deletions than the target's limit
    progress: Progress | None = None
    now: datetime | None = None  # the time scheduled stories are judged by (定时发布); None: the clock

    @property
    def out(self) -> Path:
        return (self.output_dir or self.site_dir / "output").resolve()


@dataclass
class DeployResult:
    target: Target
    plan: Plan
    uploaded: int = 0
    uploaded_bytes: int = 0
    deleted: int = 0
    seconds: float = 0.0
    counters: Counters = field(default_factory=Counters)
    dry_run: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase, for the benchmark


class Refused(Exception):
    """Nothing was changed: the problems say why (file:line where there is one)."""

    def __init__(self, problems: Problems):
        super().__init__(f"{len(problems.errors)} errors")
        self.problems = problems


class Failed(Exception):
    """The deploy stopped part-way; `done` says how far it got."""

    def __init__(self, error: DeployError, uploaded: int, deleted: int, plan: Plan | None):
        super().__init__(error.message)
        self.error, self.uploaded, self.deleted, self.plan = error, uploaded, deleted, plan


def open_transport(target: Target, options: DeployOptions) -> Transport:
    """Connect to the target (the heavy libraries are imported only here)."""
    if target.kind == "s3":
        from .s3 import S3Target

        return S3Target(target, target.workers)
    journal = Journal(_journal_path(target, options))
    if target.kind == "sftp":
        from .sftp import SftpTarget

        return SftpTarget(target, journal)
    from .folder import FolderTarget

    return FolderTarget(target, options.site_dir.resolve(), options.out, journal)


def _journal_path(target: Target, options: DeployOptions) -> Path:
    where = f"{target.kind}\x1f{target.user}\x1f{target.host}\x1f{target.port}\x1f{target.path}\x1f{options.out}"
    key = hashlib.sha1(where.encode("utf-8")).hexdigest()[:12]
    return cachepaths.deploy_journal(options.site_dir, key)


def deploy(options: DeployOptions, warnings: Problems | None = None) -> DeployResult:
    """Publish; raises Refused (nothing changed) or Failed (stopped part-way)."""
    started = time.perf_counter()
    problems = Problems()
    site_dir = options.site_dir.resolve()
    with output_lock(options.out):  # no build may finish between this look at the site and the upload
        found = read_site(site_dir, problems)
        target = choose(found.config.deploy, options.target, site_dir / CONFIG_FILE, problems) if found else None
        if warnings is not None:
            warnings.extend(problems.warnings)
        if target is None or problems.has_errors():
            raise Refused(Problems(problems.errors))
        local = built_files(found, options.out, problems, options.now)
        if local is None:
            raise Refused(Problems(problems.errors))
        timings = {"local": time.perf_counter() - started}
        plan = None
        result = None
        try:
            transport = open_transport(target, options)
        except DeployError as error:
            raise Failed(error, 0, 0, None) from None
        try:
            remote = transport.remote_state(local)
            timings["remote"] = time.perf_counter() - started - sum(timings.values())
            plan = make_plan(local, remote, force=options.force, keep=tuple(target.keep))
            result = DeployResult(target, plan, counters=transport.counters, dry_run=options.dry_run, timings=timings)
            if options.dry_run:
                result.seconds = time.perf_counter() - started
                return result
            if len(plan.deletions) > target.delete_limit and not options.yes:
                raise DeployError(
                    f"这次要删除 {len(plan.deletions)} 个文件，超过删除上限 {target.delete_limit} 个。为防误删，"
                    f"没有做任何改动。请先用 --dry-run 查看清单；确认无误后加 --yes 重新运行，"
                    f"或在 {CONFIG_FILE} 的发布目标中调整 删除上限:")
            _upload(transport, plan, options, result)
            _delete(transport, plan.deletions, target.workers, result)
            transport.finish(local)
        except DeployError as error:
            raise Failed(error, result.uploaded if result else 0, result.deleted if result else 0, plan) from None
        finally:
            transport.close()
    result.seconds = time.perf_counter() - started
    return result


def _upload(transport: Transport, plan: Plan, options: DeployOptions, result: DeployResult) -> None:
    total = len(plan.uploads)
    out = options.out
    for tier in plan.tiers:  # each tier complete before the next begins: see plan.py
        if not tier:
            continue

        def one(upload: Upload) -> None:
            transport.put(upload, out / upload.rel)
            with lock:
                result.uploaded += 1
                result.uploaded_bytes += upload.size
                if options.progress:
                    options.progress("上传", result.uploaded, total)

        lock = threading.Lock()
        _run_all(one, tier, result.target.workers)


def _delete(transport: Transport, deletions: list[str], workers: int, result: DeployResult) -> None:
    if not deletions:
        return
    size = max(1, min(1000, math.ceil(len(deletions) / workers)))
    batches = [deletions[start:start + size] for start in range(0, len(deletions), size)]
    lock = threading.Lock()

    def one(batch: list[str]) -> None:
        transport.delete(batch)
        with lock:
            result.deleted += len(batch)

    _run_all(one, batches, workers)


def _run_all(work: Callable, items: list, workers: int) -> None:
    """work(item) for every item on `workers` threads; the first failure stops the rest and is raised."""
    stop = threading.Event()

    def guarded(item) -> None:
        if not stop.is_set():
            work(item)

    pool = ThreadPoolExecutor(max(1, min(workers, len(items))))
    try:
        futures = [pool.submit(guarded, item) for item in items]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        for future in done:
            if future.exception() is not None:
                stop.set()
                wait(futures)
                raise future.exception()
    finally:
        stop.set()  # on Ctrl+C too: queued uploads are skipped, running ones finish
        pool.shutdown(wait=True, cancel_futures=True)


# -- the command line -------------------------------------------------------------------------

def size_text(count: int) -> str:
    if count < 1024:
        return f"{count} 字节"
    for unit in ("KB", "MB", "GB"):
        count /= 1024
        if count < 1024 or unit == "GB":
            return f"{count:.1f} {unit}"
    return ""


def dry_run_text(result: DeployResult) -> str:
    plan = result.plan
    lines = [f"试运行（--dry-run）：发布到 {describe(result.target)}，没有改动任何文件。"]
    if plan.uploads:
        lines.append(f"将上传 {len(plan.uploads)} 个文件（{size_text(plan.upload_bytes)}），依次为：")
        for name, tier in zip(TIER_NAMES, plan.tiers):
            if tier:
                lines.append(f"  {name}：")
                lines.extend(f"    {'新增' if upload.new else '更新'} {upload.rel}" for upload in tier)
    if plan.deletions:
        lines.append(f"将删除 {len(plan.deletions)} 个文件：")
        lines.extend(f"    删除 {rel}" for rel in plan.deletions)
        if len(plan.deletions) > result.target.delete_limit:
            lines.append(f"  （超过删除上限 {result.target.delete_limit} 个：正式发布时需要加 --yes）")
    if plan.kept:
        lines.append(f"按 保留: 的设置不删除 {len(plan.kept)} 个文件。")
    lines.append(f"未变 {plan.unchanged} 个。" if plan.uploads or plan.deletions else
                 f"没有需要上传或删除的文件：{plan.unchanged} 个文件均已是最新。")
    return "\n".join(lines)


def summary(result: DeployResult) -> str:
    plan = result.plan
    if not plan.uploads and not plan.deletions:
        return (f"没有变化：{result.target.name} 上的 {plan.unchanged} 个文件均已是最新；"
                f"用时 {result.seconds:.1f} 秒。")
    return (f"发布完成：{describe(result.target)}；上传 {result.uploaded} 个（{size_text(result.uploaded_bytes)}）、"
            f"删除 {result.deleted} 个、未变 {plan.unchanged} 个，用时 {result.seconds:.1f} 秒。")


def main(options: DeployOptions) -> int:
    bar = ProgressBar(sys.stderr, min_total=20)
    options.progress = bar.update
    warnings = Problems()
    try:
        result = deploy(options, warnings)
    except Refused as refused:
        for problem in (warnings.items + refused.problems.items):
            print(problem.format(), file=sys.stderr)
        print("没有发布：请按上面的提示处理后重试。", file=sys.stderr)
        return 1
    except Failed as failed:
        bar.clear()
        for problem in warnings.items:
            print(problem.format(), file=sys.stderr)
        print(f"发布失败：{failed.error.message}", file=sys.stderr)
        if failed.plan is not None and (failed.uploaded or failed.deleted):
            print(f"已上传 {failed.uploaded} 个文件、删除 {failed.deleted} 个；按顺序先传的是资源文件，网站仍可正常访问。"
                  f"排除问题后重新运行同一命令即可接着发布，已经传好的文件不会再传。", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        bar.clear()
        print("已中断。重新运行同一命令即可接着发布，已经传好的文件不会再传。", file=sys.stderr)
        return 130
    bar.clear()
    for problem in warnings.items:
        print(problem.format(), file=sys.stderr)
    print(dry_run_text(result) if result.dry_run else summary(result))
    return 0
