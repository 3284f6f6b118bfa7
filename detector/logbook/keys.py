"""The device key: Ed25519, generated on first run, stored with owner-only permissions.
Every logbook record is signed with it; its public key identifies the device."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from detector.errors import DetectorError


class KeyError_(DetectorError):
    """The device key cannot be read or written."""


def device_id(public: bytes) -> str:
    """A short, stable name for a device: the first 16 hex digits of its key's SHA-256."""
    return hashlib.sha256(public).hexdigest()[:16]


def key_matches(device: str, public: object) -> bool:
    """Whether `public` is a key and `device` its id (a damaged or edited row may hold
    anything)."""
    try:
        return isinstance(public, bytes | bytearray | memoryview) and device_id(
            bytes(public)) == device
    except (TypeError, ValueError):
        return False


class DeviceKey:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self.private = private
        self.public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)
        self.id = device_id(self.public)

    @classmethod
    def load_or_create(cls, path: str | Path) -> DeviceKey:
        path = Path(path)
        try:
            if path.exists():
                mode = path.stat().st_mode & 0o777
                if mode & 0o077:
                    raise KeyError_(f"{path}: the device key is readable by others "
                                    f"(mode {mode:o}); run chmod 600 {path}")
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                if not isinstance(key, Ed25519PrivateKey):
                    raise KeyError_(f"{path}: not an Ed25519 private key")
                return cls(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
            # Created owner-only from the start: never a moment with wider permissions.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            return cls(key)
        except (OSError, ValueError) as exc:
            raise KeyError_(f"{path}: cannot use the device key: {exc}") from None

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def signature_ok(public: bytes, signature: bytes, data: bytes) -> bool:
    """Ed25519 verification: libsodium's when PyNaCl is installed (the server's extra:
    about twice as fast here as OpenSSL's, and verification is most of an ingest's
    time), else OpenSSL's through cryptography. Both release the GIL while verifying."""
    if _sodium_open is not None:
        return _sodium_ok(public, signature, data)
    return _openssl_ok(public, signature, data)


def _openssl_ok(public: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
        return True
    except (InvalidSignature, ValueError):
        return False


def _sodium_ok(public: bytes, signature: bytes, data: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    try:
        _sodium_open(signature + data, public)
        return True
    except (_SodiumError, ValueError, TypeError):
        return False


try:  # optional: the server's extra
    from nacl.bindings import crypto_sign_open as _sodium_open
    from nacl.exceptions import CryptoError as _SodiumError
except ImportError:  # pragma: no cover - without the extra
    _sodium_open = None
    _SodiumError = ValueError
