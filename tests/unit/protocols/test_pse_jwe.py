"""Compact JWE bodies (alg=dir, enc=A256GCM) with joserfc."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwe as jose_jwe
from joserfc.jwk import OctKey

from sandbox.protocols.pse import jwe

KEY = "c2FuZGJveC1qd2Uta2V5LWZvci1jb29wLXNhbmRib3g"
OTHER = base64.urlsafe_b64encode(b"x" * 32).decode().rstrip("=")


def test_round_trip_and_header() -> None:
    token = jwe.encrypt(b'{"entityCode": "10003"}', KEY)
    assert jwe.looks_compact(token)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "dir", "enc": "A256GCM"}
    assert jwe.decrypt(token, KEY) == b'{"entityCode": "10003"}'


def test_a_token_made_by_another_library_call_opens() -> None:
    key = OctKey.import_key(base64.urlsafe_b64decode(KEY + "="))
    token = jose_jwe.encrypt_compact({"alg": "dir", "enc": "A256GCM"}, b"hola", key)
    assert jwe.decrypt(token, KEY) == b"hola"


@pytest.mark.parametrize(
    "token",
    [
        jwe.encrypt(b"x", OTHER),  # another key
        "not.a.jwe",
        "a.b.c.d.e",
        jose_jwe.encrypt_compact({"alg": "dir", "enc": "A128GCM"}, b"x", OctKey.import_key(b"k" * 16)),
    ],
)
def test_what_does_not_open_is_a_jwe_error(token: str) -> None:
    with pytest.raises(jwe.JweError):
        jwe.decrypt(token, KEY)


def test_keys_must_be_32_bytes_of_base64url() -> None:
    with pytest.raises(jwe.JweError):
        jwe.load_key(base64.urlsafe_b64encode(b"short").decode())
    with pytest.raises(jwe.JweError):
        jwe.load_key("***")


def test_unwrap_accepts_raw_or_json_string() -> None:
    token = jwe.encrypt(b"x", KEY)
    assert jwe.unwrap(token.encode()) == token
    assert jwe.unwrap(f'"{token}"'.encode()) == token
    assert jwe.unwrap(b'{"a": 1}') == '{"a": 1}'
