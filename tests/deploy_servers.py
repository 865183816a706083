"""Real servers for the deploy tests, each on a free loopback port and stopped at the end:
moto's standalone S3 server behind a proxy that records the requests in the order they were served
(one of them checking request signatures against a key it issued) and OpenSSH's
sshd (a throwaway host key, an authorised client key, a known_hosts that trusts the host), and an
ssh-agent. `.ci/run` installs them (moto[server], Debian's openssh-server)."""
from __future__ import annotations

import contextlib
import hashlib
import getpass
import http.client
import http.server
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} in {seconds} s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Forwards each request to moto and notes it, with when it arrived and when it was answered."""

    protocol_version = "HTTP/1.1"
    upstream = 0
    log: list = []
    lock = threading.Lock()
    clock = itertools.count()
    local = threading.local()

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        arrived = next(self.clock)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=60)
        connection.request(self.command, self.path, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        self.send_response_only(answer.status, answer.reason)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", answer.getheader("Content-Length", "0") if self.command == "HEAD"
                         else str(len(data)))
        with self.lock:  # before the client has its answer, so that it is in the log when the client goes on
            self.log.append(Request(self.command, self.path, dict(self.headers), arrived, next(self.clock)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

    def log_message(self, *args) -> None:
        pass


@dataclass
class Request:
    method: str
    path: str  # with the query
    headers: dict
    arrived: int  # a counter shared by all requests: arrivals and answers in the order they happened
    answered: int


@dataclass
class S3Server:
    endpoint: str  # the recording proxy in front of moto
    key_id: str
    secret: str
    log: list

    def client(self, secret: str | None = None):
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=self.key_id,
                            aws_secret_access_key=secret or self.secret,
                            config=Config(s3={"addressing_style": "path"}))

    def start_recording(self) -> None:
        self.log.clear()

    def recorded(self) -> list[Request]:
        """Every request the server received since start_recording, in the order they were answered."""
        return sorted(self.log, key=lambda request: request.answered)

    def requests(self) -> list[tuple[str, str]]:
        return [(request.method, request.path) for request in self.recorded()]


def start_moto(folder: Path, auth: bool = False):
    """moto's S3 server behind a recording proxy; returns (stop, server). With `auth`, moto's first
    three requests (made here) issue an access key with S3 rights, and every later request must be
    signed with that key; without, any key is accepted (moto 5.2 miscomputes the signature of a
    listing whose prefix has a "/", which deploys use)."""
    import boto3

    port = free_port()
    log = folder / "moto.log"
    env = dict(os.environ)
    if auth:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT, env=env, cwd=folder)
    handler = type("Recorder", (_Recorder,), {"upstream": port, "log": [], "local": threading.local()})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    proxy.daemon_threads = True
    threading.Thread(target=proxy.serve_forever, daemon=True).start()

    def shut() -> None:
        proxy.shutdown()
        proxy.server_close()
        stop(process)

    try:
        wait_for_port(port, process, log)
        endpoint = f"http://127.0.0.1:{proxy.server_address[1]}"
        key = {"AccessKeyId": "test-key-id", "SecretAccessKey": "test-secret"}
        if auth:
            iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bootstrap",
                               aws_secret_access_key="bootstrap")
            iam.create_user(UserName="deployer")
            iam.put_user_policy(UserName="deployer", PolicyName="s3", PolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
            key = iam.create_access_key(UserName="deployer")["AccessKey"]
    except BaseException:
        shut()
        raise
    return shut, S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], handler.log)


def keygen(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "zhuanlan-test", "-f", str(path)],
                   check=True)
    return path


@dataclass
class SshServer:
    port: int
    user: str
    folder: Path  # keys, known_hosts
    host_key: Path
    client_key: Path  # authorised
    stranger_key: Path  # not authorised
    known_hosts: Path  # trusts the server's host key

    def host_line(self) -> str:
        kind, blob = self.host_key.with_suffix(".pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {blob}"

    def fingerprint(self) -> str:
        out = subprocess.run(["ssh-keygen", "-lf", str(self.host_key.with_suffix(".pub"))], capture_output=True,
                             text=True, check=True).stdout
        return out.split()[1]


def start_sshd(folder: Path) -> tuple[subprocess.Popen, SshServer]:
    assert Path(SSHD).exists(), "OpenSSH server not found: apt-get install openssh-server (.ci/run does)"
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation folder, made by its service
    host_key = keygen(folder / "host_key")
    client_key = keygen(folder / "client_key")
    stranger_key = keygen(folder / "stranger_key")
    shutil.copy(client_key.with_suffix(".pub"), folder / "authorized_keys")
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(f"""\
Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
AuthorizedKeysFile {folder / 'authorized_keys'}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PidFile none
Subsystem sftp internal-sftp
LogLevel ERROR
""")
    log = folder / "sshd.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=output, stderr=subprocess.STDOUT)
    wait_for_port(port, process, log)
    server = SshServer(port, getpass.getuser(), folder, host_key, client_key, stranger_key,
                       folder / "known_hosts")
    server.known_hosts.write_text(server.host_line() + "\n")
    return process, server


def start_agent(folder: Path, key: Path) -> tuple[subprocess.Popen, str]:
    """An ssh-agent holding `key`; returns its socket path for SSH_AUTH_SOCK."""
    sock = str(folder / "agent.sock")
    process = subprocess.Popen(["ssh-agent", "-D", "-a", sock], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists(sock) and time.monotonic() < deadline:
        time.sleep(0.02)
    subprocess.run(["ssh-add", "-q", str(key)], env=dict(os.environ, SSH_AUTH_SOCK=sock), check=True,
                   capture_output=True)
    return process, sock


class FileKeyring:
    """A keyring backend over a dict, for the keyring library's own set_keyring(): stands in for the
    system keyring (Windows 凭据管理器…), which a test machine has none of."""

    def __new__(cls, secrets: dict[str, str]):
        import keyring.backend

        class Backend(keyring.backend.KeyringBackend):
            priority = 1

            def get_password(self, service, username):
                return secrets.get(f"{service}/{username}")

            def set_password(self, service, username, password):
                secrets[f"{service}/{username}"] = password

            def delete_password(self, service, username):
                secrets.pop(f"{service}/{username}", None)

        return Backend()


# -- what a target holds ------------------------------------------------------------------------

def md5s(folder: Path) -> dict[str, str]:
    """rel → MD5 of every file under `folder` but the deploy's own manifest."""
    return {p.relative_to(folder).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and p.name != ".zhuanlan-deploy.json"}


def bucket_md5s(s3, bucket: str) -> dict[str, str]:
    """rel → ETag (the MD5 the server computed) of every object under the tests' prefix."""
    found = {}
    for page in s3.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="dangjian/"):
        for item in page.get("Contents", []):
            found[item["Key"][len("dangjian/"):]] = item["ETag"].strip('"')
    return found


def puts(requests: list[tuple[str, str]], bucket: str) -> list[str]:
    """The files uploaded by PUTs among `requests`."""
    return [urllib.parse.unquote(path[len(f"/{bucket}/dangjian/"):]) for method, path in requests
            if method == "PUT" and path.startswith(f"/{bucket}/dangjian/")]
