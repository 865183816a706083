"""The search index across builds: stories keep their numbers when one is added, an edit or an
addition rewrites only the shards its grams are in, and whatever the sequence of edits, additions,
deletions and renames, the updated index equals a clean build's and answers every query exactly."""
from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_SITE, with_texts, write_site
from zhuanlan import searchindex
from zhuanlan.content import parse_file
from zhuanlan.search import indexformat
from zhuanlan.search.normalization import normalize, searchable
from zhuanlan.search.reader import IndexReader
from zhuanlan.searchindex import doc_order
from zhuanlan.pipeline import Builder, BuildOptions, build

# A small alphabet, so that stories share many grams (and so shards); traditional characters,
# full-width forms and an emoji for the folding.
ALPHABET = list("党建网格连心五单工作法群众满意麟湖帮团志愿服务黨網後５Ｇg，。👍")
SLUGS = ["a", "b", "c", "d", "e", "f"]


@contextmanager
def small_shards(target: int = 60, group: int = 40):
    """Shard targets of a few dozen bytes, so that a handful of stories fill many shards, and
    groups of a few shards, so that building and updating go through many groups."""
    saved = searchindex.SHARD_TARGET, searchindex.GROUP_ENTRIES
    searchindex.SHARD_TARGET, searchindex.GROUP_ENTRIES = target, group
    try:
        yield
    finally:
        searchindex.SHARD_TARGET, searchindex.GROUP_ENTRIES = saved


@contextmanager
def counting_updates():
    """Counts the builds that updated the last build's index in place."""
    real = searchindex.IndexBuilder._update
    calls = {"updated": 0}

    def update(self, *args):
        result = real(self, *args)
        calls["updated"] += 1
        return result

    searchindex.IndexBuilder._update = update
    try:
        yield calls
    finally:
        searchindex.IndexBuilder._update = real


def story(title: str, body: str, day: int, hour: int = 9) -> str:
    return f"---\ntitle: '{title}'\ndate: 2023-05-{day:02d} {hour:02d}:00\n---\n{body}\n"


def site_with(root: Path, stories: dict[str, str]) -> Path:
    files = {k: v for k, v in MINIMAL_SITE.items() if not k.startswith("content/stories/")}
    files.update({f"content/stories/{slug}.md": text for slug, text in stories.items()})
    return write_site(root, files)


def search_files(out: Path) -> dict[str, bytes]:
    folder = out / "search"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "index.html"}


def grams_of(story):
    """The story's search grams as the build makes them, from its file as it is now: a build lets
    go of the grams once its index has them (the parse cache keeps them)."""
    return parse_file(Path(story.path), story.rel).item.search


def clean_copy(site: Path, root: Path, name: str) -> tuple[dict[str, bytes], list]:
    """The search files of a clean build of a copy of the site, and its stories in document order
    with their text."""
    copy = root / name
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "output"))
    result = build(BuildOptions(copy, copy / "output", workers=1, clean=True))
    return search_files(copy / "output"), with_texts(doc_order(result.site.stories))


def expected(docs, query: str) -> list[int]:
    normalized = normalize(query)
    if not searchable(normalized):
        return []
    return [i for i, s in enumerate(docs) if normalized in normalize(s.title) or normalized in normalize(s.text)]


def check_queries(out: Path, docs, queries) -> None:
    reader = IndexReader(out)
    for query in queries:
        assert sorted(h.doc for h in reader.query(query)) == expected(docs, query), query


# -- the property -----------------------------------------------------------------------------

text = st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=60).map("".join)
operation = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(SLUGS), st.tuples(text, text, st.integers(1, 28), st.integers(0, 1))),
    st.tuples(st.just("delete"), st.sampled_from(SLUGS), st.none()),
    st.tuples(st.just("rename"), st.sampled_from(SLUGS), st.sampled_from(SLUGS)),
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(operation, min_size=1, max_size=5), data=st.data())
def test_updated_index_equals_a_clean_build_and_answers_exactly(tmp_path_factory, ops, data):
    root = tmp_path_factory.mktemp("search-inc")
    site = site_with(root / "site", {"a": story("党建网格", "网格连心，群众满意。黨建", 3),
                                     "b": story("五单工作法", "五单工作法让群众满意👍", 5)})
    with small_shards():
        build(BuildOptions(site, site / "output", workers=1))
        for step, (kind, slug, value) in enumerate(ops):
            path = site / "content/stories" / f"{slug}.md"
            if kind == "write":
                title, body, day, hour = value
                path.write_text(story(title, body, day, 9 + hour), "utf-8")
            elif kind == "delete":
                path.unlink(missing_ok=True)
            elif path.exists() and slug != value:
                os.replace(path, path.with_name(f"{value}.md"))
            result = build(BuildOptions(site, site / "output", workers=1))
            # Drawn before knowing whether the build did anything: whether an unchanged file is seen as
            # unchanged at once depends on the clock (racy stamps), and hypothesis needs the same draws
            # on a replay.
            picks = data.draw(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 199), st.integers(1, 8)),
                                       min_size=8, max_size=8))
            if result.site is None:  # nothing changed (a file renamed to itself, a missing one deleted)
                continue
            files, docs = clean_copy(site, root, f"clean{step}")
            assert search_files(site / "output") == files, f"step {step}: {kind} {slug}"
            assert [s.rel for s in doc_order(result.site.stories)] == [s.rel for s in docs]
            queries = list(ALPHABET) + ["党建", "网格连心", "黨建", "群众满意", "五单工作法让"]
            sources = [d.title for d in docs] + [d.text for d in docs]
            for which, start, length in picks if docs else []:
                source = sources[which % len(sources)]
                start %= max(1, len(source))
                queries.append(source[start:start + length])
            check_queries(site / "output", docs, queries)
    shutil.rmtree(root, ignore_errors=True)


# -- what a change costs ----------------------------------------------------------------------

def _stories(count: int) -> dict[str, str]:
    words = ["党建引领", "网格连心", "五单工作法", "群众满意", "麟湖帮帮团", "志愿服务", "河道水质", "共富工坊"]
    return {f"s{i:02d}": story(f"第{i}篇：{words[i % 8]}", "，".join(words[(i + k) % 8] for k in range(i % 5 + 3)) + "。",
                               1 + i % 28, 9 + i // 28) for i in range(count)}


def _mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in (out / "search").rglob("*.bin")}


def test_adding_a_story_keeps_every_number_and_rewrites_only_its_shards(tmp_path):
    site = site_with(tmp_path / "site", _stories(30))
    out = site / "output"
    with small_shards(200), counting_updates() as calls:
        before = build(BuildOptions(site, out, workers=1))
        old_records = {p.name: p.read_bytes() for p in (out / "search/d").iterdir()}
        old_meta = json.loads((out / "search/meta.json").read_text("utf-8"))
        old_times = _mtimes(out)
        (site / "content/stories/zz-new.md").write_text(story("新发布：网格连心新做法", "网格员每天巡查，群众满意。", 28, 23), "utf-8")
        after = build(BuildOptions(site, out, workers=1))
        files, clean_docs = clean_copy(site, tmp_path, "clean")
    assert calls["updated"] == 1
    meta = json.loads((out / "search/meta.json").read_text("utf-8"))
    assert meta["shards"] == old_meta["shards"] and meta["stories"] == old_meta["stories"] + 1
    docs = doc_order(after.site.stories)
    assert docs[-1].rel == "stories/zz-new.md"  # the newest story takes the next number
    assert [s.rel for s in doc_order(before.site.stories)] == [s.rel for s in docs[:-1]]
    for name, data in old_records.items():  # every other record is the same file, not rewritten
        assert (out / "search/d" / name).read_bytes() == data
        assert _mtimes(out)[f"search/d/{name}"] == old_times[f"search/d/{name}"]
    new = grams_of(doc_order(after.site.stories)[-1])
    touched = {f"search/{folder}/{shard}.bin" for (folder, width, hashed), count in zip(indexformat.LEVELS, meta["shards"])
               for shard in (indexformat.hash_keys(new.level(width)[0], width, hashed) % count).tolist()}
    rewritten = {rel for rel, mtime in _mtimes(out).items() if old_times.get(rel) != mtime and "/d/" not in rel}
    assert rewritten and rewritten <= touched
    assert len(rewritten) < len([r for r in old_times if "/d/" not in r])  # not every shard
    assert search_files(out) == files
    check_queries(out, clean_docs, ["网格连心新做法", "新发布", "巡查", "党建引领", "满意"])


def test_editing_a_story_rewrites_its_record_and_the_shards_of_its_old_and_new_grams(tmp_path):
    site = site_with(tmp_path / "site", _stories(30))
    out = site / "output"
    with small_shards(200), counting_updates() as calls:
        first = build(BuildOptions(site, out, workers=1))
        docs = doc_order(first.site.stories)
        number = next(i for i, s in enumerate(docs) if s.rel == "stories/s07.md")
        old = grams_of(docs[number])
        old_times = _mtimes(out)
        meta = json.loads((out / "search/meta.json").read_text("utf-8"))
        path = site / "content/stories/s07.md"
        path.write_text(path.read_text("utf-8").replace("。", "，老周说：变化真大。"), "utf-8")
        second = build(BuildOptions(site, out, workers=1))
        files, clean_docs = clean_copy(site, tmp_path, "clean")
    assert calls["updated"] == 1
    docs = doc_order(second.site.stories)
    assert docs[number].rel == "stories/s07.md"
    new = grams_of(docs[number])
    touched = {f"search/{folder}/{shard}.bin" for (folder, width, hashed), count in zip(indexformat.LEVELS, meta["shards"])
               for grams in (old, new) for shard in (indexformat.hash_keys(grams.level(width)[0], width, hashed) % count).tolist()}
    changed = {rel for rel, mtime in _mtimes(out).items() if old_times.get(rel) != mtime}
    assert f"search/d/{number}.bin" in changed
    assert changed - {f"search/d/{number}.bin"} <= touched
    assert search_files(out) == files
    check_queries(out, clean_docs, ["老周说", "变化真大", "老周", "网格连心", "党建引领"])


def test_an_edit_reads_back_the_shards_it_touches_a_group_at_a_time(tmp_path, monkeypatch):
    """An edited story's grams reach many shards; decoding them all at once took most of a gigabyte
    on 10,000 stories, so they are read, merged and written a bounded group at a time."""
    site = site_with(tmp_path / "site", _stories(30))
    out = site / "output"
    group = 300
    with small_shards(200, group), counting_updates() as calls:
        build(BuildOptions(site, out, workers=1))
        decoded = []
        real = indexformat.decode_shards

        def decode(blobs, width):
            decoded.append([len(b) for b in blobs])
            return real(blobs, width)

        monkeypatch.setattr(indexformat, "decode_shards", decode)
        path = site / "content/stories/s07.md"
        path.write_text(path.read_text("utf-8").replace("。", "，老周说：变化真大。"), "utf-8")
        second = build(BuildOptions(site, out, workers=1))
        monkeypatch.undo()
        files, clean_docs = clean_copy(site, tmp_path, "clean")
    assert calls["updated"] == 1 and second.site is not None
    assert len(decoded) > len(indexformat.LEVELS)  # more than one group in some level
    for sizes in decoded:  # each group within the budget, or a single shard bigger than it
        assert sum(sizes) <= group * searchindex.BYTES_PER_ENTRY or len(sizes) == 1, sizes
    assert search_files(out) == files
    check_queries(out, clean_docs, ["老周说", "变化真大", "老周", "网格连心", "党建引领"])


def test_an_edited_story_is_diffed_against_its_last_version_so_few_shards_are_read(tmp_path, monkeypatch):
    """Appending a sentence changes a few dozen grams: only their shards are read and rewritten,
    not every shard the story's grams are in."""
    stories = _stories(30)
    long_body = "".join(ALPHABET[(i * 7) % len(ALPHABET)] + ALPHABET[(i * 11) % len(ALPHABET)] for i in range(400))
    stories["s07"] = story("第7篇：很长的一篇", long_body, 8)
    site = site_with(tmp_path / "site", stories)
    out = site / "output"
    with small_shards(60), counting_updates() as calls:
        first = build(BuildOptions(site, out, workers=1))
        docs = doc_order(first.site.stories)
        number = next(i for i, s in enumerate(docs) if s.rel == "stories/s07.md")
        meta = json.loads((out / "search/meta.json").read_text("utf-8"))
        old = grams_of(docs[number])
        read = []
        real = indexformat.decode_shards
        monkeypatch.setattr(indexformat, "decode_shards", lambda blobs, width: read.append(len(blobs)) or real(blobs, width))
        path = site / "content/stories/s07.md"
        path.write_text(path.read_text("utf-8").rstrip("\n") + "老周说变化真大。\n", "utf-8")
        second = build(BuildOptions(site, out, workers=1))
        monkeypatch.undo()
        files, clean_docs = clean_copy(site, tmp_path, "clean")
    assert calls["updated"] == 1 and second.site is not None
    new = grams_of(next(st for st in second.site.stories if st.rel == "stories/s07.md"))
    expected = everywhere = 0
    for (_, width, hashed), count in zip(indexformat.LEVELS, meta["shards"]):
        before, after = (dict(zip(g.level(width)[0].tolist(), g.level(width)[1].tolist())) for g in (old, new))
        changed = np.array(sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k)), np.uint64)
        expected += len(set((indexformat.hash_keys(changed, width, hashed) % count).tolist()))
        everywhere += len(set((indexformat.hash_keys(np.array(sorted(before.keys() | after.keys()), np.uint64),
                                                width, hashed) % count).tolist()))
    assert sum(read) == expected < everywhere, (sum(read), expected, everywhere)
    assert search_files(out) == files
    check_queries(out, clean_docs, ["老周说", "变化真大", "大。", "党建引领", "网格连心"])


@pytest.mark.parametrize("damage", ["shard", "state", "faulty state", "record"])
def test_a_damaged_index_or_lost_state_is_built_whole_again(tmp_path, damage):
    site = site_with(tmp_path / "site", _stories(20))
    out = site / "output"
    with small_shards(200):
        first = build(BuildOptions(site, out, workers=1))
        if damage == "shard":  # a shard the update must read back, cut short by hand: its hash no longer matches
            grams = grams_of(next(s for s in first.site.stories if s.rel == "stories/s03.md"))
            count = json.loads((out / "search/meta.json").read_text("utf-8"))["shards"][1]
            for number in set((indexformat.hash_keys(grams.keys2, 2, 2) % count).tolist()):
                shard = out / "search/i2" / f"{number}.bin"
                shard.write_bytes(shard.read_bytes()[:-1])
        elif damage == "state":
            for state in (site / ".cache").glob("*.search-*.npz"):
                state.unlink()
        elif damage == "faulty state":  # as a build once wrote it: one value where a list belongs
            for state in (site / ".cache").glob("*.search-*.npz"):
                with np.load(state) as data:
                    arrays = dict(data)
                arrays["records"] = np.array("bad")
                np.savez(state, **arrays)
        else:
            (out / "search/d/3.bin").unlink()
        path = site / "content/stories/s03.md"
        path.write_text(path.read_text("utf-8").replace("。", "，又一句。"), "utf-8")
        build(BuildOptions(site, out, workers=1))
        files, clean_docs = clean_copy(site, tmp_path, "clean")
        assert search_files(out) == files
    check_queries(out, clean_docs, ["又一句", "网格连心", "党建"])


def test_a_whole_build_lets_go_of_the_grams_and_the_next_builds_load_them_again(tmp_path):
    """A whole index build holds each story's grams only until it has copied them (they were most of
    its peak memory); a long-lived builder (serve) loads them again from the parse cache for the
    builds that follow, whether they update the index or build it whole."""
    site = site_with(tmp_path / "site", _stories(30))
    out = site / "output"
    builder = Builder(BuildOptions(site, out, workers=1))
    try:
        with small_shards(200), counting_updates() as calls:
            first = builder.build()
            assert all(s.search is None for s in first.site.stories)
            assert not builder.cache._heavy["index"]
            for step, (slug, sentence) in enumerate([("s03", "又一句。"), ("s11", "再改一句。")]):
                if step == 0:  # no state of the last index: built whole again, from grams loaded again
                    for state in (site / ".cache").glob("*.search-*.npz"):
                        state.unlink()
                path = site / f"content/stories/{slug}.md"
                path.write_text(path.read_text("utf-8").replace("。", f"，{sentence}", 1), "utf-8")
                builder.build()
                files, clean_docs = clean_copy(site, tmp_path, f"clean{step}")
                assert search_files(out) == files, step
                assert calls["updated"] == step
                check_queries(out, clean_docs, [sentence, "网格连心", "党建引领"])
    finally:
        builder.close()


def test_shard_counts_come_from_a_ladder_and_stay_put_for_small_changes():
    counts = [searchindex.shard_count(n) for n in range(0, 3_000_000, 997)]
    assert counts == sorted(counts) and counts[0] == 1
    assert len(set(counts)) < 40  # a few dozen steps over three million entries
    steps = sorted(set(counts))
    assert all(b / a <= 1.5 for a, b in zip(steps[10:], steps[11:]))  # about 19% apart
    big = 15_000_000  # a 10,000-story site
    assert searchindex.shard_count(big) == searchindex.shard_count(big + 1500)  # one more story


def _all_files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("where", ["group", "record", "shard file"])
def test_a_failure_while_the_index_is_built_leaves_the_last_output_as_it_was(tmp_path, monkeypatch, where):
    """Groups are built on one pool of threads and files written on another: whichever fails, the
    build stops with the error, nothing it staged is left behind, and output/ is the last build's."""
    site = site_with(tmp_path / "site", _stories(20))
    out = site / "output"
    with small_shards():
        build(BuildOptions(site, out, workers=1))
        before = _all_files(out)
        calls = {"n": 0}

        def failing(real, after: int):
            def wrapper(*args, **kwargs):
                calls["n"] += 1
                if calls["n"] > after:
                    raise OSError(28, "No space left on device")
                return real(*args, **kwargs)
            return wrapper

        if where == "group":
            monkeypatch.setattr(indexformat, "encode_shards", failing(indexformat.encode_shards, 3))
        else:
            real = searchindex.Stager.stage_bytes
            folder = "search/d/" if where == "record" else "search/i4/"

            def stage_bytes(self, rel, data):
                return (failing(real, 5) if rel.startswith(folder) else real)(self, rel, data)
            monkeypatch.setattr(searchindex.Stager, "stage_bytes", stage_bytes)
        for path in (site / "content/stories").glob("*.md"):  # every story changed: the index is built whole
            path.write_text(path.read_text("utf-8").replace("。", "，又一句。"), "utf-8")
        with pytest.raises(OSError):
            build(BuildOptions(site, out, workers=1))
        assert calls["n"] > 3
    assert _all_files(out) == before
    assert not list(out.rglob("*.zhuanlan-tmp"))


def test_worker_processes_make_the_same_site_as_one_process(tmp_path, monkeypatch):
    """Parse workers take the files in chunks and make a chunk's search grams at once; render
    workers take ranges of pages. The output must not depend on how the work was split."""
    from zhuanlan import parallel

    stories = _stories(23)
    stories["t1"] = story("黨建網格😀", "後來，幹部們與群眾連心。５Ｇ党建 ﬁ ㍿", 3)
    stories["t2"] = story("空", "", 4)
    one = site_with(tmp_path / "one", stories)
    two = site_with(tmp_path / "two", stories)
    build(BuildOptions(one, one / "output", workers=1))
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 2)
    monkeypatch.setattr(parallel, "CHUNK", 4)
    forked = []
    real = parallel.fork_pool

    def counting_pool(workers):
        forked.append(workers)
        return real(workers)
    monkeypatch.setattr(parallel, "fork_pool", counting_pool)
    build(BuildOptions(two, two / "output", workers=2))
    assert forked, "the build did not start worker processes"
    assert _all_files(one / "output") == _all_files(two / "output")
