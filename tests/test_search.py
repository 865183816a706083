"""Search: normalisation, the index on disk, exact containment (Python reference and the real
search.js in Node), and the edge cases the issue lists."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import MINIMAL_SITE, REPO, with_texts, write_site
from zhuanlan.search.grams import MAX_COUNT, _code_points, _joined_units, analyse, analyse_many
from zhuanlan.search.indexformat import _unvarints, _varints, decode_shards, encode_postings, encode_shards
from zhuanlan.search.normalization import DROP_RANGES, PUNCT_RANGES, _in_ranges, normalize, searchable, t2s_table, utf16_units
from zhuanlan.search.reader import IndexReader, _occurrences, tokens
from zhuanlan.search.records import display_text, read_record, record_bytes, story_record
from zhuanlan.searchindex import doc_order

STORIES = {
    "trad": ("黨建引領基層治理", "網格連心，服務群眾。後來，支部書記說：「這是我們的責任。」"),
    "width": ("ＡＢＣ全角字母", "全角的Ｐａｒｔｙ和５Ｇ网络，半角的Party和5G。"),
    "mixed": ("5G党建新实践", "我们的5G 党建平台上线了，5g党建成为热词。APP下载量达12345次。"),
    "emoji": ("点赞👍🏻", "群众纷纷点赞👍🏻，一家人👨‍👩‍👧其乐融融。𠀀字也要能找到。"),
    "combining": ("Café 议事会", "在cafe\u0301召开议事会，ﬁx 问题，㈱公司，①号楼。"),
    # (an outside address: a local one that does not exist is an error since issue 18)
    "markup": ("标记<script>不执行", '正文里写着<script>alert(1)</script>和"><img src=https://x.invalid/ onerror=alert(1)>。'),
    "repeat": ("哈哈哈", "哈哈哈哈哈，党员党员党员。网格连心网格连心，网格员每天巡查。"),
    "plain": ("五单工作法让群众满意", "群众点单、支部派单、党员接单。五单工作法推行以来，群众满意率明显提升。"),
}


def story_file(key: str, title: str, body: str, day: int) -> str:
    return f"---\ntitle: '{title}'\ndate: 2023-05-{day:02d}\nbrand: dinglin\ncolumns: [banshishi]\n---\n{body}\n"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """The example site plus the special stories above; built once."""
    root = tmp_path_factory.mktemp("search-site")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "site.yaml", root / "site.yaml")
    write_site(root, {f"content/stories/special/{key}.md": story_file(key, title, body, day)
                      for day, (key, (title, body)) in enumerate(STORIES.items(), start=1)})
    from zhuanlan.pipeline import BuildOptions, build

    result = build(BuildOptions(root, root / "output", workers=1))
    docs = with_texts(doc_order(result.site.stories))  # document numbers: oldest first
    texts = [(normalize(s.title), normalize(s.text)) for s in docs]
    return root / "output", docs, texts


def expected_docs(texts, query: str) -> list[int]:
    normalized = normalize(query)
    if not searchable(normalized):
        return []
    return [i for i, (title, text) in enumerate(texts) if normalized in title or normalized in text]


# -- normalisation ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw, folded", [
    ("黨建", "党建"), ("網格連心", "网格连心"), ("ＡＢＣ５Ｇ", "abc5g"), ("Party", "party"),
    ("5G 党建", "5g党建"), ("五单\u3000工作法", "五单工作法"), ("cafe\u0301", "cafe\u0301"), ("ﬁ", "fi"),
    ("①", "1"), ("a\u00adb", "ab"), ("\u200b零宽", "零宽"), ("後", "后"),
])
def test_normalize(raw, folded):
    assert normalize(raw) == folded


def test_normalisation_works_per_character_so_substrings_stay_substrings():
    text = "黨建ＡＢＣcafe\u0301 ①號 5G\u3000党建👍🏻"
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            assert normalize(text[start:end]) in normalize(text)


def _table_units(text: str) -> np.ndarray:
    """The units the parse stage's table lookup makes of one text (without its closing 0)."""
    units, _ = _joined_units([text], _code_points(text + "\0"), np.array([len(text)]))
    return units[:-1]


def test_the_table_lookup_folds_every_bmp_character_as_normalize_does():
    """The parse stage folds texts through a table filled as code points turn up; it must agree
    with normalize for every character, met alone or among others, and in any order."""
    points = [cp for cp in range(0x10000) if not 0xD800 <= cp <= 0xDFFF]
    random.Random(7).shuffle(points)
    for start in range(0, len(points), 4096):
        chunk = points[start:start + 4096]
        text = "".join(map(chr, chunk))
        expected = utf16_units(normalize(text))
        got = _table_units(text)
        assert got.tolist() == expected.tolist()
    for text in ("㈱公司", "黨建", "ﬁx", "Ａ", "\u200b党建\u00ad", "𠀀字"):
        assert _table_units(text).tolist() == utf16_units(normalize(text)).tolist()


def test_drop_ranges_are_exactly_the_control_format_and_separator_characters():
    for cp in range(0x110000):
        category = unicodedata.category(chr(cp))
        expected = category in ("Cc", "Cf", "Zs", "Zl", "Zp", "Cs")
        assert _in_ranges(cp, DROP_RANGES) == expected, hex(cp)


def test_t2s_table_is_one_character_to_one():
    table = t2s_table()
    assert table["黨"] == "党" and table["網"] == "网" and table["後"] == "后"
    assert "党" not in table and len(table) > 2000
    assert all(len(k) == 1 and len(v) == 1 for k, v in table.items())


@pytest.mark.parametrize("query, ok", [("", False), ("，。！？", False), ("...", False), ("“”《》", False),
                                       ("党", True), ("5", True), ("👍", True), ("a,", True)])
def test_searchable(query, ok):
    assert searchable(normalize(query)) is ok


# -- the index --------------------------------------------------------------------------------

def test_varints_round_trip():
    import numpy as np

    values = np.array([0, 1, 127, 128, 16383, 16384, 2**21 - 1, 5], dtype=np.uint32)
    data, sizes = _varints(values)
    assert list(sizes) == [1, 1, 1, 2, 2, 3, 3, 1] and len(data) == sum(sizes)
    decoded, value, shift = [], 0, 0
    for byte in bytes(data):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            decoded.append(value)
            value, shift = 0, 0
    assert decoded == values.tolist()
    assert _unvarints(data).tolist() == values.tolist()


def test_postings_round_trip_sparse_dense_and_escaped_values():
    import numpy as np

    rng = np.random.default_rng(3)
    kinds = set()
    for trial in range(200):
        n = int(rng.integers(1, 400))
        keys = np.sort(rng.integers(0, 6, n)).astype(np.uint64)
        docs = np.empty(n, np.int64)
        values = rng.choice([2, 3, 5, 16, 17, 18, 200, 65535], n).astype(np.int64)  # 17+: escaped in dense lists
        for key in np.unique(keys):
            mine = keys == key
            span = int(mine.sum()) + int(rng.integers(0, 3000))  # from packed (dense) to scattered (sparse)
            docs[mine] = np.sort(rng.choice(span, int(mine.sum()), replace=False)) + int(rng.integers(0, 200_000))
        shard = (keys % 3).astype(np.int64)
        order = np.lexsort((docs, keys, shard))
        postings = encode_postings(keys[order], docs[order], values[order])
        kinds.update(postings.dense.tolist())
        files = encode_shards(shard[order], keys[order], docs[order], values[order], 1)
        decoded = decode_shards([files[number] for number in sorted(files)], 1)
        assert decoded.keys.tolist() == keys[order].tolist()
        assert decoded.docs.tolist() == docs[order].tolist() and decoded.values.tolist() == values[order].tolist()
    assert kinds == {True, False}


def test_story_grams_survive_the_parse_cache_and_make_the_whole_record():
    import pickle

    for title, text in [("黨建标题", "正文 網格連心\n第二段 5G 😀"), ("", ""), ("一", ""), ("", "ab")]:
        grams = analyse(title, text)
        again = pickle.loads(pickle.dumps(grams))
        for name in ("keys1", "vals1", "keys2", "vals2", "keys4", "vals4"):
            before, after = getattr(grams, name), getattr(again, name)
            assert before.dtype == after.dtype and before.tolist() == after.tolist(), name
        assert (again.folds, again.record_tail) == (grams.folds, grams.record_tail)
        head = {"t": title, "u": "/dangjian/stories/a/", "d": "2023-05-01", "c": [0, 2], "b": -1}
        whole = dict(head, x=display_text(text))
        if grams.folds:
            whole["f"] = grams.folds
        assert story_record(head, again.record_tail) == record_bytes(whole)
        assert read_record(story_record(head, again.record_tail)) == whole


def _grams_by_hand(title: str, text: str) -> dict[int, list[tuple[int, int]]]:
    """Per level, each distinct gram of title 0 text 0 (as one integer, first unit highest) with
    count·2 + in-title flag, counted one position at a time: the oracle of analyse_many."""
    title_units = [int(u) for u in utf16_units(normalize(title))]
    units = title_units + [0] + [int(u) for u in utf16_units(normalize(text))] + [0]
    found = {}
    for width, nonzero in ((1, 1), (2, 2), (4, 3)):
        counts, in_title = {}, set()
        for k in range(len(units) - width + 1):
            gram = units[k:k + width]
            if all(gram[:nonzero]):
                key = 0
                for unit in gram:
                    key = key << 16 | unit
                counts[key] = counts.get(key, 0) + 1
                if k < len(title_units):
                    in_title.add(key)
        found[width] = [(key, min(n, MAX_COUNT) * 2 + (key in in_title)) for key, n in sorted(counts.items())]
    return found


_AWKWARD = "黨建網格連心党建网格连心乾ab AＡ５ﬁ㍿①😀𠀀\u200b\u00ad\x00\n\t，。"


@settings(max_examples=200, deadline=None)
@given(stories=st.lists(st.tuples(st.text(st.sampled_from(_AWKWARD) | st.characters(exclude_categories=("Cs",)), max_size=8),
                                  st.text(st.sampled_from(_AWKWARD) | st.characters(exclude_categories=("Cs",)), max_size=40)),
                        min_size=1, max_size=6))
def test_grams_made_a_batch_at_a_time_are_each_storys_own(stories):
    """Parse workers make a chunk of stories' grams at once: nothing may leak from one story to
    the next, and each must be what counting by hand gives (and what analysing it alone gives)."""
    batch = analyse_many(stories)
    for (title, text), grams in zip(stories, batch):
        alone = analyse(title, text)
        for width, expected in _grams_by_hand(title, text).items():
            keys, values = grams.level(width)
            assert list(zip(keys.tolist(), values.tolist())) == expected, (width, title, text)
            assert keys.dtype == alone.level(width)[0].dtype and keys.tolist() == alone.level(width)[0].tolist()
        assert (grams.folds, grams.record_tail) == (alone.folds, alone.record_tail)
        assert grams.folds == analyse(title + "\n" + text, "").folds  # folds do not depend on where a character is


def test_a_story_record_is_the_same_in_every_process():
    """Parse workers are separate processes, each with its own string hash seed."""
    import sys

    script = ("import sys; from zhuanlan.search.grams import analyse; "
              "sys.stdout.write(analyse('黨建網格', '後來，幹部們與群眾連心，這裡變了。').record_tail.hex())")
    tails = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO,
                            env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout for seed in range(6)}
    assert len(tails) == 1


def test_the_parse_stage_loads_the_grams_but_not_the_index_format():
    """content.py and cache.py (and so the parse workers) analyse stories; the index's file format
    and the reference reader belong to the index stage and the tests."""
    import sys

    script = ("import sys, zhuanlan.content, zhuanlan.cache; "
              "print(' '.join(sorted(m for m in sys.modules if m.startswith('zhuanlan.search'))))")
    loaded = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                cwd=REPO).stdout.split())
    assert "zhuanlan.search.grams" in loaded
    assert not loaded & {"zhuanlan.search.indexformat", "zhuanlan.search.reader", "zhuanlan.searchindex"}, loaded


def test_index_files_are_where_the_page_reads_them(indexed):
    out, docs, _ = indexed
    meta = json.loads((out / "search" / "meta.json").read_text("utf-8"))
    assert meta["stories"] == len(docs)
    assert len(list((out / "search" / "d").glob("*.bin"))) == len(docs)
    oldest = read_record((out / "search" / "d" / "0.bin").read_bytes())
    assert oldest["u"].startswith("/dangjian/stories/") and oldest["t"] == docs[0].title
    newest = read_record((out / "search" / "d" / f"{len(docs) - 1}.bin").read_bytes())
    assert newest["d"] == max(s.date for s in docs).strftime("%Y-%m-%d")  # numbered oldest first
    assert (out / "static" / "js" / "search.js").is_file()
    page = (out / "search" / "index.html").read_text("utf-8")
    assert 'id="search-results"' in page and 'data-index="/dangjian/search/"' in page


@pytest.mark.parametrize("query", [
    "黨建", "党建", "网格连心", "網格連心", "五单工作法", "5G党建", "5g 党建", "5G", "g党", "abc", "ＡＢＣ", "party",
    "👍", "👍🏻", "👨‍👩‍👧", "𠀀", "cafe\u0301", "fi", "1号", "<script>", '"><img src=x onerror=alert(1)>',
    "哈哈", "哈哈哈", "哈哈哈哈哈哈", "党员党员", "网格连心网格连心", "群众满意率明显提升", "麟湖", "帮帮团",
    "不存在的词语组合", "x" * 500, "五" * 500, "党", "a", "3",
])
def test_python_reference_finds_exactly_the_containing_stories(indexed, query):
    out, site, texts = indexed
    hits = IndexReader(out).query(query)
    assert sorted(h.doc for h in hits) == expected_docs(texts, query)
    for hit in hits:  # counts and title flags are the real ones
        title, text = texts[hit.doc]
        normalized = normalize(query)
        assert hit.title == (normalized in title)
        real = _occurrences(title, normalized) + _occurrences(text, normalized)
        assert 1 <= hit.count <= real
        if len(utf16_units(normalized)) <= 4:
            assert hit.count == real


def test_ranking_is_title_first_then_frequency_then_newest(indexed):
    out, docs, texts = indexed
    hits = IndexReader(out).query("党员")
    keys = [(not h.title, -h.count, -docs[h.doc].date.timestamp(), -h.doc) for h in hits]
    assert keys == sorted(keys) and len(hits) > 3


def test_a_500_character_query_from_a_story_finds_it(indexed):
    out, docs, texts = indexed
    doc = max(range(len(texts)), key=lambda i: len(texts[i][1]))
    query = docs[doc].text.replace("\n", "")[:500]
    assert doc in [h.doc for h in IndexReader(out).query(query)]


# -- the property: any 1–8 character substring finds its story ---------------------------------

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_substring_of_a_story_finds_that_story(indexed, data):
    out, docs, texts = indexed
    reader = _reader(out)
    doc = data.draw(st.integers(0, len(docs) - 1))
    story = docs[doc]
    source = data.draw(st.sampled_from([story.title, story.text]))
    length = data.draw(st.integers(1, 8))
    start = data.draw(st.integers(0, max(0, len(source) - length)))
    query = source[start:start + length]
    found = [h.doc for h in reader.query(query)]
    if searchable(normalize(query)):
        assert doc in found, query
    assert sorted(found) == expected_docs(texts, query)


_READERS: dict = {}


def _reader(out: Path) -> IndexReader:
    if out not in _READERS:
        _READERS[out] = IndexReader(out)
    return _READERS[out]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)
                       .filter(lambda t: t.strip() and "---" not in t), min_size=1, max_size=4),
       data=st.data())
def test_substrings_of_generated_text_find_their_story(tmp_path_factory, bodies, data):
    """Arbitrary Unicode text (any script, emoji, combining marks): build a site, search."""
    root = tmp_path_factory.mktemp("gen")
    files = dict(MINIMAL_SITE)
    files["content/stories/first.md"] = MINIMAL_SITE["content/stories/first.md"]
    for i, body in enumerate(bodies):
        files[f"content/stories/g{i}.md"] = f"---\ntitle: 生成{i}\ndate: 2024-01-0{i + 1}\n---\n\n" + json.dumps(body)
    write_site(root, files)
    from zhuanlan.pipeline import BuildOptions, build

    docs = with_texts(doc_order(build(BuildOptions(root, root / "output", workers=1)).site.stories))
    texts = [(normalize(s.title), normalize(s.text)) for s in docs]
    reader = IndexReader(root / "output")
    for _ in range(5):
        doc = data.draw(st.integers(0, len(docs) - 1))
        text = docs[doc].text
        length = data.draw(st.integers(1, 8))
        start = data.draw(st.integers(0, max(0, len(text) - length)))
        query = text[start:start + length]
        found = sorted(h.doc for h in reader.query(query))
        assert found == expected_docs(texts, query), query
        if searchable(normalize(query)):
            assert doc in found
    shutil.rmtree(root, ignore_errors=True)


# -- the real search.js in Node ---------------------------------------------------------------

TOKEN_FIXTURES = [
    "", "党", "党建", "黨建引領", "网格连心", "五单工作法", "5G党建", "５Ｇ黨建", "Party Building 2023",
    "ＡＢＣ ａｂｃ", "  空格\t和\n换行  ", "，。！？“”", "👍🏻点赞", "👨‍👩‍👧", "𠀀𠀁", "cafe\u0301", "ﬁ①㈱",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "İstanbul ΣΑΣ", "a\u00adb\u200bc",
    "後來發現乾燥", "臺灣", "😀" * 3, "哈哈哈哈",
]


def random_shards() -> list[dict]:
    """Shard files with sparse and dense postings and escaped values, and what they hold."""
    import base64

    import numpy as np

    rng = np.random.default_rng(11)
    out = []
    for _ in range(40):
        n = int(rng.integers(1, 300))
        keys = np.sort(rng.integers(1, 5, n)).astype(np.uint64)
        docs = np.empty(n, np.int64)
        for key in np.unique(keys):
            mine = keys == key
            span = int(mine.sum()) + int(rng.integers(0, 2000))
            docs[mine] = np.sort(rng.choice(span, int(mine.sum()), replace=False)) + int(rng.integers(0, 100_000))
        values = rng.choice([2, 3, 7, 16, 17, 40, 65535], n).astype(np.int64)
        data = encode_shards(np.zeros(n, np.int64), keys, docs, values, 1)[0]
        expected = {str(int(k)): {str(int(d)): int(v) for d, v in zip(docs[keys == k], values[keys == k])}
                    for k in np.unique(keys)}
        out.append({"data": base64.b64encode(data).decode(), "expected": expected})
    return out


def node_cases(indexed, tmp_path) -> Path:
    out, docs, texts = indexed
    reader = IndexReader(out)
    rng = random.Random(7)
    queries = ["", "，。", "黨建", "5G党建", "👍", "x" * 500, "网格连心网格连心", "群众满意率明显提升", "不存在的词语组合",
               "<script>", '"><img onerror=alert(1)>']
    for _ in range(250):  # a sample of the property: substrings of every length 1–8 (and longer)
        story = rng.choice(docs)
        source = rng.choice([story.title, story.text])
        length = rng.randint(1, 12)
        start = rng.randint(0, max(0, len(source) - length))
        queries.append(source[start:start + length])
    entries = []
    for q in queries:
        normalized = normalize(q)
        state = "empty" if not normalized else ("ok" if searchable(normalized) else "punct")
        entries.append({"q": q, "state": state, "expected": expected_docs(texts, q),
                        "ranked": [h.doc for h in reader.query(q)]})
    cases = {
        "shards": random_shards(),
        "drop": [list(r) for r in DROP_RANGES], "punct": [list(r) for r in PUNCT_RANGES],
        "t2s": t2s_table(), "output": str(out), "queries": entries,
        "tokens": [{"text": t, "expected": tokens(t), "searchable": searchable(normalize(t))}
                   for t in TOKEN_FIXTURES],
    }
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(cases, ensure_ascii=False), "utf-8")
    return path


@pytest.mark.parametrize("script", ["theme source", "minified by the build"])
def test_search_js_in_node_agrees_with_python(indexed, tmp_path, script):
    node = shutil.which("node")
    assert node, "Node.js is needed for the search.js tests: apt-get install nodejs (not skipped on purpose)"
    cases = node_cases(indexed, tmp_path)
    env = {"ZL_SEARCH_CASES": str(cases), "PATH": "/usr/bin:/bin"}
    if script == "minified by the build":
        built = indexed[0] / "static" / "js" / "search.js"
        source = REPO / "themes" / "default" / "static" / "js" / "search.js"
        assert built.stat().st_size < source.stat().st_size * 0.75  # comments and spaces are gone
        env["ZL_SEARCH_JS"] = str(built)
    result = subprocess.run([node, "--test", str(REPO / "tests" / "js" / "search.test.js")],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert "# fail 0" in result.stdout and "# pass 4" in result.stdout, result.stdout[-2000:]


def test_theme_scripts_are_es5(indexed, tmp_path):
    """WeChat's in-app browser on old phones runs ES5: no let/const, arrow functions, classes or
    template strings in the theme's scripts, as written and as the build minifies them. A script
    with newer syntax is caught (checked on a copy with one `let`)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the script tests: apt-get install nodejs (not skipped on purpose)"
    sources = sorted((REPO / "themes" / "default" / "static" / "js").glob("*.js"))
    built = [indexed[0] / "static" / "js" / path.name for path in sources]
    assert sources and all(path.is_file() for path in built)
    newer = tmp_path / "newer.js"
    newer.write_text(sources[0].read_text("utf-8") + "\nlet later = 1;\n", "utf-8")
    checker = str(REPO / "tests" / "js" / "es5.js")

    def check(paths):
        return subprocess.run([node, checker, *map(str, paths)], capture_output=True, text=True, timeout=60)

    deck = REPO / "themes" / "default" / "templates" / "deck" / "deck.js"  # inlined into each 展评 deck
    result = check(sources + built + [deck])
    assert result.returncode == 0, result.stdout + result.stderr
    result = check([newer])
    assert result.returncode == 1 and "newer.js" in result.stdout, result.stdout + result.stderr
