"""The same generated corpus as a Hugo site and as a Pelican site, for side-by-side builds.

Hugo gets a small theme with the same page types as ours: story pages with previous/next and
related stories, paginated column, brand and tag pages (taxonomies), a home page, RSS and
sitemap. Story pages mark their article `data-pagefind-body`, as Pagefind's documentation tells a
Hugo site to, so that Pagefind run over the output indexes the stories only (as our search does).
Pelican uses its built-in `simple` theme with tags and categories (a story's first
column) and the same page size.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

HUGO_CONFIG = """\
baseURL = "https://bench.example.gov.cn/dangjian/"
title = "基准测试站"
languageCode = "zh-CN"
hasCJKLanguage = true
disableKinds = []
[pagination]
  pagerSize = 10
[taxonomies]
  tag = "tags"
  brand = "brands"
  column = "columns"
[related]
  includeNewer = true
  threshold = 1
  toLower = false
  [[related.indices]]
    name = "tags"
    weight = 100
  [[related.indices]]
    name = "brands"
    weight = 50
"""

HUGO_LAYOUTS = {
    "baseof.html": """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{ .Title }} - {{ site.Title }}</title>
<meta name="description" content="{{ .Summary | plainify | truncate 120 }}"><link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}"><link rel="stylesheet" href="{{ "css/site.css" | relURL }}"></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a><form action="{{ "search/" | relURL }}"><input name="q"></form>
<nav>{{ range site.Taxonomies.columns }}<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}</nav></header>
<main>{{ block "main" . }}{{ end }}</main><footer>主办单位：基准测试单位</footer></body></html>""",
    "single.html": """{{ define "main" }}<article data-pagefind-body><h1>{{ .Title }}</h1>
<p>发布时间：{{ .Date.Format "2006-01-02 15:04" }} 来源：{{ .Params.source }} 作者：{{ .Params.author }} 阅读约 {{ .ReadingTime }} 分钟</p>
<p>{{ range .GetTerms "brands" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}
{{ range .GetTerms "columns" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
<div>{{ .Content }}</div><p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<p>责任编辑：{{ .Params.editor }}</p></article>
<nav>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">上一篇 {{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">下一篇 {{ .Title }}</a>{{ end }}</nav>
{{ with site.RegularPages.Related . | first 5 }}<ul>{{ range . }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>{{ end }}
{{ end }}""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Summary | plainify | truncate 100 }}</p>{{ .Date.Format "2006-01-02" }}</li>
{{ end }}</ul>{{ template "_internal/pagination.html" . }}{{ end }}""",
    "terms.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Data.Terms.ByCount }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>{{ end }}""",
    "home.html": """{{ define "main" }}<h1>{{ site.Title }}</h1><ul>{{ range first 8 site.RegularPages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Summary | plainify | truncate 100 }}</p></li>{{ end }}</ul>
{{ range site.Taxonomies.brands }}<a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ end }}{{ end }}""",
}

PELICAN_CONF = """\
SITENAME = "基准测试站"
SITEURL = ""
PATH = "content"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_PAGINATION = 10
THEME = "simple"
FEED_ALL_ATOM = "feed.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
ARTICLE_URL = "stories/{slug}/"
ARTICLE_SAVE_AS = "stories/{slug}/index.html"
LOAD_CONTENT_CACHE = False
"""

_FRONT = re.compile(r"^---\n(.*?)\n---\n", re.S)


def _split(text: str) -> tuple[dict, str]:
    match = _FRONT.match(text)
    meta = yaml.safe_load(match.group(1))
    return meta, text[match.end():]


def make_hugo(corpus: Path, out: Path, related: bool = True) -> Path:
    """A Hugo site of the corpus. Without `related`, story pages leave out related stories, the
    most expensive part of Hugo's build here (reported separately, as the stricter comparison)."""
    if out.exists():
        shutil.rmtree(out)
    (out / "layouts" / "_default").mkdir(parents=True)
    (out / "hugo.toml").write_text(HUGO_CONFIG, "utf-8")
    for name, text in HUGO_LAYOUTS.items():
        if name == "single.html" and not related:
            text = text[: text.index("{{ with site.RegularPages.Related")] + "{{ end }}"
        target = out / "layouts" / ("index.html" if name == "home.html" else f"_default/{name}")
        target.write_text(text, "utf-8")
    (out / "static" / "css").mkdir(parents=True)
    shutil.copy(Path(__file__).resolve().parent.parent / "themes/default/static/css/site.css", out / "static/css/site.css")
    for path in sorted((corpus / "content" / "stories").rglob("*.md")):
        meta, body = _split(path.read_text("utf-8"))
        front = {
            "title": str(meta["title"]), "date": str(meta["date"]).replace(" ", "T") + ":00+08:00",
            "tags": meta.get("tags", []), "brands": [meta["brand"]], "columns": meta.get("columns", []),
            "source": meta.get("source"), "author": meta.get("author"), "editor": meta.get("editor"),
        }
        target = out / "content" / "stories" / path.relative_to(corpus / "content" / "stories")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body, "utf-8")
    return out


def make_pelican(corpus: Path, out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    (out / "content").mkdir(parents=True)
    (out / "pelicanconf.py").write_text(PELICAN_CONF, "utf-8")
    for path in sorted((corpus / "content" / "stories").rglob("*.md")):
        meta, body = _split(path.read_text("utf-8"))
        header = (f"Title: {meta['title']}\nDate: {meta['date']}\nTags: {', '.join(meta.get('tags', []))}\n"
                  f"Category: {meta.get('columns', ['default'])[0]}\nAuthor: {meta.get('author')}\n"
                  f"Slug: {path.stem}\n\n")
        (out / "content" / path.name).write_text(header + body, "utf-8")
    return out
