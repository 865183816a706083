"""`python build.py import PATH...`: old articles (.txt, .html, .docx) → stories in content/stories/.

`readers` take each kind of file apart into plain blocks (paragraphs, headings, list items,
tables, images) and whatever the file says about itself (og:title, <h1>, Word's Title style or bold
first line). `convert` is shared by all of them: text repaired with the text rules (mojibake, pinyin
annotations, optionally traditional → simplified), page chrome dropped (`chrome`), the 政务公开
block (`govinfo`), labelled lines (`labels`) and bylines (`byline`) moved into front matter, typed
numbering made lists, short lines without closing punctuation made headings. `writer` makes the
story file; a story with open points (a guessed date, no title, mojibake left) is a draft. Nothing is
overwritten and no article is imported twice (`duplicates`) unless --replace says so; what is left
to fix is reported against the new file's lines, as `check` would.
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
from ..check import external_image_problems, unconfirmed_date_problems
from ..config import load_config
from ..content import BRAND_KEYS, COLUMN_KEYS, parse_file
from ..dates import format_day
from ..frontmatter import SourceError, canonicalize, read_document, suggest
from ..problems import ERROR, WARNING, Problem, Problems
from ..text import slugify
from ..textrules.mojibake import MOJIBAKE
from .convert import Article, convert
from .duplicates import Known, Stories
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
    replace: bool = False  # an article already on the site is written over that story (same file, same URL)


@dataclass
class Planned:
    """One story to write: where, its text, and the images to put beside it."""

    source_file: Path
    target: Path
    text: str
    images: list[tuple[Path, bytes | Path]]  # (destination, bytes or a file to copy)
    article: Article
    notes: list[str]


def default_target(article: Article, content_dir: Path) -> Path:
    year = f"{article.date.year}" if article.date else "imported"
    slug = _slug(article.title) or _slug(article.source_file.stem) or "story"
    return content_dir / "stories" / year / f"{slug}.md"


def plan(article: Article, target: Path, column: str | None, brand: str | None) -> Planned:
    slug = target.stem
    image_dir = target.parent / slug
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
    body = body_markdown(article.blocks, refs)
    draft_text = front_matter(article, column, brand) + "\n" + body
    garbled = [f for f in textrules.scan(draft_text, rules=frozenset({MOJIBAKE})) if f.rule == MOJIBAKE]
    if garbled:
        article.review.append(f"乱码：还有 {len(garbled)} 处没能还原的乱码，请对照原文改正"
                              f"（导入时已列出行号，也可运行 python build.py check --drafts 查看）")
    text = front_matter(article, column, brand) + "\n" + body
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


def _named(folder: Path, schema: dict, name_key: str) -> dict[str, str]:
    """id → the name its front matter gives (a column's title, a brand's name) for every file in `folder`."""
    found: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
        try:
            values = canonicalize(read_document(path, f"{folder.name}/{path.name}"), schema, Problems())
        except (OSError, SourceError, ValueError):
            values = {}
        found[path.stem] = str(values.get(name_key) or "")
    return found


def resolve_id(value: str, folder: Path, schema: dict, name_key: str, label: str, problems: Problems) -> str | None:
    """The id a --column or --brand value means: an id, or a column's title or a brand's name, as front matter
    accepts them. An unknown value is an error naming the choices."""
    named = _named(folder, schema, name_key)
    if value in named:
        return value
    by_name = {name: key for key, name in named.items() if name}
    if value in by_name:
        return by_name[value]
    hint = suggest(value, named) or suggest(value, by_name)
    shown = "、".join(f"{key}（{name}）" if name else key for key, name in named.items())
    shown = shown or f"还没有{label}，请先在 content/{folder.name}/ 中建一个"
    problems.error("", 0, f"未知{label} \"{value}\"{hint}（可选：{shown}）")
    return None


def run_import(options: ImportOptions, out=None) -> int:
    out = out or sys.stdout
    problems = Problems()
    config = load_config(options.site_dir, problems)
    if config is None:
        _print_problems(problems.items, out)
        return 1
    content_dir = config.content_dir
    column = brand = None
    if options.column:
        column = resolve_id(options.column, content_dir / "columns", COLUMN_KEYS, "title", "专栏", problems)
    if options.brand:
        brand = resolve_id(options.brand, content_dir / "brands", BRAND_KEYS, "name", "品牌", problems)
    files = collect(options.paths, problems)
    if problems.has_errors():
        _print_problems(problems.items, out)
        return 1
    words = config.check.words
    stories = Stories(content_dir, config.root)
    imported = skipped = needs_work = drafts = 0
    planned_targets: set[Path] = set()
    for path in files:
        try:
            raw = READERS[path.suffix.lower()](path)
            article = convert(raw, options.simplified)
        except UnreadableFile as exc:
            problems.error(path, 0, f"{exc}；没有导入")
            skipped += 1
            continue
        except (OSError, ValueError) as exc:
            problems.error(path, 0, f"无法读取：{exc}")
            skipped += 1
            continue
        text = body_markdown(article.blocks, {})  # what the article says, images aside: to compare with others
        same = stories.find(article.title, article.date, text)
        replacing = bool(same and options.replace and not same[0].in_this_run)
        if same and not replacing:
            problems.error(path, 0, _duplicate(*same))
            skipped += 1
            continue
        job = plan(article, same[0].path if replacing else default_target(article, content_dir), column, brand)
        rel_target = job.target.relative_to(config.root)
        if not replacing and (job.target.exists() or job.target in planned_targets):
            why = "已存在" if job.target.exists() else "与本次导入的另一篇文章同名"
            problems.error(path, 0, f"目标文件 {rel_target.as_posix()} {why}，没有覆盖：如需重新导入请先删除或改名那个文件")
            skipped += 1
            continue
        planned_targets.add(job.target)
        stories.add(job.target, article.title, article.date, text)
        if not options.dry_run:
            _write(job, replacing)
        imported += 1
        drafts += bool(article.review)
        left = _remaining(job, config, words)
        verb = ("将替换" if replacing else "将导入") if options.dry_run else ("已替换" if replacing else "已导入")
        date = format_day(job.article.date) if job.article.date else "无日期"
        extra = f"，{len(job.images)} 张图片" if job.images else ""
        extra += "，存为草稿" if article.review else ""
        print(f"{verb} {path} → {rel_target.as_posix()}（{job.article.title}，{date}{extra}）", file=out)
        for point in article.review:
            print(f"  待核对：{point}", file=out)
        for note in job.notes:
            print(f"  说明：{note}", file=out)
        if options.dry_run:
            print(_indent(_preview(job.text)), file=out)
        if left or article.review:
            needs_work += 1
            _print_problems(left, out, indent="  ")
    _print_problems(problems.items, out)
    print(_summary(options, imported, skipped, needs_work, drafts), file=out)
    return 1 if skipped or problems.has_errors() else 0


def _duplicate(known: Known, why: str) -> str:
    """Why an article is not imported again, and how to replace the story on purpose."""
    if known.in_this_run:
        return (f"这篇文章已存在，没有覆盖：与本次导入的文章 {known.shown}“{known.title}”重复（{why}）。"
                f"同一篇文章只导入一次，请去掉多余的文件")
    return (f"这篇文章已存在，没有覆盖：与已有的文章 {known.shown}“{known.title}”重复（{why}）。"
            f"如果要用这个文件替换它，请加 --replace 重新导入（写回 {known.shown}，网址不变），或先删除那个文件；"
            f"如果确实是另一篇文章，请改写它的标题")


def _summary(options: ImportOptions, imported: int, skipped: int, needs_work: int, drafts: int) -> str:
    verb = "可导入" if options.dry_run else "导入"
    summary = f"完成：{verb} {imported} 篇"
    if skipped:
        summary += f"，{skipped} 篇未导入（原因见上）"
    if needs_work:
        summary += f"；其中 {needs_work} 篇还有需要人工核对的地方（见上）"
        if drafts:
            summary += f"，{drafts} 篇先存为草稿（draft: true，核对前不会发布；要核对什么写在文件开头的注释里）"
        summary += "，改好后运行 python build.py check" + (" --drafts" if drafts else "")
    elif imported and not options.dry_run:
        summary += "，都已通过检查"
    if options.dry_run:
        summary += "。这是试运行（--dry-run），没有写入任何文件"
    return summary + "。"


def _write(job: Planned, replace: bool = False) -> None:
    """The story and its images. Without `replace` nothing is written over ("x": not even a file that
    appeared meanwhile); with it, the story it repeats and that story's images of the same names are."""
    job.target.parent.mkdir(parents=True, exist_ok=True)
    with open(job.target, "w" if replace else "x", encoding="utf-8") as handle:
        handle.write(job.text)
    for destination, source in job.images:
        destination.parent.mkdir(parents=True, exist_ok=True)
        final, n = destination, 2
        while final.exists() and not replace:
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
    left += unconfirmed_date_problems(str(job.target), job.text)
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
