"""Issue 18, "nothing lost, nothing leaked": every way found of breaking a build as an attacker or a
careless user would, each kept as a regression test."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from conftest import REPO, run_cli, tree_digest, write_site
from zhuanlan import cachepaths
from zhuanlan.output import STOP_ENV, STOP_EXIT, TEMP_SUFFIX, output_refusal
from zhuanlan.render import DEFAULT_THEME
from zhuanlan.serve import serve


# -- files, output and serve --------------------------------------------------------------------
# Items 4–8, 10 and part of 11: the output folder, links out of the site, a copied site, failed
# and killed builds, caches written by other code, the preview server, named pipes and link loops.

def story(title: str, day: int, body: str = "正文。", extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: 2023-05-{day:02d}\ncolumns: [news]\n{extra}---\n{body}\n"


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def clone(site: Path, to: Path) -> Path:
    """What a fresh clone of the site's repository holds: its sources, no output, no cache."""
    shutil.copytree(site, to, ignore=shutil.ignore_patterns("output", ".cache"))
    return to


def age(folder: Path, seconds: int = 60) -> None:
    """Make every file look saved a while ago (a build trusts only stamps older than its margin)."""
    then = time.time() - seconds
    for path in folder.rglob("*"):
        os.utime(path, (then, then), follow_symlinks=False)


def build_quietly(site: Path, *args: str) -> int:
    return run_cli("--site", str(site), "--jobs", "1", *args)


@pytest.fixture
def stories_site(make_site):
    site = make_site({f"content/stories/s{n}.md": story(f"第{n}篇", n) for n in range(1, 5)})
    (site / "content/files").mkdir(parents=True)
    (site / "content/files/report.pdf").write_bytes(b"%PDF-1.4 report")
    (site / "content/stories/s1.md").write_text(story("第1篇", 1, extra="attachments: [../files/report.pdf]\n"),
                                                 "utf-8")
    return site


# item 4: an output folder over the sources ------------------------------------------------------

@pytest.mark.parametrize("output", ["content", "content/stories/out", "themes", ".", "..", ".cache"])
def test_an_output_folder_over_the_sources_is_refused(stories_site, capsys, output):
    (stories_site / "themes").mkdir()
    before = tree_digest(stories_site.parent)
    capsys.readouterr()
    assert build_quietly(stories_site, "--output", str(stories_site / output)) == 1
    err = capsys.readouterr().err
    assert "错误: 输出文件夹" in err and "请换一个专用的文件夹" in err and "Traceback" not in err
    assert tree_digest(stories_site.parent) == before  # nothing written anywhere


def test_a_filesystem_root_or_the_built_in_theme_is_never_an_output_folder(tmp_path):
    site = tmp_path / "site"
    assert "根目录" in output_refusal(Path("/"), site, [site / "content"])
    assert output_refusal(DEFAULT_THEME / "static", site, [DEFAULT_THEME]) is not None
    assert output_refusal(DEFAULT_THEME.parent.parent, site, [DEFAULT_THEME]) is not None  # holds it
    assert output_refusal(tmp_path / "elsewhere", site, [site / "content", DEFAULT_THEME]) is None
    assert output_refusal(site / "output", site, [site / "content"]) is None


def test_only_what_a_manifest_lists_inside_the_output_folder_is_ever_removed(stories_site):
    assert build_quietly(stories_site) == 0
    out = stories_site / "output"
    (out / "stray.txt").write_text("放在 output/ 中的文件，不是生成的")
    victim = stories_site.parent / "victim.txt"
    victim.write_text("output/ 之外的文件")
    (stories_site / "outside.html").write_text("网站文件夹中的文件")
    [manifest] = (stories_site / ".cache").glob("output-*.json")
    data = json.loads(manifest.read_text("utf-8"))
    data["files"].update({"../../victim.txt": "x", "../outside.html": "x", "/etc/hostname": "x",
                          "stories/../../outside.html": "x"})
    manifest.write_text(json.dumps(data), "utf-8")
    (stories_site / "content/stories/s4.md").unlink()  # a build that removes files
    assert build_quietly(stories_site) == 0
    assert not (out / "stories/s4").exists()
    assert (out / "stray.txt").exists() and victim.exists() and (stories_site / "outside.html").exists()


# item 5: links out of the site folder ------------------------------------------------------------

@pytest.fixture
def secret(tmp_path) -> Path:
    folder = tmp_path / "private"
    folder.mkdir()
    key = folder / "id_rsa.pdf"
    key.write_bytes(b"-----BEGIN OPENSSH PRIVATE KEY-----")
    key.chmod(0o600)
    Image.new("RGB", (40, 30), "red").save(folder / "photo.png")
    return folder


def test_a_linked_attachment_or_folder_out_of_the_site_is_refused_at_its_line(stories_site, secret, capsys):
    assert build_quietly(stories_site) == 0
    before = tree_digest(stories_site / "output")
    (stories_site / "content/files/key.pdf").symlink_to(secret / "id_rsa.pdf")
    (stories_site / "content/images").mkdir()
    (stories_site / "content/images/shared").symlink_to(secret, target_is_directory=True)
    write_site(stories_site, {
        "content/stories/leak.md": story("泄露", 9, "正文。\n\n![照片](../images/shared/photo.png)\n\n"
                                                  "[下载](../files/key.pdf)\n",
                                         extra="attachments: [../files/key.pdf]\n")})
    capsys.readouterr()
    assert build_quietly(stories_site) == 1
    err = capsys.readouterr().err
    leak = str(stories_site / "content/stories/leak.md")
    assert f"{leak}:5: 错误: 附件 \"../files/key.pdf\" 是指向网站文件夹之外（{secret / 'id_rsa.pdf'}）的符号链接" in err
    assert f"{leak}:9: 错误: 图片 \"../images/shared/photo.png\" 所在的文件夹 content/images/shared 是指向网站文件夹之外" in err
    assert f"{leak}:11: 错误: 链接 \"../files/key.pdf\" 是指向网站文件夹之外" in err
    assert "content/images/shared: 警告: 这个文件夹是指向网站文件夹之外" in err
    assert tree_digest(stories_site / "output") == before
    assert not any(b"PRIVATE KEY" in data for data in contents(stories_site / "output").values())


def test_linked_stories_and_theme_files_out_of_the_site_are_refused(stories_site, tmp_path, capsys):
    (tmp_path / "private/leak.md").parent.mkdir()
    (tmp_path / "private/leak.md").write_text(story("外面的文章", 3), "utf-8")
    (tmp_path / "private/passwd.txt").write_text("root:x:0:0")
    (stories_site / "content/stories/leak.md").symlink_to(tmp_path / "private/leak.md")
    (stories_site / "themes/mine/static").mkdir(parents=True)
    (stories_site / "themes/mine/static/passwd.txt").symlink_to(tmp_path / "private/passwd.txt")
    (stories_site / "site.yaml").write_text((stories_site / "site.yaml").read_text("utf-8") + "theme: mine\n",
                                            "utf-8")
    capsys.readouterr()
    assert build_quietly(stories_site) == 1
    err = capsys.readouterr().err
    assert f"{stories_site / 'content/stories/leak.md'}: 错误: 这个文件是指向网站文件夹之外" in err
    assert f"{stories_site / 'themes/mine/static/passwd.txt'}: 错误: 主题中的这个文件或文件夹是指向网站文件夹之外" in err
    assert not (stories_site / "output").exists()


def test_links_inside_the_site_folder_are_published(stories_site):
    (stories_site / "shared").mkdir()
    (stories_site / "shared/plan.pdf").write_bytes(b"%PDF-1.4 plan")
    (stories_site / "content/files/plan.pdf").symlink_to(stories_site / "shared/plan.pdf")
    write_site(stories_site, {"content/stories/s2.md": story("第2篇", 2, extra="attachments: [../files/plan.pdf]\n")})
    assert build_quietly(stories_site) == 0
    assert (stories_site / "output/files/plan.pdf").read_bytes() == b"%PDF-1.4 plan"


# item 6: a copied or moved site, and caches written by other code ---------------------------------

def test_a_copied_site_builds_exactly_like_a_fresh_clone(stories_site, tmp_path, capsys):
    write_site(stories_site, {"content/stories/s2.md": story("第2篇", 2, extra="colour: red\n")})  # a warning
    age(stories_site)
    assert build_quietly(stories_site) == 0
    for clean in ((), ("--clean",)):
        copy = tmp_path / f"copy{len(clean)}"
        shutil.copytree(stories_site, copy, symlinks=True)  # output/ and .cache/ too, times kept
        (copy / "content/stories/s4.md").unlink()
        age(copy / "content")
        capsys.readouterr()
        assert build_quietly(copy, *clean) == 0
        err = capsys.readouterr().err
        assert f"{copy / 'content/stories/s2.md'}:5: 警告" in err and str(stories_site) not in err
        fresh = clone(copy, tmp_path / f"fresh{len(clean)}")
        assert build_quietly(fresh) == 0
        assert contents(copy / "output") == contents(fresh / "output")
        capsys.readouterr()
        assert build_quietly(copy) == 0  # nothing changed: the warnings are repeated, naming the copy's files
        out, err = capsys.readouterr()
        assert "没有变化" in out and f"{copy / 'content/stories/s2.md'}:5: 警告" in err
        assert str(stories_site) not in err


def test_a_copied_site_names_its_own_files_in_errors(stories_site, tmp_path, capsys):
    write_site(stories_site, {"content/stories/bad.md": "---\ntitle: 坏\ndate: 2023-02-30\n---\n正文\n"})
    assert build_quietly(stories_site) == 1
    copy = tmp_path / "moved"
    shutil.copytree(stories_site, copy, symlinks=True)
    shutil.rmtree(stories_site)  # moved, not copied
    capsys.readouterr()
    assert build_quietly(copy) == 1
    err = capsys.readouterr().err
    assert f"{copy / 'content/stories/bad.md'}:3: 错误" in err and str(stories_site) not in err


def test_a_manifest_kept_by_an_earlier_version_is_taken_over(stories_site):
    assert build_quietly(stories_site) == 0
    out = stories_site / "output"
    cachepaths.manifest(stories_site, out).rename(cachepaths.legacy_manifest(stories_site, out))
    (stories_site / "content/stories/s4.md").unlink()
    assert build_quietly(stories_site) == 0
    assert not (out / "stories/s4").exists()  # removed: the upgraded build knew it had written it


def _tamper_caches(site: Path) -> None:
    """What another version of the code (or a damaged disk) may leave in every cache."""
    db = sqlite3.connect(site / ".cache/parse.sqlite")
    with db:
        db.execute("UPDATE entries SET light = ? WHERE rel = 'stories/s1.md'", (b"czhuanlan.content\nOldStory\n.",))
        db.execute("UPDATE entries SET body = ? WHERE rel = 'stories/s2.md'", (b"not a pickle",))
        db.execute("""UPDATE entries SET "index" = ? WHERE rel = 'stories/s3.md'""",
                   (b"czhuanlan.search\nStoryGrams\n.",))  # the traceback the lead saw
        db.execute("UPDATE entries SET problems = ? WHERE rel = 'stories/s4.md'", (pickle.dumps(42)[:-1],))
    db.close()
    [manifest] = (site / ".cache").glob("output-*.json")
    data = json.loads(manifest.read_text("utf-8"))
    data["pages"], data["warnings"] = ["not", "a", "mapping"], [["too short"]]
    manifest.write_text(json.dumps(data), "utf-8")
    for state in (site / ".cache").glob("*.search-*.npz"):
        state.write_bytes(b"PK\x03\x04 not a zip")
    (site / ".cache/images/sources.json").write_text('{"images/a.png": 5, "x": [1, "two", null]}', "utf-8")
    db = sqlite3.connect(site / ".cache/qr.sqlite")
    with db:
        db.execute("DROP TABLE codes")
        db.execute("CREATE TABLE codes (key TEXT PRIMARY KEY, svg BLOB, extra INTEGER)")
    db.close()


def test_caches_written_by_other_code_are_only_lost_speed_ups(stories_site, tmp_path):
    (stories_site / "content/images").mkdir()
    Image.new("RGB", (40, 30), "red").save(stories_site / "content/images/a.png")
    write_site(stories_site, {"content/stories/s3.md": story("第3篇", 3, "正文。\n\n![图](../images/a.png)\n")})
    assert build_quietly(stories_site) == 0
    _tamper_caches(stories_site)
    yaml = stories_site / "site.yaml"  # every page, the search index and the feeds made again
    yaml.write_text(yaml.read_text("utf-8").replace("example.gov.cn/dangjian/", "example.gov.cn/dj/"), "utf-8")
    assert build_quietly(stories_site) == 0
    fresh = clone(stories_site, tmp_path / "fresh")
    assert build_quietly(fresh) == 0
    assert contents(stories_site / "output") == contents(fresh / "output")
    assert build_quietly(stories_site) == 0  # and the caches it wrote are good again


# item 7: a failed build leaves no temporary files ---------------------------------------------------

def test_a_build_that_fails_while_writing_leaves_no_temporary_files(stories_site, capsys):
    assert build_quietly(stories_site) == 0
    # A folder where the search update writes its last level's files: a write fails part-way
    # through output/search/, as a full disk would fail it.
    shards = stories_site / "output/search/i4"
    for shard in shards.glob("*.bin"):
        (shards / (shard.name + TEMP_SUFFIX)).mkdir()
    before = tree_digest(stories_site / "output")
    write_site(stories_site, {"content/stories/s3.md": story("第3篇", 3, "改过的正文，搜索索引要更新。")})
    capsys.readouterr()
    assert build_quietly(stories_site) == 1
    err = capsys.readouterr().err
    assert "临时文件已清除" in err and "Traceback" not in err
    assert not [p for p in (stories_site / "output").rglob("*" + TEMP_SUFFIX) if p.is_file()]
    assert tree_digest(stories_site / "output") == before
    for folder in shards.glob("*" + TEMP_SUFFIX):
        folder.rmdir()
    assert build_quietly(stories_site) == 0


# item 8: a build killed while committing --------------------------------------------------------------

def _build_process(site: Path, stop_after: int | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if stop_after is not None:
        env[STOP_ENV] = str(stop_after)
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site), "--jobs", "1"], env=env,
                          capture_output=True, text=True, timeout=300)


def _edit(site: Path) -> None:
    """A change that writes, adds and removes files."""
    (site / "content/stories/s4.md").unlink()
    write_site(site, {"content/stories/s2.md": story("第2篇（改）", 2, "改过的正文。"),
                      "content/stories/s5.md": story("第5篇", 5, "新的文章。")})


def test_a_build_killed_while_committing_is_finished_by_the_next_start(stories_site, tmp_path):
    assert build_quietly(stories_site) == 0
    old = contents(stories_site / "output")
    saved = tmp_path / "saved"  # the sources as they were, times kept (an editor's undo)
    shutil.copytree(stories_site / "content", saved)
    edited = tmp_path / "edited"
    shutil.copytree(stories_site, edited, symlinks=True)
    _edit(edited)
    complete = _build_process(edited)  # what the killed builds would have done
    assert complete.returncode == 0
    new = contents(edited / "output")
    written, removed = (int(complete.stdout.split(word)[1].split(" 个")[0]) for word in ("写入 ", "删除 "))
    assert written > 10 and removed > 0
    for stop in (0, 1, written // 2, written, written + removed):
        site = tmp_path / f"killed{stop}"
        shutil.copytree(stories_site, site, symlinks=True)
        _edit(site)
        killed = _build_process(site, stop)
        assert killed.returncode == STOP_EXIT, killed.stderr
        assert list((site / ".cache").glob("*.commit"))  # the journal was left behind
        if 0 < stop < written + removed:
            assert contents(site / "output") not in (old, new)  # a mix, until the next start
        # the editor undoes the change: the next build must still start from one whole build
        shutil.rmtree(site / "content")
        shutil.copytree(saved, site / "content")
        assert build_quietly(site) == 0, stop
        assert contents(site / "output") == old, stop
        # and redoes it
        _edit(site)
        assert build_quietly(site) == 0, stop
        assert contents(site / "output") == new, stop
        assert not list((site / "output").rglob("*" + TEMP_SUFFIX)) and not list((site / ".cache").glob("*.commit"))


# item 10: the preview server --------------------------------------------------------------------------

@pytest.fixture
def preview(make_site):
    site = make_site()
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(site, "127.0.0.1", 0, 1), kwargs={"ready": ready, "stop": stop},
                              daemon=True)
    thread.start()
    assert ready.wait(60)
    yield ready.port
    stop.set()
    thread.join(10)


def _status(port: int, path: str, method: str = "GET") -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def test_every_request_gets_an_answer_and_no_traceback(preview, capfd):
    long = "长" * 90  # 270 bytes in UTF-8: longer than any file name may be
    cases = {"/dangjian/%00": 400, "/dangjian/stories/%00first/": 400, "/dangjian/" + "a" * 300: 414,
             f"/dangjian/stories/{long}/": 414, "/dangjian/stories/" + "b" * 255 + "/": 404,
             "/dangjian/stories/first/": 200}
    for path, status in cases.items():
        for method in ("GET", "HEAD"):
            assert _status(preview, path, method).split(" ")[1] == str(status), (method, path)
    assert "Traceback" not in capfd.readouterr().err


def test_a_burst_of_200_requests_is_answered_in_full(preview):
    """All connect at once: a listen queue of 5 (socketserver's default) dropped most of them, to be
    retried a second later or never (a phone's browser gives up)."""
    sockets = []
    for _ in range(200):
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", preview))
        sockets.append(sock)
    time.sleep(0.3)  # the handshakes are the kernel's: made at once when the queue has room
    for sock in sockets:
        sock.setblocking(True)
        sock.settimeout(0.5)
        sock.sendall(b"GET /dangjian/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    answered = 0
    for sock in sockets:
        sock.settimeout(30)
        if sock.recv(16).startswith(b"HTTP/1.1 200"):
            answered += 1
        sock.close()
    assert answered == 200


# item 11: a named pipe and a link loop in content/ ----------------------------------------------------

def test_a_named_pipe_is_skipped_with_a_warning_not_read(stories_site):
    os.mkfifo(stories_site / "content/stories/pipe.md")
    os.mkfifo(stories_site / "content/files/pipe.pdf")
    done = _build_process(stories_site)  # a process, so that a hang fails the test rather than the run
    assert done.returncode == 0, done.stderr
    assert f"{stories_site / 'content/stories/pipe.md'}: 警告: 这不是普通文件" in done.stderr


def test_a_folder_link_loop_is_named_once_and_skipped(stories_site, capsys):
    (stories_site / "content/stories/2023").mkdir()
    (stories_site / "content/stories/2023/loop").symlink_to("..", target_is_directory=True)
    capsys.readouterr()
    assert build_quietly(stories_site) == 0
    err = capsys.readouterr().err
    assert err.count("错误") == 0 and err.count("形成循环") == 1
    assert f"{stories_site / 'content/stories/2023/loop'}: 警告: 这个文件夹链接指向它自己的上级文件夹" \
           f"（{stories_site / 'content/stories'}），形成循环" in err
