"""Where each cache lives: all in `.cache/` in the site folder.

Relative to the site folder, so a copied site builds like a fresh one; never in output/, so
nothing of it is uploaded. Deleting the folder costs one slow build, nothing else.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CACHE_DIR = ".cache"


def folder(root: Path) -> Path:
    return root / CACHE_DIR


def parse_cache(root: Path) -> Path:
    """Parsed content files (cache.ParseCache)."""
    return folder(root) / "parse.sqlite"


def qr_codes(root: Path) -> Path:
    """QR codes by URL (qr.QrCodes)."""
    return folder(root) / "qr.sqlite"


def images(root: Path) -> Path:
    """Image derivatives, named by their content hash, and sources.json (images)."""
    return folder(root) / "images"


def posters(root: Path) -> Path:
    """Brand posters, named by the hash of what they show (poster.Posters)."""
    return folder(root) / "posters"


def templates(root: Path) -> Path:
    """Jinja's compiled templates (render)."""
    return folder(root) / "templates"


def template_references(root: Path) -> Path:
    """Which templates each template pulls in, by source digest (rebuild.TemplateReferences)."""
    return templates(root) / "references.json"


def hanzi_tables(root: Path) -> Path:
    """Traditional ↔ simplified character tables worked out from OpenCC (hanzi.keep_tables_in)."""
    return folder(root) / "hanzi.json"


def related(root: Path) -> Path:
    """Each story's related stories, by what they are worked out from (site._relate)."""
    return folder(root) / "related.json"


def font_faces(root: Path) -> Path:
    """What the font files hold (fonts.find_font), by path and stamp."""
    return folder(root) / "fonts.json"


def serve_output(root: Path) -> Path:
    """What `serve` builds and shows (drafts included), so that previewing never touches output/."""
    return folder(root) / "serve"


def manifest(root: Path, out_dir: Path) -> Path:
    """What the last build into `out_dir` wrote (output.Manifest); the search index keeps its
    state beside it (searchindex.State). Named by the output folder's path relative to the site
    folder when it is inside it ("output"), so a copied or moved site finds its own."""
    out, site = out_dir.resolve(), root.resolve()
    name = out.relative_to(site).as_posix() if out.is_relative_to(site) else str(out)
    key = hashlib.sha1(name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return folder(root) / f"output-{key}.json"


def page_plan(manifest_path: Path) -> Path:
    """The last plan's page fingerprints and the records each page holds (rebuild.PagePlan), beside
    the manifest of the same output folder: `serve` (drafts shown) and `build` keep their own."""
    return manifest_path.with_name(f"{manifest_path.stem}.pages.bin")


def legacy_manifest(root: Path, out_dir: Path) -> Path:
    """Where earlier versions kept it (named by the absolute path): taken over once, so that an
    upgraded site still removes what its last build wrote."""
    key = hashlib.sha1(str(out_dir.resolve()).encode()).hexdigest()[:12]
    return folder(root) / f"output-{key}.json"


def deploy_journal(root: Path, key: str) -> Path:
    """What a deploy to one target has finished so far, so that a deploy run again resumes (deploy.remote)."""
    return folder(root) / f"deploy-{key}.journal"


def read_json(path: Path | None):
    """A cache file's data, or None when it is missing or cannot be read: a cache is only a
    speed-up, and its reader checks the shape of what it gets."""
    if path is None:
        return None
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def write_json(path: Path, data, sort_keys: bool = False) -> None:
    """A cache file of JSON, written as write_bytes writes. Raises OSError."""
    write_bytes(path, json.dumps(data, ensure_ascii=False, sort_keys=sort_keys).encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """A cache file written whole or not at all: under a temporary name of this process's own
    (forked workers may write the same file at once), then renamed. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except OSError:
        temp.unlink(missing_ok=True)
        raise
