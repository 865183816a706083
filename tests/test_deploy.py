"""`python build.py deploy` against real servers started here: moto's S3 server, OpenSSH's sshd, a folder."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from datetime import datetime
from pathlib import Path
from textwrap import dedent

import pytest

import deploy_servers as servers
import imagefiles
from conftest import MINIMAL_SITE, REPO, run_cli, write_site
from deploy_servers import bucket_md5s, md5s, puts

from zhuanlan.config.secrets import secret_keys
from zhuanlan.deploy import plan as plans
from zhuanlan.deploy.local import LocalFile
from zhuanlan.deploy.remote import MANIFEST_NAME, DeployError

STORY = """\
---
title: 第{n}篇
date: 2022-03-{day:02d} 09:30
columns: [news]
tags: [标签{n}]
{more}
---
第{n}篇的正文。{text}
"""


def story(n: int, text: str = "", more: str = "") -> str:
    return STORY.format(n=n, day=10 + n, text=text, more=more)


SITE = {
    "content/stories/s1.md": story(1, more="cover: ../images/c1.jpg\nattachments: [../files/通知.pdf]"),
    "content/stories/s2.md": story(2),
    "content/stories/s3.md": story(3),
    "content/stories/s4.md": story(4),
    "content/images/c1.jpg": imagefiles.jpeg(800, 600),
    "content/files/通知.pdf": b"%PDF-1.4\n% test attachment\n",
}


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No key, agent, known_hosts or keyring of the machine's user takes part."""
    import keyring

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for name in ("SSH_AUTH_SOCK", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    secrets: dict[str, str] = {}
    previous = keyring.get_keyring()
    keyring.set_keyring(servers.FileKeyring(secrets))
    yield secrets
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    shut, server = servers.start_moto(tmp_path_factory.mktemp("moto"))
    yield server
    shut()


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    process, server = servers.start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    servers.stop(process)


@pytest.fixture
def bucket(s3, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret)
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    return name


def s3_target(s3, bucket: str, extra: str = "") -> str:
    return f"""\
        发布:
          - 名称: oss
            类型: s3
            地址: {s3.endpoint}
            存储桶: {bucket}
            路径: dangjian/
            寻址: path
        {extra}"""


def sftp_target(sshd, remote: Path, key: Path | str | None = None, known: Path | str | None = None,
                more: str = "") -> str:
    """An SFTP target; key/known "" leave 私钥文件/已知主机 out (the defaults in ~/.ssh then)."""
    key = sshd.client_key if key is None else key
    known = sshd.known_hosts if known is None else known
    lines = ["发布:", "  - 名称: 服务器", "    类型: sftp", "    主机: 127.0.0.1", f"    端口: {sshd.port}",
             f"    用户: {sshd.user}", f"    路径: {remote}"]
    lines += [f"    私钥文件: {key}"] if key else []
    lines += [f"    已知主机: {known}"] if known else []
    lines += [f"    {line}" for line in more.split("\n") if line]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    """MINIMAL_SITE and SITE, built once for the module."""
    site = write_site(tmp_path_factory.mktemp("built") / "site", dict(MINIMAL_SITE, **SITE))
    build(site)
    return site


@pytest.fixture
def site_copy(built_site, tmp_path):
    """site_copy(files) → a copy of the built site with `files` written over it, its caches kept (not
    its output/): a test's first build of it parses only what the test changed and encodes no image."""

    def copy(files: dict) -> Path:
        site = tmp_path / "site"
        shutil.copytree(built_site, site, ignore=shutil.ignore_patterns("output"))
        return write_site(site, files)

    return copy


def make_deploy_site(site_copy, targets: str, files: dict | None = None) -> Path:
    extra = dict(files or {})
    extra["site.yaml"] = dedent(MINIMAL_SITE["site.yaml"]) + dedent(targets)
    site = site_copy(extra)
    build(site)
    return site


def build(site: Path) -> None:
    assert run_cli("--site", str(site), "--jobs", "1") == 0


def deploy(site: Path, *args: str) -> int:
    return run_cli("deploy", "--site", str(site), *args)


def deploy_process(site: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "deploy", "--site", str(site), *args],
                          capture_output=True, text=True, env=env or dict(os.environ), timeout=120)


# -- S3 ---------------------------------------------------------------------------------------

def test_s3_first_deploy_types_and_caching_then_one_edit_then_nothing(site_copy, s3, bucket, capsys):
    site = make_deploy_site(site_copy, s3_target(s3, bucket))
    capsys.readouterr()
    assert deploy(site) == 0
    out = capsys.readouterr().out
    local = md5s(site / "output")
    assert bucket_md5s(s3, bucket) == local  # the server's MD5 of each object is the file's
    assert f"上传 {len(local)} 个" in out and "删除 0 个、未变 0 个" in out
    client = s3.client()
    image = next(rel for rel in local if rel.startswith("images/") and rel.endswith(".webp"))
    expected = {
        "index.html": ("text/html; charset=utf-8", plans.CACHE_SHORT),
        "stories/s1/index.html": ("text/html; charset=utf-8", plans.CACHE_SHORT),
        "static/css/site.css": ("text/css; charset=utf-8", plans.CACHE_SHORT),
        "static/js/reader.js": ("text/javascript; charset=utf-8", plans.CACHE_SHORT),
        "feed.xml": ("application/xml; charset=utf-8", plans.CACHE_SHORT),
        "search/meta.json": ("application/json; charset=utf-8", plans.CACHE_SHORT),
        "robots.txt": ("text/plain; charset=utf-8", plans.CACHE_SHORT),
        image: ("image/webp", plans.CACHE_LONG),
        "files/通知.pdf": ("application/pdf", plans.CACHE_MEDIUM),
    }
    for rel, (kind, caching) in expected.items():
        head = client.head_object(Bucket=bucket, Key="dangjian/" + rel)
        assert (head["ContentType"], head["CacheControl"]) == (kind, caching), rel
        assert head["Metadata"]["md5"] == local[rel]
    assert client.get_object(Bucket=bucket, Key="dangjian/files/通知.pdf")["Body"].read() == \
        SITE["content/files/通知.pdf"]

    (site / "content/stories/s2.md").write_text(story(2, text="补记：又走访了三户。"), "utf-8")
    build(site)
    after = md5s(site / "output")
    changed = {rel for rel in after if local.get(rel) != after[rel]}
    assert changed and len(changed) < len(after) / 2
    s3.start_recording()
    capsys.readouterr()
    assert deploy(site) == 0
    requests = s3.requests()
    assert sorted(puts(requests, bucket)) == sorted(changed)  # only what the build changed
    listings = [path for method, path in requests if method == "GET" and "list-type=2" in path]
    assert len(listings) == 1 and len(requests) == len(changed) + 1
    assert f"上传 {len(changed)} 个" in capsys.readouterr().out
    assert bucket_md5s(s3, bucket) == after

    s3.start_recording()
    assert deploy(site) == 0
    assert [method for method, _ in s3.requests()] == ["GET"]
    assert "没有变化" in capsys.readouterr().out


def test_s3_upload_order_seen_by_the_server_and_deleted_story_gone(site_copy, s3, bucket):
    site = make_deploy_site(site_copy, s3_target(s3, bucket))
    assert deploy(site) == 0
    before = md5s(site / "output")
    (site / "content/stories/s4.md").unlink()
    (site / "content/stories/s5.md").write_text(story(5), "utf-8")
    (site / "content/stories/s2.md").write_text(story(2, text="改了一句。"), "utf-8")
    build(site)
    s3.start_recording()
    assert deploy(site) == 0
    prefix = f"/{bucket}/dangjian/"
    tiers: dict[int, list] = {}
    for request in s3.recorded():
        if request.method == "PUT" and request.path.startswith(prefix):
            rel = urllib.parse.unquote(request.path[len(prefix):])
            tiers.setdefault(plans.tier(rel, new=rel not in before), []).append(request)
    assert sorted(tiers) == [0, 1, 2, 3]  # assets, new pages, changed pages, home/feeds/sitemap
    deletes = [r for r in s3.recorded() if r.method == "POST" and "delete" in r.path]
    steps = [tiers[0], tiers[1], tiers[2], tiers[3], deletes]
    for earlier, later in zip(steps, steps[1:]):  # as the server saw them: one step answered before the next began
        assert max(r.answered for r in earlier) < min(r.arrived for r in later)
    remote = bucket_md5s(s3, bucket)
    assert "stories/s4/index.html" not in remote and "stories/s5/index.html" in remote
    assert remote == md5s(site / "output")


def test_s3_dry_run_changes_nothing_and_the_deletion_limit_needs_yes(site_copy, s3, bucket, capsys):
    site = make_deploy_site(site_copy, s3_target(s3, bucket).replace("寻址: path", "寻址: path\n            删除上限: 1"))
    assert deploy(site) == 0
    before = bucket_md5s(s3, bucket)
    for n in (3, 4):
        (site / f"content/stories/s{n}.md").unlink()
    (site / "content/stories/s2.md").write_text(story(2, text="新的一句。"), "utf-8")
    build(site)
    s3.start_recording()
    capsys.readouterr()
    assert deploy(site, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "没有改动任何文件" in out and "更新 stories/s2/index.html" in out and "删除 stories/s3/index.html" in out
    assert "超过删除上限 1 个" in out
    assert deploy(site) == 1
    err = capsys.readouterr().err
    assert "超过删除上限 1 个" in err and "--yes" in err and "没有做任何改动" in err
    assert [method for method, _ in s3.requests()] == ["GET", "GET"]  # two listings, nothing else
    assert bucket_md5s(s3, bucket) == before
    assert deploy(site, "--yes") == 0
    assert bucket_md5s(s3, bucket) == md5s(site / "output")


def test_s3_failure_half_way_then_the_same_command_finishes(site_copy, s3, bucket, monkeypatch, capsys):
    from zhuanlan.deploy.s3 import S3Target

    site = make_deploy_site(site_copy, s3_target(s3, bucket))
    real_put, calls = S3Target.put, []

    def put_then_fail(self, upload, source):  # the network goes away after five files
        calls.append(upload.rel)
        if len(calls) > 5:
            raise DeployError("无法连接到服务器（测试中断）")
        return real_put(self, upload, source)

    monkeypatch.setattr(S3Target, "put", put_then_fail)
    capsys.readouterr()
    assert deploy(site) == 1
    err = capsys.readouterr().err
    assert "发布失败：无法连接到服务器（测试中断）" in err and "已上传 5 个文件" in err and "Traceback" not in err
    held = bucket_md5s(s3, bucket)
    assert len(held) == 5 and all(plans.tier(rel, True) == 0 for rel in held)  # assets first: no page yet
    monkeypatch.setattr(S3Target, "put", real_put)
    s3.start_recording()
    assert deploy(site) == 0
    local = md5s(site / "output")
    assert len(puts(s3.requests(), bucket)) == len(local) - 5  # nothing that is already there
    assert bucket_md5s(s3, bucket) == local


def test_s3_keys_from_the_keyring(site_copy, s3, bucket, isolated, monkeypatch):
    site = make_deploy_site(site_copy, s3_target(s3, bucket))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    isolated["zhuanlan/oss:AWS_ACCESS_KEY_ID"] = "AKIAFROMKEYRING"
    isolated["zhuanlan/oss:AWS_SECRET_ACCESS_KEY"] = "secret-from-keyring"
    s3.start_recording()
    assert deploy(site, "--dry-run") == 0
    signed = {request.headers["Authorization"].split("Credential=")[1].split("/")[0] for request in s3.recorded()}
    assert signed == {"AKIAFROMKEYRING"}


def test_s3_wrong_key_unreachable_endpoint_and_missing_keys(site_copy, tmp_path_factory, monkeypatch, capsys):
    shut, checking = servers.start_moto(tmp_path_factory.mktemp("moto-auth"), auth=True)
    try:
        checking.client().create_bucket(Bucket="signed-site")
        # moto checks signatures wrongly for a listing prefix with "/" in it: list the whole bucket
        site = make_deploy_site(site_copy, s3_target(checking, "signed-site").replace("路径: dangjian/", "路径: /"))
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", checking.key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
        result = deploy_process(site)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "访问密钥（AWS_SECRET_ACCESS_KEY）不对" in result.stderr
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTISSUED")
        capsys.readouterr()
        assert deploy(site) == 1
        assert "访问密钥 ID（AWS_ACCESS_KEY_ID）不对" in capsys.readouterr().err
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", checking.key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", checking.secret)
        assert deploy(site, "--dry-run") == 0  # the right key passes the same server's check
    finally:
        shut()
    closed = f"http://127.0.0.1:{servers.free_port()}"
    (site / "site.yaml").write_text((site / "site.yaml").read_text("utf-8").replace(checking.endpoint, closed), "utf-8")
    build(site)
    capsys.readouterr()
    assert deploy(site) == 1
    assert f"无法连接到 {closed}" in capsys.readouterr().err
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert deploy(site) == 1
    err = capsys.readouterr().err
    assert "没有找到存储桶" in err and "python -m keyring set zhuanlan oss:AWS_SECRET_ACCESS_KEY" in err


# -- SFTP -------------------------------------------------------------------------------------

def test_sftp_deploy_edit_and_delete_in_order_leaving_other_files_alone(site_copy, sshd, tmp_path):
    remote = tmp_path / "www"
    remote.mkdir()
    (remote / "MP_verify_abc.txt").write_text("not ours")  # put there by someone else
    site = make_deploy_site(site_copy, sftp_target(sshd, remote))
    assert deploy(site) == 0
    assert md5s(remote) == dict(md5s(site / "output"), **{"MP_verify_abc.txt": md5s(remote)["MP_verify_abc.txt"]})
    (site / "content/stories/s4.md").unlink()
    (site / "content/stories/s5.md").write_text(story(5), "utf-8")
    (site / "content/stories/s2.md").write_text(story(2, text="改了一句。"), "utf-8")
    before = md5s(site / "output")
    build(site)
    after = md5s(site / "output")
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    started = time.time_ns()
    assert deploy(site) == 0
    assert md5s(remote) == dict(after, **{"MP_verify_abc.txt": hashlib.md5(b"not ours").hexdigest()})
    assert not (remote / "stories/s4").exists()  # its folder too
    # The server's clock: each file became visible (renamed into place) in the planned order.
    placed = {rel: (remote / rel).stat().st_ctime_ns for rel in after if (remote / rel).stat().st_ctime_ns >= started}
    assert set(placed) == changed
    tiers: dict[int, list[int]] = {}
    for rel, when in placed.items():
        tiers.setdefault(plans.tier(rel, new=rel not in before), []).append(when)
    assert sorted(tiers) == [0, 1, 2, 3]
    for lower, upper in zip(sorted(tiers), sorted(tiers)[1:]):
        assert max(tiers[lower]) <= min(tiers[upper])


def test_sftp_deploy_killed_half_way_resumes_without_uploading_again(site_copy, sshd, tmp_path, capsys):
    remote = tmp_path / "www"
    many = {f"content/stories/m{n}.md": story(n % 20 + 1, text=f"第{n}个。") for n in range(40)}
    site = make_deploy_site(site_copy, sftp_target(sshd, remote, more="并发: 1"), many)
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "deploy", "--site", str(site)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        found = list((site / ".cache").glob("deploy-*.journal"))
        if found and found[0].read_text("utf-8").count("\n+\t") >= 20:
            journal = found[0]
            break
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert journal is not None, "the deploy ended before it could be killed"
    done = journal.read_text("utf-8").count("\n+\t")
    total = len(md5s(site / "output"))
    assert done < total and not (remote / MANIFEST_NAME).exists()
    capsys.readouterr()
    assert deploy(site) == 0
    assert f"上传 {total - done} 个" in capsys.readouterr().out
    assert md5s(remote) == md5s(site / "output")
    assert not list(remote.rglob("*.zhuanlan-tmp")) and not journal.exists()


def test_sftp_login_through_the_ssh_agent(site_copy, sshd, tmp_path, monkeypatch):
    remote = tmp_path / "www"
    targets = sftp_target(sshd, remote, key="")
    site = make_deploy_site(site_copy, targets)
    assert deploy(site) == 1  # no key in ~/.ssh, no agent
    agent, sock = servers.start_agent(tmp_path, sshd.client_key)
    try:
        monkeypatch.setenv("SSH_AUTH_SOCK", sock)
        assert deploy(site) == 0
    finally:
        servers.stop(agent)
    assert md5s(remote) == md5s(site / "output")


def test_sftp_unknown_host_is_refused_with_its_fingerprint_and_the_line_that_trusts_it(site_copy, sshd, tmp_path):
    remote = tmp_path / "www"
    known = tmp_path / "home/.ssh/known_hosts"
    site = make_deploy_site(site_copy, sftp_target(sshd, remote, known=""))
    result = deploy_process(site)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "无法确认服务器" in result.stderr and sshd.fingerprint() in result.stderr
    assert sshd.host_line() in result.stderr and str(known) in result.stderr
    assert not remote.exists()
    known.parent.mkdir(parents=True)
    known.write_text(sshd.host_line() + "\n")  # what the message says to do
    assert deploy_process(site).returncode == 0
    assert md5s(remote) == md5s(site / "output")


def test_sftp_changed_host_key_wrong_key_and_unreachable_host(site_copy, sshd, tmp_path, capsys):
    remote = tmp_path / "www"
    impostor = tmp_path / "known_hosts"
    other = servers.keygen(tmp_path / "other_host_key").with_suffix(".pub").read_text().split()[:2]
    impostor.write_text(f"[127.0.0.1]:{sshd.port} {' '.join(other)}\n")
    site = make_deploy_site(site_copy, sftp_target(sshd, remote, known=impostor))
    result = deploy_process(site)  # a real process: a Chinese message, exit 1, no traceback
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "与 " in result.stderr and "中记录的不同" in result.stderr and "可能有人冒充服务器" in result.stderr
    cases = [
        (sftp_target(sshd, remote, key=sshd.stranger_key), f"以用户 {sshd.user} 登录服务器 127.0.0.1:{sshd.port} 失败"),
        (sftp_target(sshd, remote).replace(f"端口: {sshd.port}", f"端口: {servers.free_port()}"), "拒绝连接"),
        (sftp_target(sshd, remote, key=tmp_path / "no_such_key"), "找不到私钥文件"),
    ]
    for targets, message in cases:
        (site / "site.yaml").write_text(dedent(MINIMAL_SITE["site.yaml"]) + targets, "utf-8")
        build(site)
        capsys.readouterr()
        assert deploy(site) == 1
        assert message in capsys.readouterr().err
    assert not remote.exists()


# -- folder -----------------------------------------------------------------------------------

def test_folder_target_copies_updates_deletes_keeps_what_is_not_its_and_force_copies_all(site_copy, tmp_path, capsys):
    usb = tmp_path / "usb"
    usb.mkdir()
    targets = f"""\
        deploy:
          - name: U盘
            type: folder
            path: {usb / 'dangjian'}
            保留: [notes/]
        """
    site = make_deploy_site(site_copy, targets)
    assert deploy(site, "--dry-run") == 0
    assert not (usb / "dangjian").exists()
    assert deploy(site) == 0
    assert md5s(usb / "dangjian") == md5s(site / "output")
    (usb / "dangjian/notes").mkdir()
    (usb / "dangjian/notes/readme.txt").write_text("mine")
    (site / "content/stories/s3.md").unlink()
    build(site)
    capsys.readouterr()
    assert deploy(site) == 0
    assert "删除 " in capsys.readouterr().out
    assert md5s(usb / "dangjian") == dict(md5s(site / "output"), **{"notes/readme.txt": hashlib.md5(b"mine").hexdigest()})
    assert not (usb / "dangjian/stories/s3").exists()
    capsys.readouterr()
    assert deploy(site) == 0
    assert "没有变化" in capsys.readouterr().out
    assert deploy(site, "--force") == 0
    assert f"上传 {len(md5s(site / 'output'))} 个" in capsys.readouterr().out
    inside = targets.replace(str(usb / "dangjian"), str(site / "output" / "copy"))
    (site / "site.yaml").write_text(dedent(MINIMAL_SITE["site.yaml"]) + dedent(inside), "utf-8")
    build(site)
    capsys.readouterr()
    assert deploy(site) == 1
    assert "与输出文件夹" in capsys.readouterr().err


# -- refusals ---------------------------------------------------------------------------------

def test_refuses_without_a_successful_build_of_the_current_sources(make_site, tmp_path, capsys):
    usb = tmp_path / "usb"
    targets = f"发布:\n  - 名称: U盘\n    类型: folder\n    路径: {usb}\n"
    extra = dict(SITE, **{"site.yaml": dedent(MINIMAL_SITE["site.yaml"]) + targets})
    site = make_site(extra)

    def refused(why: str) -> None:
        capsys.readouterr()
        assert deploy(site) == 1
        err = capsys.readouterr().err
        assert why in err and "请先运行 python build.py" in err, err
        assert not usb.exists() or not any(usb.iterdir())

    refused("还没有成功生成过")
    build(site)
    (site / "content/stories/s2.md").write_text(story(2, text="没生成就发布。"), "utf-8")
    refused("又有改动")
    (site / "content/stories/s2.md").write_text("---\ntitle: 缺日期\n---\n", "utf-8")
    assert run_cli("--site", str(site)) == 1
    refused("最近一次生成失败了")
    (site / "content/stories/s2.md").write_text(story(2), "utf-8")
    assert run_cli("--site", str(site), "--drafts") == 0
    capsys.readouterr()
    assert deploy(site) == 1
    assert "草稿" in capsys.readouterr().err
    build(site)
    (site / "output/about.html").write_text("edited by hand")
    os.remove(site / "output/feed.xml")
    capsys.readouterr()
    assert deploy(site) == 1
    err = capsys.readouterr().err
    assert "feed.xml: 错误: 这个文件不见了" in err
    build(site)
    assert deploy(site) == 0
    assert md5s(usb) == md5s(site / "output")


def test_refuses_when_a_scheduled_story_became_due_after_the_build(site_copy, tmp_path, capsys):
    from zhuanlan.deploy.run import DeployOptions, deploy as deploy_now
    from zhuanlan.pipeline import BuildOptions, build as build_at

    usb = tmp_path / "usb"
    site = make_deploy_site(site_copy, f"发布:\n  - 名称: U盘\n    类型: folder\n    路径: {usb}\n")
    build_at(BuildOptions(site, workers=1, now=datetime(2022, 3, 12, 12)))  # s3 and s4 are dated later: held back
    assert not (site / "output/stories/s3").exists()
    capsys.readouterr()
    assert deploy(site) == 1  # the clock is past 2022-03-13 09:30: that build no longer shows the site as it is
    err = capsys.readouterr().err
    assert "定时发布的文章 2022-03-13 09:30 到了发布时间，上一次生成在那之前，还没有包含它。请先运行 python build.py" in err
    assert not usb.exists()
    deploy_now(DeployOptions(site, now=datetime(2022, 3, 13, 9, 29)))  # before it was due, that build is the site
    assert md5s(usb) == md5s(site / "output")
    build(site)
    assert deploy(site) == 0
    assert (usb / "stories/s4/index.html").exists() and md5s(usb) == md5s(site / "output")


def test_a_secret_in_site_yaml_is_refused_at_its_line(site_copy, tmp_path):
    targets = f"发布:\n  - 名称: U盘\n    类型: folder\n    路径: {tmp_path / 'usb'}\n"
    site = make_deploy_site(site_copy, targets)  # built before the secret was written in
    with (site / "site.yaml").open("a", encoding="utf-8") as handle:
        handle.write("    password: hunter2\n")
    line = (site / "site.yaml").read_text("utf-8").split("\n").index("    password: hunter2") + 1
    result = deploy_process(site)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"site.yaml:{line}: 错误: “password”像是密码或密钥" in result.stderr
    assert not (tmp_path / "usb").exists()


def test_secret_keys_are_found_at_any_depth_and_nowhere_else():
    text = dedent("""\
        title: 测试
        # password: 写在注释里的不算
        footer:
          联系方式: 0571-1
        发布:
          - 名称: oss
            AccessKeySecret: abc
            aws_access_key_id: AKIA
          - 名称: 服务器
            私钥文件: ~/.ssh/id_ed25519
            "登录密码": x
        api-token: y
        key: |
          -----BEGIN OPENSSH PRIVATE KEY-----
        """)
    assert secret_keys(text) == [(7, "AccessKeySecret"), (8, "aws_access_key_id"), (11, "登录密码"), (12, "api-token"),
                                 (14, "PRIVATE KEY")]


def test_target_mistakes_are_reported_at_their_lines_by_the_build_and_the_deploy(make_site, capsys):
    targets = dedent("""\
        发布:
          - 名称: oss
            类型: oss
            地址: oss-cn-hangzhou.aliyuncs.com
          - 名称: 服务器
            类型: ftp
          - 名称: 机房
            类型: sftp
            主机: 127.0.0.1
            端口: 七十
            路径: /var/www/
            存储桶: x
        """)
    site = make_site(dict(SITE, **{"site.yaml": dedent(MINIMAL_SITE["site.yaml"]) + targets}))
    first = len(dedent(MINIMAL_SITE["site.yaml"]).split("\n"))  # line of 发布:
    for command in (["--site", str(site)], ["deploy", "--site", str(site)]):  # one declaration, one set of rules
        capsys.readouterr()
        assert run_cli(*command) == 1
        err = capsys.readouterr().err
        assert f"site.yaml:{first + 3}: 错误: 地址 \"oss-cn-hangzhou.aliyuncs.com\" 应是完整网址" in err
        assert f"site.yaml:{first + 1}: 错误: 发布目标“oss”缺少存储桶" in err
        assert f"site.yaml:{first + 5}: 错误: 类型 \"ftp\" 应是 s3、sftp、folder" in err
        assert f"site.yaml:{first + 9}: 错误: 端口应是整数，而不是 \"七十\"" in err
        assert f"site.yaml:{first + 6}: 错误: 发布目标“机房”缺少用户" in err
        assert f"site.yaml:{first + 11}: 警告: 存储桶只用于对象存储" in err
        assert "Traceback" not in err
    assert not (site / "output").exists()


def test_unknown_target_name_lists_the_names(site_copy, tmp_path, capsys):
    targets = f"发布:\n  - 名称: U盘\n    类型: folder\n    路径: {tmp_path / 'usb'}\n"
    site = make_deploy_site(site_copy, targets)
    capsys.readouterr()
    assert deploy(site, "--target", "u盘") == 1
    assert "没有名为“u盘”的发布目标（可选: U盘）" in capsys.readouterr().err


# -- the plan ---------------------------------------------------------------------------------

def test_plan_orders_assets_new_pages_changed_pages_entry_points_and_skips_what_the_target_holds():
    def local(*rels: str) -> dict[str, LocalFile]:
        return {rel: LocalFile(rel, 10, hashlib.md5(rel.encode()).hexdigest()) for rel in rels}

    files = local("index.html", "feed.xml", "columns/a/feed.xml", "sitemap.xml", "robots.txt", "search/meta.json",
                  "search/fold/1.json", "stories/new/index.html", "stories/old/index.html", "images/a.0123456789.webp",
                  "static/css/site.css", "stories/same/index.html")
    remote = {"stories/old/index.html": "0" * 32, "stories/same/index.html": files["stories/same/index.html"].md5,
              "stories/gone/index.html": "1" * 32, "images/gone.0123456789.webp": "2" * 32,
              "MP_verify_x.txt": "3" * 32, "index.html": ""}
    made = plans.make_plan(files, remote, keep=("MP_verify_*.txt",))
    assert [sorted(u.rel for u in tier) for tier in made.tiers] == [
        ["images/a.0123456789.webp", "search/fold/1.json", "static/css/site.css"],
        ["stories/new/index.html"],
        ["stories/old/index.html"],
        ["columns/a/feed.xml", "feed.xml", "index.html", "robots.txt", "search/meta.json", "sitemap.xml"],
    ]
    assert made.deletions == ["stories/gone/index.html", "images/gone.0123456789.webp"]  # pages first
    assert made.kept == ["MP_verify_x.txt"] and made.unchanged == 1
    assert len(plans.make_plan(files, remote, force=True).uploads) == len(files)
    assert plans.cache_control("images/a.0123456789.webp") == plans.CACHE_LONG
    assert plans.content_type("search/i1/0.bin") == "application/octet-stream"
    assert plans.content_type("images/logo.0123456789.svg") == "image/svg+xml"
