"""`python build.py import PATH...`: old articles (.txt, .html, .docx) → stories in content/stories/.

`readers` take each kind of file apart into plain blocks (paragraphs, headings, list items,
tables, images) and whatever the file says about itself (og:title, <h1>, Word's Title style).
`convert` is shared by all of them: text repaired with the text rules (mojibake, pinyin
annotations, optionally traditional → simplified), page chrome dropped, labelled lines moved into
front matter, short lines without closing punctuation made headings. `writer` makes the story
file. Nothing is ever overwritten; what is left to fix is reported against the new file's lines,
as `check` would.
"""
from __future__ import annotations

import base64
import binascii
import mimetypes
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import textrules
from ..check import external_image_problems
from ..config import load_config
from ..content import parse_file
from ..frontmatter import suggest
from ..problems import ERROR, WARNING, Problem, Problems
from ..text import slugify
from .convert import Article, convert
from .readers import READERS, SUPPORTED, UnreadableFile
from .writer import body_markdown, front_matter

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".bmp"}
SLUG_LIMIT = 48


@dataclass
class ImportOptions:
    site_dir: Path
    paths: list[Path]
    column: str | None = None
    brand: str | None = None
    simplified: bool = False
    dry_run: bool = False


@dataclass
class Planned:
    """One story to write: where, its text, and the images to put beside it."""

    source_file: Path
    target: Path
    text: str
    images: list[tuple[Path, bytes | Path]]  # (destination, bytes or a file to copy)
    article: Article
    notes: list[str]


def plan(article: Article, content_dir: Path, column: str | None, brand: str | None) -> Planned:
    year = f"{article.date.year}" if article.date else "imported"
    slug = _slug(article.title) or _slug(article.source_file.stem) or "story"
    folder = content_dir / "stories" / year
    target = folder / f"{slug}.md"
    image_dir = folder / slug
    images: list[tuple[Path, bytes | Path]] = []
    refs: dict[int, str] = {}
    used: set[str] = set()
    notes = list(article.notes)
    for index, block in enumerate(article.blocks):
        if block.kind != "img":
            continue
        source: bytes | Path | None = block.data
        name = block.name
        if source is None:
            src = block.src.strip()
            if src.startswith("data:"):
                source, name = _data_uri(src, len(images) + 1)
            elif re.match(r"^(?:https?:)?//", src):
                refs[index] = src if not src.startswith("//") else "https:" + src
                continue  # left as it is; the check below says what to do with it
            else:
                local = (article.source_file.parent / unquote(urlsplit(src).path)).resolve()
                if local.is_file() and local.suffix.lower() in IMAGE_SUFFIXES:  # never copy other files
                    source, name = local, local.name
                else:
                    refs[index] = f"<!-- 原文图片 {src} 没有找到，请补上 -->"
                    notes.append(f"原文图片 {src} 没有找到（应在 {local}），已在正文中留下标记")
                    continue
        if source is None:
            refs[index] = f"<!-- 原文图片无法读取：{block.src[:60]} -->"
            continue
        name = _image_name(name, len(images) + 1, used)
        used.add(name)
        images.append((image_dir / name, source))
        refs[index] = f"{slug}/{name}"
    text = front_matter(article, column, brand) + "\n" + body_markdown(article.blocks, refs)
    return Planned(article.source_file, target, text, images, article, notes)


def _slug(text: str) -> str:
    slug = slugify(text)
    if len(slug) <= SLUG_LIMIT:
        return slug
    cut = slug[:SLUG_LIMIT].rsplit("-", 1)[0]
    return cut or slug[:SLUG_LIMIT]


def _data_uri(src: str, number: int) -> tuple[bytes | None, str]:
    match = re.match(r"data:([\w/+.-]+)?(;base64)?,(.*)", src, re.S)
    if not match or not match.group(2):
        return None, ""
    try:
        data = base64.b64decode(match.group(3), validate=False)
    except (binascii.Error, ValueError):
        return None, ""
    ext = mimetypes.guess_extension(match.group(1) or "") or ".png"
    return data, f"image-{number}{'.jpg' if ext == '.jpe' else ext}"


def _image_name(name: str, number: int, used: set[str]) -> str:
    stem, ext = os.path.splitext(name or "")
    ext = ext.lower() if ext.lower() in IMAGE_SUFFIXES else ".jpg" if not ext else ext.lower()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower()
    if not stem or not stem.isascii():
        stem = f"image-{number}"
    candidate, n = f"{stem}{ext}", 2
    while candidate in used:
        candidate, n = f"{stem}-{n}{ext}", n + 1
    return candidate


# ---------------------------------------------------------------- the command

def collect(paths: list[Path], problems: Problems) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED)
            if not found:
                problems.warning(path, 0, "文件夹中没有 .txt、.html 或 .docx 文件")
            files.extend(found)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED:
                files.append(path)
            elif path.suffix.lower() == ".doc":
                problems.error(path, 0, "这是旧的 .doc 格式：请用 Word 或 WPS 打开，另存为 .docx 后再导入")
            else:
                problems.error(path, 0, "只能导入 .txt、.html（.htm）和 .docx 文件")
        else:
            problems.error(path, 0, "找不到这个文件或文件夹")
    return list(dict.fromkeys(files))


def _known_ids(folder: Path) -> list[str]:
    return sorted(p.stem for p in folder.glob("*.md")) if folder.is_dir() else []


def run_import(options: ImportOptions, out=None) -> int:
    out = out or sys.stdout
    problems = Problems()
    config = load_config(options.site_dir, problems)
    if config is None:
        _print_problems(problems.items, out)
        return 1
    content_dir = config.content_dir
    for value, folder, label in ((options.column, "columns", "专栏"), (options.brand, "brands", "品牌")):
        if value:
            known = _known_ids(content_dir / folder)
            if value not in known:
                shown = "、".join(known) or f"还没有{label}，请先在 content/{folder}/ 中建一个"
                problems.error("", 0, f"未知{label} \"{value}\"{suggest(value, known)}（可选：{shown}）")
    files = collect(options.paths, problems)
    if problems.has_errors():
        _print_problems(problems.items, out)
        return 1
    words = config.check.words
    imported = skipped = needs_work = 0
    planned_targets: set[Path] = set()
    for path in files:
        try:
            raw = READERS[path.suffix.lower()](path)
            article = convert(raw, options.simplified)
            job = plan(article, content_dir, options.column, options.brand)
        except UnreadableFile as exc:
            problems.error(path, 0, str(exc))
            skipped += 1
            continue
        except (OSError, ValueError) as exc:
            problems.error(path, 0, f"无法读取：{exc}")
            skipped += 1
            continue
        rel_target = job.target.relative_to(config.root)
        if job.target.exists() or job.target in planned_targets:
            why = "已存在" if job.target.exists() else "与本次导入的另一篇文章同名"
            problems.error(path, 0, f"目标文件 {rel_target.as_posix()} {why}，没有覆盖：如需重新导入请先删除或改名那个文件")
            skipped += 1
            continue
        planned_targets.add(job.target)
        if not options.dry_run:
            _write(job)
        imported += 1
        left = _remaining(job, config, words)
        verb = "将导入" if options.dry_run else "已导入"
        date = job.article.date.strftime("%Y-%m-%d") if job.article.date else "无日期"
        extra = f"，{len(job.images)} 张图片" if job.images else ""
        print(f"{verb} {path} → {rel_target.as_posix()}（{job.article.title}，{date}{extra}）", file=out)
        for note in job.notes:
            print(f"  说明：{note}", file=out)
        if options.dry_run:
            print(_indent(_preview(job.text)), file=out)
        if left:
            needs_work += 1
            _print_problems(left, out, indent="  ")
    _print_problems(problems.items, out)
    verb = "可导入" if options.dry_run else "导入"
    summary = f"完成：{verb} {imported} 篇"
    if skipped:
        summary += f"，{skipped} 篇未导入（原因见上）"
    if needs_work:
        summary += f"；其中 {needs_work} 篇还有需要人工核对的地方（见上），改好后运行 python build.py check"
    elif imported and not options.dry_run:
        summary += "，都已通过检查"
    if options.dry_run:
        summary += "。这是试运行（--dry-run），没有写入任何文件"
    print(summary + "。", file=out)
    return 1 if skipped or problems.has_errors() else 0


def _write(job: Planned) -> None:
    job.target.parent.mkdir(parents=True, exist_ok=True)
    with open(job.target, "x", encoding="utf-8") as handle:  # "x": never replace a file that appeared meanwhile
        handle.write(job.text)
    for destination, source in job.images:
        destination.parent.mkdir(parents=True, exist_ok=True)
        final, n = destination, 2
        while final.exists():
            final, n = destination.with_name(f"{destination.stem}-{n}{destination.suffix}"), n + 1
        if final != destination:  # keep the reference in step with the name actually used
            text = job.target.read_text("utf-8").replace(
                f"{destination.parent.name}/{destination.name}", f"{destination.parent.name}/{final.name}")
            job.target.write_text(text, encoding="utf-8")
        if isinstance(source, Path):
            shutil.copyfile(source, final)
        else:
            final.write_bytes(source)


def _remaining(job: Planned, config, words) -> list[Problem]:
    """What is left to fix in the new story: parse problems (images without alt text among them), every
    text rule and images from other hosts, at the story's lines."""
    rel = job.target.relative_to(config.content_dir).as_posix()
    parsed = parse_file(job.target, rel, job.text.encode("utf-8"))
    left = [p for p in parsed.problems if p.level in (ERROR, WARNING)]
    left += [textrules.as_problem(str(job.target), f) for f in textrules.scan(job.text, words)]
    left += external_image_problems(str(job.target), job.text)
    return sorted(left, key=lambda p: (p.line, p.col))


def _preview(text: str, body_lines: int = 6) -> str:
    head, _, body = text.partition("\n---\n")
    lines = [line for line in body.split("\n") if line.strip()]
    more = f"\n……（正文共 {len(lines)} 段）" if len(lines) > body_lines else ""
    return head + "\n---\n" + "\n".join(lines[:body_lines]) + more


def _indent(text: str) -> str:
    return "\n".join("  | " + line for line in text.split("\n"))


def _print_problems(items: list[Problem], out, indent: str = "") -> None:
    for problem in sorted(items, key=lambda p: (p.path, p.line, p.col)):
        print(indent + problem.format(), file=out)


def main(options: ImportOptions) -> int:
    return run_import(options)
