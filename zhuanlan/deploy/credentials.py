"""Secrets from the system keyring (Windows 凭据管理器, macOS 钥匙串, Linux Secret Service), stored
under the service name "zhuanlan" with the item "<target name>:<what>", for example
`python -m keyring set zhuanlan oss:AWS_SECRET_ACCESS_KEY`. Never from site.yaml."""
from __future__ import annotations

SERVICE = "zhuanlan"


def keyring_item(target_name: str, what: str) -> str:
    return f"{target_name}:{what}"


def from_keyring(target_name: str, what: str) -> str | None:
    """The stored secret, or None when there is none, no keyring library or no keyring service."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        return keyring.get_password(SERVICE, keyring_item(target_name, what)) or None
    except Exception:  # noqa: BLE001 - any keyring backend failure (none installed, locked, no D-Bus) means "no secret"
        return None


def set_command(target_name: str, what: str) -> str:
    return f"python -m keyring set {SERVICE} {keyring_item(target_name, what)}"
