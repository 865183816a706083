"""The settings reference in docs/网站设置.md, made from the option declarations.

`python -m zhuanlan.config.reference` rewrites the part of the document between the markers;
tests/test_config.py checks that the document matches the declarations.
"""
from __future__ import annotations

from pathlib import Path

from .options import ListOf, Option, Section, SubConfig
from .site import Config

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "网站设置.md"
BEGIN = "<!-- 以下各表由 python -m zhuanlan.config.reference 按 zhuanlan/config/site.py 生成，请勿手改 -->"
END = "<!-- 生成的表到此为止 -->"


def tables(section: type[Section] = Config) -> str:
    """A Markdown table per section: the top level first, then each nested section and list item."""
    parts: list[str] = []
    _tables(section, "", "基本设置", parts)
    return "\n\n".join(parts) + "\n"


def _tables(section: type[Section], prefix: str, heading: str, parts: list[str]) -> None:
    rows = ["| 设置 | 中文写法 | 写法 | 默认值 | 说明 |", "|---|---|---|---|---|"]
    nested: list[tuple[type[Section], str, str]] = []
    for option in section.options.values():
        rows.append(_row(option))
        inner = option.item if isinstance(option, ListOf) else option
        if isinstance(inner, SubConfig):
            each = "的每一项" if isinstance(option, ListOf) else ""
            nested.append((inner.section, f"{prefix}{option.name}.", f"{prefix}{option.name}（{option.label}）{each}"))
    parts.append(f"## {heading}\n\n" + "\n".join(rows))
    for inner_section, inner_prefix, inner_heading in nested:
        _tables(inner_section, inner_prefix, inner_heading, parts)


def _row(option: Option) -> str:
    cells = [f"`{option.name}`", "、".join(option.aliases), option.kind, _code(option.shown_default()), option.doc]
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _code(text: str) -> str:
    return f"`{text}`" if text and text != "必填" else text


def current(document: str) -> str:
    """The generated part of the document as it stands."""
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    return document[start:end].strip("\n") + "\n"


def rewrite(path: Path = DOCUMENT) -> bool:
    """Bring the document's tables up to date; True when they changed."""
    document = path.read_text("utf-8")
    start, end = document.index(BEGIN) + len(BEGIN), document.index(END)
    updated = document[:start] + "\n\n" + tables() + "\n" + document[end:]
    if updated == document:
        return False
    path.write_text(updated, "utf-8")
    return True


if __name__ == "__main__":
    print(f"已更新 {DOCUMENT}" if rewrite() else f"{DOCUMENT} 已是最新")
