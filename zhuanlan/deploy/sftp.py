"""An SFTP target (paramiko): a web server's folder reached over SSH.

The server's host key must already be in known_hosts: an unknown host is refused with its
fingerprint and the line that trusts it, never trusted silently. Logins use the SSH agent, key
files (~/.ssh/id_* or 私钥文件:) or a password kept in the system keyring.

Uploads run over several SFTP sessions of one SSH connection (OpenSSH allows 10 by default). Each
file is written beside its place and renamed over it, so the web server never serves half a file.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import io
import os
import posixpath
import queue
import socket
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from .credentials import from_keyring, set_command
from .remote import TEMP_SUFFIX, DeployError, Journal, ManifestTarget
from .targets import Target

CONNECT_TIMEOUT = 15
MAX_SESSIONS = 8  # below OpenSSH's MaxSessions (10)


def fingerprint(key) -> str:
    """OpenSSH's form: SHA256:<base64 without padding>."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def host_spec(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def known_hosts_path(target: Target) -> Path:
    return Path(os.path.expanduser(target.known_hosts or "~/.ssh/known_hosts"))


class _UnknownHost(Exception):
    def __init__(self, key):
        super().__init__("unknown host")
        self.key = key


def _refuse_policy():
    import paramiko

    class Refuse(paramiko.RejectPolicy):
        """RejectPolicy that keeps the key it refused, for the message."""

        def missing_host_key(self, client, hostname, key):
            raise _UnknownHost(key)

    return Refuse()


def _key_file_name(key) -> str:
    name = key.get_name()
    kind = "ed25519" if "ed25519" in name else "ecdsa" if "ecdsa" in name else "rsa"
    return f"/etc/ssh/ssh_host_{kind}_key.pub"


def _explain_connect(exc: BaseException, target: Target) -> DeployError:
    import paramiko

    where = f"{target.host}:{target.port}"
    known = known_hosts_path(target)
    if isinstance(exc, _UnknownHost):
        key = exc.key
        line = f"{host_spec(target.host, target.port)} {key.get_name()} {key.get_base64()}"
        port = f"-p {target.port} " if target.port != 22 else ""
        return DeployError(
            f"无法确认服务器 {where} 的身份：{known} 中没有它的记录（第一次连接这台服务器）。\n"
            f"服务器出示的密钥指纹是 {fingerprint(key)}（{key.get_name()}）。\n"
            f"请向服务器管理员核对这个指纹（在服务器上运行 ssh-keygen -lf {_key_file_name(key)} 可以看到）。"
            f"确认一致后，任选一种方法信任它，再重新发布：\n"
            f"  1. 运行 ssh {port}{target.user}@{target.host}，核对指纹后回答 yes；\n"
            f"  2. 把下面这一行加到 {known} 的末尾：\n"
            f"     {line}")
    if isinstance(exc, paramiko.BadHostKeyException):
        return DeployError(
            f"服务器 {where} 出示的密钥（{fingerprint(exc.key)}）与 {known} 中记录的不同。可能是服务器重装过，"
            f"也可能有人冒充服务器，已停止连接。请向服务器管理员核对新的指纹；确认无误后运行 "
            f"ssh-keygen -R '{host_spec(target.host, target.port)}' 删除旧记录，再按第一次连接的方法信任新的密钥")
    if isinstance(exc, paramiko.PasswordRequiredException):
        return DeployError("私钥文件有口令保护：请先运行 ssh-add 把它加入 SSH 代理（只需输入一次口令），再发布")
    if isinstance(exc, paramiko.AuthenticationException):
        return DeployError(
            f"以用户 {target.user} 登录服务器 {where} 失败：服务器不接受所用的密钥或密码。请确认：公钥已加入服务器上 "
            f"{target.user} 的 ~/.ssh/authorized_keys；私钥已用 ssh-add 加入 SSH 代理，或放在 ~/.ssh/ 中，或在发布目标中用 "
            f"私钥文件: 指出；用密码登录的，密码存入系统钥匙串：{set_command(target.name, 'password')}")
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):  # every address of the host failed
        causes = list(exc.errors.values())
        refused = all(getattr(cause, "errno", None) == errno.ECONNREFUSED for cause in causes)
        exc = ConnectionRefusedError() if refused else causes[0] if causes else exc
    if isinstance(exc, socket.gaierror):
        return DeployError(f"找不到服务器 {target.host}：请检查发布目标“{target.name}”的 主机:，以及网络是否连通")
    if isinstance(exc, ConnectionRefusedError):
        return DeployError(f"服务器 {where} 拒绝连接：请检查 主机: 和 端口:，以及服务器上的 SSH 服务是否在运行")
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return DeployError(f"连接服务器 {where} 超时（{CONNECT_TIMEOUT} 秒）：请检查网络、防火墙和 端口:")
    if isinstance(exc, (paramiko.SSHException, EOFError)):
        return DeployError(f"与服务器 {where} 建立 SSH 连接失败（{exc}）：请检查 端口: 是否是 SSH 服务的端口")
    if isinstance(exc, OSError):
        return DeployError(f"连接服务器 {where} 失败：{exc.strerror or exc}。请检查网络和 主机:、端口:")
    raise exc


def connect(target: Target):
    """An authenticated paramiko SSHClient, or DeployError."""
    import paramiko

    if target.key_file and not Path(os.path.expanduser(target.key_file)).is_file():
        raise DeployError(f"找不到私钥文件 {target.key_file}：请检查发布目标“{target.name}”的 私钥文件:")
    password = None
    while True:
        client = paramiko.SSHClient()
        for known in (Path("/etc/ssh/ssh_known_hosts"), known_hosts_path(target)):
            if known.is_file():
                try:
                    client.load_system_host_keys(str(known))  # "system" keys are never written back
                except (OSError, paramiko.SSHException) as exc:
                    raise DeployError(f"读不出已知主机文件 {known}：{exc}") from None
        client.set_missing_host_key_policy(_refuse_policy())
        try:
            client.connect(target.host, target.port, username=target.user, password=password,
                           key_filename=os.path.expanduser(target.key_file) if target.key_file else None,
                           timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT, auth_timeout=CONNECT_TIMEOUT)
            return client
        except paramiko.AuthenticationException as exc:
            client.close()
            if password is None and not isinstance(exc, paramiko.PasswordRequiredException):
                password = from_keyring(target.name, "password")
                if password is not None:
                    continue  # once more, with the password from the keyring
            raise _explain_connect(exc, target) from None
        except (_UnknownHost, paramiko.SSHException, EOFError, OSError) as exc:
            client.close()
            raise _explain_connect(exc, target) from None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, PermissionError) or getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
        return "没有权限（请确认登录用户可以写这个文件夹）"
    if getattr(exc, "errno", None) == errno.ENOSPC:
        return "服务器磁盘空间不足"
    if isinstance(exc, (EOFError, socket.error)) or type(exc).__name__ in ("SSHException", "ChannelException"):
        return f"与服务器的连接断开了（{exc or type(exc).__name__}）"
    return str(exc) or type(exc).__name__


class SftpTarget(ManifestTarget):
    def __init__(self, target: Target, journal: Journal):
        super().__init__(journal)
        self.target = target
        self.root = target.path  # ends with /
        self.ssh = connect(target)
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._sessions: list = []
        self._lock = threading.Lock()
        self._folders: set[str] = set()

    @contextmanager
    def _session(self):
        """An SFTP session of the connection, for one operation at a time."""
        try:
            sftp = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                sftp = None
                if len(self._sessions) < MAX_SESSIONS:
                    try:
                        sftp = self.ssh.open_sftp()
                    except Exception as exc:  # noqa: BLE001 - paramiko's and the socket's failures alike
                        raise DeployError(f"服务器 {self.target.host} 不提供 SFTP，或连接断开了（{_reason(exc)}）") \
                            from None
                    self._sessions.append(sftp)
            if sftp is None:
                sftp = self._idle.get()  # all sessions busy: wait for one
        try:
            yield sftp
        finally:
            self._idle.put(sftp)

    def _path(self, rel: str) -> str:
        return self.root + rel

    def _fail(self, what: str, exc: BaseException) -> DeployError:
        return DeployError(f"{what}失败：{_reason(exc)}")

    def _read(self, name: str) -> bytes | None:
        with self._session() as sftp:
            try:
                with sftp.open(self._path(name), "rb") as handle:
                    return handle.read()
            except FileNotFoundError:
                return None
            except Exception as exc:  # noqa: BLE001
                raise self._fail(f"读取服务器上的 {self._path(name)} ", exc) from None

    def _write(self, name: str, data: bytes) -> None:
        self._upload(name, io.BytesIO(data), len(data))

    def _sizes(self, folders: set[str]) -> dict[str, int]:
        def listing(folder: str) -> list[tuple[str, int, bool]]:
            with self._session() as sftp:
                try:
                    entries = sftp.listdir_attr(self._path(folder) if folder else self.root.rstrip("/") or "/")
                except FileNotFoundError:
                    return []
                except Exception as exc:  # noqa: BLE001
                    raise self._fail(f"读取服务器上的文件夹 {self._path(folder)} ", exc) from None
            self._folders.add(folder)
            self.counters.add()
            return [(entry.filename, entry.st_size or 0, stat.S_ISREG(entry.st_mode or 0)) for entry in entries]

        sizes: dict[str, int] = {}
        order = sorted(folders)
        with ThreadPoolExecutor(MAX_SESSIONS) as pool:
            for folder, entries in zip(order, pool.map(listing, order)):
                for name, size, regular in entries:
                    if not regular:
                        continue
                    rel = f"{folder}/{name}" if folder else name
                    if name.endswith(TEMP_SUFFIX):
                        self.leftovers.append(rel)
                    else:
                        sizes[rel] = size
        return sizes

    def _put(self, rel: str, source: Path) -> None:
        with open(source, "rb") as handle:
            self._upload(rel, handle, os.fstat(handle.fileno()).st_size)

    def _upload(self, rel: str, handle, size: int) -> None:
        path = self._path(rel)
        with self._session() as sftp:
            try:
                self._ensure_folder(sftp, posixpath.dirname(rel))
                sftp.putfo(handle, path + TEMP_SUFFIX, size, confirm=False)
                try:
                    sftp.posix_rename(path + TEMP_SUFFIX, path)
                except OSError:  # a server without OpenSSH's posix-rename: plain rename will not overwrite
                    try:
                        sftp.remove(path)
                    except FileNotFoundError:
                        pass
                    sftp.rename(path + TEMP_SUFFIX, path)
            except DeployError:
                raise
            except Exception as exc:  # noqa: BLE001 - paramiko's and the socket's failures alike
                raise self._fail(f"上传 {rel} 到 {self.target.host}:{path} ", exc) from None

    def _ensure_folder(self, sftp, folder: str) -> None:
        if folder in self._folders:
            return
        if folder:
            self._ensure_folder(sftp, posixpath.dirname(folder))
        path = self._path(folder) if folder else self.root.rstrip("/")
        if path:
            try:
                sftp.mkdir(path)
            except OSError:
                try:
                    if not stat.S_ISDIR(sftp.stat(path).st_mode or 0):
                        raise DeployError(f"服务器上的 {path} 是一个文件，不是文件夹：请检查 路径:")
                except FileNotFoundError:
                    raise DeployError(f"不能在服务器上新建文件夹 {path}：请确认登录用户 {self.target.user} "
                                      f"有权限写发布目标的 路径:") from None
        self._folders.add(folder)

    def _remove(self, rel: str, missing_ok: bool = False) -> None:
        with self._session() as sftp:
            try:
                sftp.remove(self._path(rel))
            except FileNotFoundError:
                pass
            except Exception as exc:  # noqa: BLE001
                raise self._fail(f"删除服务器上的 {self._path(rel)} ", exc) from None
            folder = posixpath.dirname(rel)
            while folder:  # the story's folder, once empty
                try:
                    sftp.rmdir(self._path(folder))
                except Exception:  # noqa: BLE001 - not empty, or not ours to remove
                    break
                self._folders.discard(folder)
                folder = posixpath.dirname(folder)

    def close(self) -> None:
        self.journal.close()
        for sftp in self._sessions:
            try:
                sftp.close()
            except Exception:  # noqa: BLE001
                pass
        self.ssh.close()
