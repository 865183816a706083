"""Static files for output/static/: the built-in theme's scripts and style sheets go out minified
(rjsmin and rcssmin drop comments and spaces and keep names, so the code stays as readable in a
debugger as it can be): every story page downloads site.css and reader.js within a 50 KB budget,
and search.js is downloaded by every reader who searches, so their bytes count. A site theme's
own files are copied as they are, so nothing of the site's author is rewritten."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from .output import Staged, Stager
from .sources import DEFAULT_THEME
from .stamps import file_stamp


@lru_cache(maxsize=16)
def _minified(path: str, stamp: str) -> bytes:
    text = Path(path).read_text("utf-8")
    if path.endswith(".css"):
        import rcssmin  # imported here: only builds that copy the theme's files need them

        return rcssmin.cssmin(text).encode("utf-8")
    import rjsmin

    return rjsmin.jsmin(text).encode("utf-8")


def stage_static(stager: Stager, rel: str, source: Path) -> Staged:
    if rel.endswith((".js", ".css")) and source.resolve().is_relative_to(DEFAULT_THEME.resolve()):
        return stager.stage_bytes(rel, _minified(str(source), file_stamp(source)))
    return stager.stage_copy(rel, source)
