"""Deploy benchmark: the 10,000-story site published to moto's S3 server on this machine.

    python benchmarks/bench_deploy.py                # 10,000 stories
    python benchmarks/bench_deploy.py --stories 1000

A first deploy to an empty bucket, a deploy with nothing changed, and a deploy after one story was
edited and the site built again: wall seconds, files uploaded, requests by kind and bytes sent
(counted by the deploy's own S3 client). The one-edit deploy should send only the files that build
wrote, plus one listing request per 1,000 files in the bucket.

The S3 server runs on a fixed loopback port (--port) because the endpoint is part of site.yaml,
and site.yaml is an input of the build a deploy checks it is publishing.
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_build import corpus, edit_one_story  # noqa: E402
from measure import table  # noqa: E402

from zhuanlan.deploy.run import DeployOptions, deploy  # noqa: E402
from zhuanlan.pipeline import BuildOptions, build  # noqa: E402

BUCKET = "bench-site"
MARK = "# bench_deploy target"


def start_moto(port: int, folder: Path) -> subprocess.Popen:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken; choose another with --port")
    log = open(folder / "moto.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("moto's server did not start")


def add_target(site: Path, port: int) -> None:
    """The benchmark's target in the corpus site's site.yaml (once: it is an input of the build)."""
    config = site / "site.yaml"
    text = config.read_text("utf-8").split(MARK)[0].rstrip("\n")
    target = (f"\n{MARK}\n发布:\n  - 名称: bench\n    类型: s3\n    地址: http://127.0.0.1:{port}\n"
              f"    存储桶: {BUCKET}\n    寻址: path\n    删除上限: 100000\n")
    if config.read_text("utf-8") != text + "\n" + target:
        config.write_text(text + "\n" + target, "utf-8")


def built(site: Path) -> int:
    """Build; the number of files the build wrote or removed."""
    result = build(BuildOptions(site_dir=site))
    return result.stats.written + result.stats.removed


def row(phase: str, result, seconds: float, build_changed: int | str) -> list[str]:
    ops = result.counters.operations
    return [phase, str(build_changed), f"{result.uploaded:,}", f"{result.deleted:,}", f"{result.counters.requests:,}",
            f"{ops.get('ListObjectsV2', 0):,}", f"{ops.get('PutObject', 0):,}",
            f"{result.counters.bytes_sent / 1e6:.1f}", f"{seconds:.1f}", f"{result.timings['local']:.1f}",
            f"{result.timings['remote']:.1f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=10000)
    parser.add_argument("--port", type=int, default=45729)
    args = parser.parse_args()
    site = corpus(args.stories)
    add_target(site, args.port)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    built(site)  # the target changed site.yaml: the first time, a whole build
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        server = start_moto(args.port, Path(scratch))
        try:
            import boto3

            boto3.client("s3", endpoint_url=f"http://127.0.0.1:{args.port}", region_name="us-east-1",
                         aws_access_key_id="bench", aws_secret_access_key="bench").create_bucket(Bucket=BUCKET)
            files = sum(1 for p in (site / "output").rglob("*") if p.is_file())
            for phase in ("first", "nothing changed", "one edit"):
                changed: int | str = "—" if phase == "first" else 0
                if phase == "one edit":
                    edit_one_story(site, int(time.time()))
                    changed = built(site)
                started = time.perf_counter()
                result = deploy(DeployOptions(site_dir=site))
                rows.append(row(phase, result, time.perf_counter() - started, changed))
        finally:
            server.terminate()
            server.wait()
    print(f"{args.stories:,} stories, {files:,} files in output/")
    print(table(["deploy", "files the build wrote", "uploaded", "deleted", "requests", "listings", "PUTs",
                 "MB sent", "seconds", "of which: output/", "listing"], rows))


if __name__ == "__main__":
    main()
