"""Static files for output/static/: the built-in theme's scripts go out minified (rjsmin drops
comments and spaces and keeps names, so the code stays as readable in a debugger as it can be):
search.js is downloaded by every reader who searches, and its bytes count. A site theme's own
files are copied as they are, so nothing of the site's author is rewritten."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .output import Staged, Stager
from .render import DEFAULT_THEME
from .stamps import file_stamp


@lru_cache(maxsize=16)
def _minified(path: str, stamp: str) -> bytes:
    import rjsmin  # imported here: only builds that copy a script need it

    return rjsmin.jsmin(Path(path).read_text("utf-8")).encode("utf-8")


def stage_static(stager: Stager, rel: str, source: Path) -> Staged:
    if rel.endswith(".js") and source.resolve().is_relative_to(DEFAULT_THEME.resolve()):
        return stager.stage_bytes(rel, _minified(str(source), file_stamp(source)))
    return stager.stage_copy(rel, source)
