"""An object-storage target over the S3 API (阿里云 OSS, 腾讯云 COS, 华为云 OBS, MinIO, AWS…), by boto3.

What the bucket holds is read from the listing (1,000 objects a request): the ETag of an object
uploaded whole is its MD5, so nothing needs downloading to compare. Files are always uploaded
whole (one PUT, Content-MD5 checked by the server) and carry their MD5 in metadata too, for an
object whose ETag is not an MD5 (one another tool uploaded in parts).

Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the system keyring, never from
site.yaml, and never from the machine's cloud metadata service.
"""
from __future__ import annotations

import base64
import os
import re
from pathlib import Path
from typing import Iterable

from .credentials import from_keyring, set_command
from .local import LocalFile
from .plan import Upload, cache_control, content_type
from .remote import Counters, DeployError
from .targets import Target

_MD5 = re.compile(r"^[0-9a-f]{32}$")
BATCH_DELETE = 1000  # the most keys one DeleteObjects request takes
MAX_SINGLE_PUT = 5 * 1024 ** 3


def credentials(target: Target) -> tuple[str, str, str | None]:
    """(access key id, secret, session token) from the environment, else the keyring."""
    key_id, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key_id and secret:
        return key_id, secret, os.environ.get("AWS_SESSION_TOKEN") or None
    key_id = from_keyring(target.name, "AWS_ACCESS_KEY_ID")
    secret = from_keyring(target.name, "AWS_SECRET_ACCESS_KEY")
    if key_id and secret:
        return key_id, secret, None
    raise DeployError(
        f"没有找到存储桶“{target.bucket}”的访问密钥。请任选一种方法提供（不要写进 site.yaml）：\n"
        f"  1. 设置环境变量 AWS_ACCESS_KEY_ID 和 AWS_SECRET_ACCESS_KEY（Windows：set AWS_ACCESS_KEY_ID=…；"
        f"Linux/macOS：export AWS_ACCESS_KEY_ID=…）；\n"
        f"  2. 存入系统钥匙串（只需一次）：\n"
        f"     {set_command(target.name, 'AWS_ACCESS_KEY_ID')}\n"
        f"     {set_command(target.name, 'AWS_SECRET_ACCESS_KEY')}")


class S3Target:
    def __init__(self, target: Target, workers: int):
        import boto3
        from botocore.config import Config

        self.target = target
        self.counters = Counters()
        key_id, secret, token = credentials(target)
        config = Config(
            s3={"addressing_style": target.addressing}, signature_version="s3v4",
            retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10, read_timeout=60,
            max_pool_connections=max(workers, 10),
            # Newer boto3 adds CRC checksums in chunked uploads by default, which OSS, COS and other
            # S3-compatible stores refuse; Content-MD5 is checked instead.
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
        )
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=target.endpoint, region_name=target.region or "us-east-1",
            aws_access_key_id=key_id, aws_secret_access_key=secret, aws_session_token=token, config=config)
        self.client.meta.events.register("before-send.s3", self._count)

    def _count(self, request, event_name: str = "", **_) -> None:
        length = request.headers.get("Content-Length") or 0
        self.counters.add(1, int(length), event_name.rsplit(".", 1)[-1])

    def _key(self, rel: str) -> str:
        return self.target.path + rel

    def remote_state(self, local: Iterable[str]) -> dict[str, str]:
        local = set(local)
        state: dict[str, str] = {}
        prefix = self.target.path
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.target.bucket,
                                                                                Prefix=prefix):
                for item in page.get("Contents", []):
                    rel = item["Key"][len(prefix):]
                    if not rel or rel.endswith("/"):
                        continue  # the prefix itself, or a console's "folder" marker
                    etag = item.get("ETag", "").strip('"').lower()
                    state[rel] = etag if _MD5.match(etag) else ""
            for rel in [r for r, md5 in state.items() if not md5 and r in local]:
                state[rel] = self._md5_from_metadata(rel)
        except Exception as exc:  # noqa: BLE001 - botocore's many exception types; explained below
            raise explain(exc, self.target, "读取存储桶的文件清单") from None
        return state

    def _md5_from_metadata(self, rel: str) -> str:
        head = self.client.head_object(Bucket=self.target.bucket, Key=self._key(rel))
        md5 = head.get("Metadata", {}).get("md5", "").lower()
        return md5 if _MD5.match(md5) else ""

    def put(self, upload: Upload, source: Path) -> None:
        if upload.size > MAX_SINGLE_PUT:
            raise DeployError(f"{upload.rel} 超过 5 GB，不能一次上传到存储桶：请把它换成较小的文件")
        digest = base64.b64encode(bytes.fromhex(upload.md5)).decode()
        try:
            with open(source, "rb") as body:
                self.client.put_object(
                    Bucket=self.target.bucket, Key=self._key(upload.rel), Body=body, ContentLength=upload.size,
                    ContentMD5=digest, ContentType=content_type(upload.rel),
                    CacheControl=cache_control(upload.rel), Metadata={"md5": upload.md5})
        except OSError as exc:
            if exc.filename == str(source):
                raise DeployError(f"读不出 {source}：{exc.strerror}") from None
            raise explain(exc, self.target, f"上传 {upload.rel}") from None
        except Exception as exc:  # noqa: BLE001
            raise explain(exc, self.target, f"上传 {upload.rel}") from None

    def delete(self, rels: list[str]) -> None:
        for start in range(0, len(rels), BATCH_DELETE):
            batch = rels[start:start + BATCH_DELETE]
            try:
                answer = self.client.delete_objects(
                    Bucket=self.target.bucket,
                    Delete={"Objects": [{"Key": self._key(rel)} for rel in batch], "Quiet": True})
            except Exception as exc:  # noqa: BLE001
                raise explain(exc, self.target, "删除存储桶中的旧文件") from None
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise DeployError(f"删除存储桶中的 {first.get('Key')} 失败：{first.get('Code')} "
                                  f"{first.get('Message', '')}（共 {len(errors)} 个文件没有删掉）")

    def finish(self, files: dict[str, LocalFile]) -> None:
        pass  # the listing is the record

    def close(self) -> None:
        self.client.close()


_CODES = {
    "InvalidAccessKeyId": "访问密钥 ID（AWS_ACCESS_KEY_ID）不对，服务器不认识它：请核对密钥",
    "SignatureDoesNotMatch": "访问密钥（AWS_SECRET_ACCESS_KEY）不对，签名对不上：请核对密钥",
    "AccessDenied": "没有权限：请确认这对密钥可以读、写和删除这个存储桶中的文件",
    "Forbidden": "没有权限：请核对访问密钥，并确认它可以读写这个存储桶",
    "NoSuchBucket": "存储桶不存在：请检查 存储桶: 的名称和 地址:（存储桶所在的地域）",
    "PermanentRedirect": "存储桶不在这个地址：请把 地址: 改为存储桶所在地域的地址",
    "AuthorizationHeaderMalformed": "区域不对：请检查 区域: 是否是存储桶所在的地域",
    "InvalidBucketName": "存储桶名称不合规则：请检查 存储桶:",
    "BadDigest": "文件在传输中损坏（校验不符）：请重新发布",
    "RequestTimeTooSkewed": "电脑的时间与服务器相差太多：请把电脑时间校准后重试",
    "QuotaExceeded": "存储空间已满或超出配额",
    "EntityTooLarge": "文件太大",
}


def explain(exc: BaseException, target: Target, doing: str) -> DeployError:
    """A Chinese message for what boto3 raised."""
    from botocore import exceptions as boto

    where = f"存储桶“{target.bucket}”（{target.endpoint}）"
    if isinstance(exc, boto.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        reason = _CODES.get(code) or _CODES.get({403: "Forbidden", 404: "NoSuchBucket"}.get(status, ""), "")
        if not reason:
            reason = f"服务器返回 {code or status}：{error.get('Message', '')}".rstrip("：")
        return DeployError(f"{doing}失败（{where}）：{reason}")
    if isinstance(exc, boto.SSLError):
        return DeployError(f"{doing}失败：与 {target.endpoint} 的 HTTPS 连接无法验证（{exc}）。请检查 地址: "
                           f"和电脑的时间；若网络中有代理，请联系网络管理员")
    if isinstance(exc, (boto.EndpointConnectionError, boto.ConnectTimeoutError, boto.ConnectionClosedError,
                        boto.ReadTimeoutError)):
        return DeployError(f"{doing}失败：无法连接到 {target.endpoint}。请检查 地址:、网络是否连通，以及代理设置")
    if isinstance(exc, boto.NoCredentialsError):
        return DeployError(f"{doing}失败：没有访问密钥（{where}）")
    if isinstance(exc, (boto.BotoCoreError, OSError)):
        return DeployError(f"{doing}失败（{where}）：{exc}")
    raise exc
