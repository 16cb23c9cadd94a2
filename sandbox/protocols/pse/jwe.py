"""Compact JWE bodies (``alg=dir``, ``enc=A256GCM``), as ACH's production interface uses them.

An entity with ``jwe_key`` in the world (base64url of 32 bytes) exchanges every request and
answer body of the PSE API as one compact JWE string: the JSON body is the plaintext, the shared
key is the content-encryption key. The body travels as-is (``Content-Type: application/jose``);
a JSON string holding the token (``"eyJ..."``) is accepted too. Built on ``joserfc``.

>>> key = "c2FuZGJveC1qd2Uta2V5LWZvci1jb29wLXNhbmRib3g"
>>> decrypt(encrypt(b'{"a": 1}', key), key)
b'{"a": 1}'
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Final

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

ALG: Final = "dir"
ENC: Final = "A256GCM"
CONTENT_TYPE: Final = "application/jose"
_REGISTRY: Final = jwe.JWERegistry(algorithms=[ALG, ENC])


class JweError(ValueError):
    """A body that is not a compact JWE this key opens (message in Spanish)."""


def load_key(key_b64: str) -> OctKey:
    padded = key_b64 + "=" * (-len(key_b64) % 4)
    try:
        raw = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        raise JweError("la clave JWE no es base64url válido") from None
    if len(raw) != 32:
        raise JweError("la clave JWE debe tener 32 bytes (A256GCM)")
    return OctKey.import_key(raw)


def looks_compact(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 5 and all(p.replace("-", "").replace("_", "").isalnum() or p == "" for p in parts)


def unwrap(raw: bytes) -> str:
    """The compact token in a body: the raw text, or a JSON string holding it."""
    text = raw.decode("utf-8", errors="replace").strip()
    if text.startswith('"'):
        try:
            loaded = json.loads(text)
        except ValueError:
            return text
        if isinstance(loaded, str):
            return loaded.strip()
    return text


def encrypt(plaintext: bytes, key_b64: str) -> str:
    return jwe.encrypt_compact({"alg": ALG, "enc": ENC}, plaintext, load_key(key_b64), registry=_REGISTRY)


def decrypt(token: str, key_b64: str) -> bytes:
    if not looks_compact(token):
        raise JweError("el cuerpo debe ser un JWE compacto (cinco partes separadas por puntos)")
    try:
        result = jwe.decrypt_compact(token, load_key(key_b64), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        raise JweError(f"el JWE no se pudo descifrar con la clave de la entidad ({type(exc).__name__})") from None
    header = result.protected
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise JweError(f"el JWE debe usar alg={ALG} y enc={ENC}")
    plaintext = result.plaintext
    if plaintext is None:
        raise JweError("el JWE no tiene contenido")
    return plaintext
