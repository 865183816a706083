"""The output writer: atomic, change-only, and clean after failures and crashes."""
from pathlib import Path

from zhuanlan.output import TEMP_SUFFIX, Manifest, Stager


def stager(tmp_path: Path) -> Stager:
    return Stager(tmp_path / "out", Manifest(tmp_path / "cache" / "manifest.json"))


def test_nothing_appears_before_commit_and_unchanged_files_are_not_rewritten(tmp_path):
    first = stager(tmp_path)
    staged = [first.stage_bytes("a/index.html", b"A"), first.stage_bytes("b.txt", b"B")]
    assert not (tmp_path / "out/a/index.html").exists()
    stats = first.commit(staged)
    assert stats.written == 2 and (tmp_path / "out/a/index.html").read_bytes() == b"A"
    mtime = (tmp_path / "out/b.txt").stat().st_mtime_ns

    second = stager(tmp_path)
    staged = [second.stage_bytes("a/index.html", b"A2"), second.stage_bytes("b.txt", b"B")]
    assert staged[1].temp is None
    stats = second.commit(staged)
    assert (stats.written, stats.unchanged) == (1, 1)
    assert (tmp_path / "out/b.txt").stat().st_mtime_ns == mtime


def test_files_no_longer_built_are_removed_with_their_empty_folders(tmp_path):
    first = stager(tmp_path)
    first.commit([first.stage_bytes("old/deep/index.html", b"x"), first.stage_bytes("keep.txt", b"k")])
    (tmp_path / "out/hand-made.txt").write_text("not ours")
    second = stager(tmp_path)
    stats = second.commit([second.stage_bytes("keep.txt", b"k")])
    assert stats.removed == 1
    assert not (tmp_path / "out/old").exists()
    assert (tmp_path / "out/hand-made.txt").exists()  # only files a build made are removed


def test_discard_leaves_the_previous_output_as_it_was(tmp_path):
    first = stager(tmp_path)
    first.commit([first.stage_bytes("a.txt", b"old")])
    second = stager(tmp_path)
    staged = [second.stage_bytes("a.txt", b"new"), second.stage_bytes("new/page/index.html", b"n")]
    second.discard(staged)
    assert (tmp_path / "out/a.txt").read_bytes() == b"old"
    assert not (tmp_path / "out/new").exists()
    assert not list((tmp_path / "out").rglob("*" + TEMP_SUFFIX))


def test_a_killed_build_is_swept_by_the_next(tmp_path):
    crashed = stager(tmp_path)
    crashed.stage_bytes("x/index.html", b"half")  # then the process died: no commit, no discard
    assert list((tmp_path / "out").rglob("*" + TEMP_SUFFIX))
    stager(tmp_path)
    assert not list((tmp_path / "out").rglob("*" + TEMP_SUFFIX))
    assert not (tmp_path / "out/x").exists()
