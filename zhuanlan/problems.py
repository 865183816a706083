"""Collected build problems: every mistake of a run is reported together, never first-fail."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ERROR = "错误"
WARNING = "警告"
NOTICE = "提示"

_LEVEL_ORDER = {ERROR: 0, WARNING: 1, NOTICE: 2}


@dataclass(frozen=True)
class Problem:
    path: str  # absolute or site-relative path of the file at fault ("" when not tied to a file)
    line: int  # 1-based; 0 when unknown
    level: str
    message: str
    col: int = 0
    rule: str = ""  # which check found it (e.g. "id-number"), for tools reading `check --format json`

    def format(self, cwd: str | None = None) -> str:
        where = display_path(self.path, cwd) if self.path else ""
        if where and self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        return f"{where}: {self.level}: {self.message}" if where else f"{self.level}: {self.message}"


def display_path(path: str, cwd: str | None = None) -> str:
    """A path as the user should see it: relative to the working folder when inside it."""
    cwd = cwd or os.getcwd()
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def portable_row(problem: Problem, root: Path) -> list:
    """A problem as the output manifest keeps it: its path relative to the site folder when it
    is in it, so a copied or moved site's messages name its own files (problem_from_row)."""
    path = problem.path
    if path and os.path.isabs(path):
        rel = os.path.relpath(path, root)
        path = path if rel.startswith("..") else rel
    return [path, problem.line, problem.level, problem.message, problem.col, problem.rule]


def problem_from_row(row: list, root: Path) -> Problem:
    path = row[0]
    if path and not os.path.isabs(path):
        path = os.path.join(root, path)
    return Problem(path, *row[1:])


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)

    def error(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Problem(str(path), line, ERROR, message))

    def warning(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Problem(str(path), line, WARNING, message))

    def notice(self, path: str | Path, line: int, message: str) -> None:
        self.items.append(Problem(str(path), line, NOTICE, message))

    def add(self, level: str, path: str | Path, line: int, message: str, col: int = 0, rule: str = "") -> None:
        self.items.append(Problem(str(path), line, level, message, col, rule))

    def extend(self, other: "Problems | list[Problem]") -> None:
        self.items.extend(other.items if isinstance(other, Problems) else other)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.level == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.level == WARNING]

    def has_errors(self) -> bool:
        return any(p.level == ERROR for p in self.items)

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.path, p.line, p.col, _LEVEL_ORDER.get(p.level, 9), p.message))

    def __len__(self) -> int:
        return len(self.items)


class BuildFailed(Exception):
    """Raised when a build stops because of problems in the user's input."""

    def __init__(self, problems: Problems):
        super().__init__(f"{len(problems.errors)} errors")
        self.problems = problems
