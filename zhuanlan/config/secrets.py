"""No password or key in site.yaml: it is shared and often committed. `load_config` refuses any key
whose name says it holds a secret, and any private key pasted in, at its line; so build, check,
serve and deploy all refuse it. S3 keys come from the environment or the system keyring, SFTP
logins from the SSH agent, key files or the keyring (docs/发布.md)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..problems import Problems

SECRET_WORDS = ("secret", "password", "passwd", "accesskey", "secretkey", "token", "密钥", "密码", "口令")
# A key at the start of a line (possibly a list item's first key), quoted or not.
_ANY_KEY = re.compile(r"""^\s*(?:-\s+)*(?:"([^"]+)"|'([^']+)'|([^\s#:'"{}\[\],&*!|>%@`-][^:#]*?))\s*:(?:\s|$)""")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def secret_keys(text: str) -> list[tuple[int, str]]:
    """(line, key) of every key at any depth whose name says it holds a secret, and of any private
    key pasted in. Lines are scanned one by one, so a file whose YAML is broken is checked too; the
    YAML, when it reads, adds the keys written inline ({名称: 服务器, 密码: …})."""
    found: dict[tuple[int, str], None] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith("#"):
            continue
        if _PRIVATE_KEY.search(line):
            found[(number, "PRIVATE KEY")] = None
            continue
        match = _ANY_KEY.match(line)
        if match and looks_secret(key := next(g for g in match.groups() if g is not None).strip()):
            found[(number, key)] = None
    try:
        nodes = [yaml.compose(text, Loader=_Loader)]
    except yaml.YAMLError:
        nodes = []
    while nodes:
        node = nodes.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and looks_secret(key.value.strip()):
                    found[(key.start_mark.line + 1, key.value.strip())] = None
                nodes.append(value)
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(node.value)
    return sorted(found, key=lambda item: item[0])


def looks_secret(key: str) -> bool:
    plain = re.sub(r"[\s_\-.]", "", key.lower())
    return any(word in plain for word in SECRET_WORDS)


def report_secrets(path: Path, text: str, problems: Problems) -> None:
    """An error at every secret-looking key."""
    for line, key in secret_keys(text):
        problems.error(path, line, f"“{key}”像是密码或密钥：{path.name} 常被多人共享、提交到版本库，不能存放密钥。"
                                   f"请删除这一行；存储桶的密钥放在环境变量 AWS_ACCESS_KEY_ID、AWS_SECRET_ACCESS_KEY "
                                   f"或系统钥匙串中，服务器用 SSH 代理、私钥文件或钥匙串中的密码登录（见 docs/发布.md）")
