"""Start-up counts: a command imports only what it needs. A build that finds nothing changed
imports none of the libraries the stages use (they take longer to import than such a build
takes to run), and a build after one edit does not load pypinyin's dictionaries for the tags
the site already has."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from xml.sax import saxutils

from hypothesis import given, settings, strategies as st

from conftest import MINIMAL_SITE, write_site
from zhuanlan import feeds
from zhuanlan.stamps import installed_version

REPO = Path(__file__).resolve().parent.parent
HEAVY = ("numpy", "PIL", "jinja2", "markdown_it", "nh3", "opencc", "pypinyin", "lxml", "zxingcpp", "resvg_py",
         "multiprocessing", "boto3", "paramiko", "zhuanlan.render", "zhuanlan.content", "zhuanlan.site",
         "importlib.metadata", "zhuanlan.textrules.mojibake", "zhuanlan.textrules.pinyin",
         "zhuanlan.textrules.punctuation", "zhuanlan.textrules.mixedscript")

# A build in a fresh process, reporting its exit status and which of HEAVY it imported.
PROBE = """
import json, sys
sys.path.insert(0, {repo!r})
from zhuanlan.cli import main
code = main(["build", "--site", {site!r}])
print(json.dumps([code, sorted(m for m in sys.modules if m in {heavy!r} or m.split(".")[0] in {heavy!r})]))
"""


def _build_in_new_process(site: Path) -> tuple[int, list[str]]:
    probe = PROBE.format(repo=str(REPO), site=str(site), heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=site, check=True)
    code, imported = json.loads(done.stdout.strip().splitlines()[-1])
    return code, imported


def test_a_build_with_nothing_to_do_imports_none_of_the_stages_libraries(tmp_path):
    site = write_site(tmp_path / "site", MINIMAL_SITE)
    for path in site.rglob("*"):  # written a while ago: old enough for their stamps to be trusted
        os.utime(path, (time.time() - 60, time.time() - 60))
    code, first = _build_in_new_process(site)
    assert code == 0 and "jinja2" in first  # the probe sees what a build that works imports
    code, imported = _build_in_new_process(site)
    assert code == 0
    assert imported == []


def test_one_edit_does_not_load_pypinyin_for_the_tags_the_site_has(tmp_path):
    site = write_site(tmp_path / "site", MINIMAL_SITE)
    code, first = _build_in_new_process(site)
    assert code == 0 and "pypinyin" in first  # the tag 志愿服务 is made a slug once
    story = site / "content/stories/first.md"
    story.write_text(story.read_text("utf-8") + "\n补记一句。\n", "utf-8")
    code, imported = _build_in_new_process(site)
    assert code == 0 and "jinja2" in imported
    assert "pypinyin" not in imported
    assert "importlib.metadata" not in imported  # versions in cache keys are read without it (stamps.installed_version)
    assert "opencc" not in imported  # search's traditional → simplified table is kept (hanzi.keep_tables_in)
    assert "numpy.ma" not in imported  # np.unique imports it (15 ms); the grams do without
    assert "PIL" not in imported and "zxingcpp" not in imported  # no picture, poster or new QR code to make
    # the build runs only the error-level text rules; the warning families are imported by check
    assert not {"zhuanlan.textrules.mojibake", "zhuanlan.textrules.pinyin", "zhuanlan.textrules.punctuation",
                "zhuanlan.textrules.mixedscript"} & set(imported)


def test_installed_versions_are_those_importlib_metadata_reads():
    from importlib.metadata import version

    for module, distribution in (("zxingcpp", "zxing-cpp"), ("resvg_py", "resvg-py"), ("yaml", "PyYAML"),
                                 ("markdown_it", "markdown-it-py"), ("PIL", "Pillow")):
        assert installed_version(module, distribution) == version(distribution)
    assert installed_version("no_such_module_here", "no-such-module") is None


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab&<>\"'\n\r\t\x01\ufffe 党"))))
def test_feeds_escape_text_as_the_standard_library_does(text):
    """feeds escapes on its own (xml.sax.saxutils would import urllib.request, ssl and http.client
    into every rebuild): byte for byte what saxutils makes, after dropping what XML cannot hold."""
    kept = feeds._NOT_XML.sub("", text)
    assert feeds.escape(text) == saxutils.escape(kept)
    assert feeds.quoteattr(text) == saxutils.quoteattr(kept)


def test_the_text_rules_package_names_the_rules_its_families_name():
    """textrules names the warning families' rules without importing them (a build runs none)."""
    from zhuanlan import textrules
    from zhuanlan.textrules import mixedscript, mojibake, pinyin, punctuation

    assert (textrules.MOJIBAKE, textrules.PINYIN, textrules.MIXED_SCRIPT, textrules.PUNCTUATION) == \
        (mojibake.MOJIBAKE, pinyin.PINYIN, mixedscript.MIXED_SCRIPT, punctuation.PUNCTUATION)


GC_PROBE = """
import gc, json, sys
gc.disable()  # as build.py starts
sys.path.insert(0, {repo!r})
from zhuanlan.cli import main
code = main({argv!r})
print(json.dumps([code, gc.isenabled()]))
"""


def test_the_collector_held_off_while_starting_is_on_again_after_parsing_and_for_other_commands(tmp_path):
    """build.py starts with the garbage collector off (start-up makes no garbage worth looking for);
    a build that parses turns it back on, and so does every other command (serve runs for hours)."""
    site = write_site(tmp_path / "site", MINIMAL_SITE)
    for argv in (["build", "--site", str(site)], ["check", "--site", str(site)]):
        probe = GC_PROBE.format(repo=str(REPO), argv=argv)
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=site, check=True)
        code, enabled = json.loads(done.stdout.strip().splitlines()[-1])
        assert code in (0, 1) and enabled, argv
    assert "gc.disable()" in (REPO / "build.py").read_text("utf-8")


# A cold build on two cores, noting in a file which processes that parse files hold pypinyin.
PARSE_PROBE = """
import os, sys
sys.path.insert(0, {repo!r})
from zhuanlan import cache
from zhuanlan.cli import main

parse_to_rows = cache.parse_to_rows
def noted(items):
    with open({note!r}, "a") as note:
        note.write(f"{{os.getpid()}} {{'pypinyin' in sys.modules}}\\n")
    return parse_to_rows(items)
cache.parse_to_rows = noted
code = main(["build", "--site", {site!r}, "--jobs", {jobs!r}, "--output", {output!r}, "--clean"])
print(os.getpid(), code, "pypinyin" in sys.modules)
"""

TAG_FORMS = ["tags: [志愿服务, 党建]", "标签: 乡村振兴、为民服务", "Tags:\n  - 共同富裕\n  - 党建", "tag: 主题教育",
             "tags: [\"红色, 引擎\", 2024]", "tags: [Ａ组, abc]"]


def test_a_cold_build_on_many_cores_makes_slugs_in_a_process_of_its_own(tmp_path):
    from zhuanlan.workers import PARALLEL_MIN_FILES

    files = dict(MINIMAL_SITE)
    for i in range(PARALLEL_MIN_FILES):
        name = f"content/stories/{'支部活动' if i % 3 else 'story'}{i}.md"
        files[name] = f"---\ntitle: 第{i}篇\ndate: 2024-01-{1 + i % 28:02d}\n{TAG_FORMS[i % len(TAG_FORMS)]}\n---\n正文。\n"
    site = write_site(tmp_path / "site", files)
    outputs = {}
    for jobs in ("2", "1"):
        note = tmp_path / f"parsed-{jobs}.txt"
        probe = PARSE_PROBE.format(repo=str(REPO), site=str(site), jobs=jobs, note=str(note),
                                   output=str(tmp_path / f"out-{jobs}"))
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=site, check=True)
        parent, code, parent_has_pinyin = done.stdout.split()[-3:]
        assert code == "0"
        parsers = dict(line.split() for line in note.read_text().splitlines())
        outputs[jobs] = {p.relative_to(tmp_path / f"out-{jobs}"): p.read_bytes()
                         for p in (tmp_path / f"out-{jobs}").rglob("*") if p.is_file()}
        if jobs == "2":
            assert parent_has_pinyin == "False" and parent not in parsers and parsers
            assert set(parsers.values()) == {"False"}  # neither worker loaded the dictionaries
        else:  # one process: it makes its slugs itself
            assert parent_has_pinyin == "True"
    assert outputs["2"] == outputs["1"]  # the same site, byte for byte
    tags = {p.parts[1] for p in outputs["2"] if p.parts[0] == "tags" and len(p.parts) > 2}
    assert {"zhi-yuan-fu-wu", "dang-jian", "xiang-cun-zhen-xing", "gong-tong-fu-yu", "zhu-ti-jiao-yu", "a-zu"} <= tags
    assert any(p.parts[:2] == ("stories", "zhi-bu-huo-dong-1") for p in outputs["2"])


def test_the_texts_found_to_slug_are_those_a_parse_slugs(monkeypatch):
    from zhuanlan import content

    slugged: list[str] = []
    slugify = content.slugify
    monkeypatch.setattr(content, "slugify", lambda text: slugged.append(text) or slugify(text))
    for i, form in enumerate(TAG_FORMS + ["标签:\n- 党建\n- 三会一课", "title: 无标签"]):
        for rel in (f"stories/支部{i}.md", f"brands/品牌{i}.md", f"columns/news{i}.md"):
            data = f"---\ntitle: 甲\ndate: 2024-01-01\nname: 乙\n{form}\n---\n正文\n\n---\n\n更多正文\n".encode()
            slugged.clear()
            content.parse_file(Path(rel), rel, data)
            assert sorted(content.slug_texts(rel, data)) == sorted(t for t in slugged if not t.isascii()), (rel, form)
