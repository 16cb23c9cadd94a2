"""Masking of secrets in logs, journals, captures and reports (NET-05).

Two kinds of values are never shown whole:

* **secrets** (passwords, OTPs, soft-tokens, tokens, API keys, client secrets): shown as ``****``;
* **account and card numbers**: shown as ``****1234`` (last four digits).

Masking is by field name (JSON keys, form and query parameters, ``key=value`` text), plus a
catch-all for long digit runs that look like card numbers (13–19 digits). Field names are
compared case-insensitively with ``_`` and ``-`` removed, so ``softToken``, ``soft_token`` and
``soft-token`` are one name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

SECRET_FIELDS = frozenset(
    {
        "password", "passwd", "pass", "clave", "contrasena", "contraseña", "pin",
        "otp", "otpcode", "code_otp", "securitycode", "codigoseguridad", "codigo",
        "softtoken", "softtokencode", "token", "accesstoken", "refreshtoken", "idtoken",
        "clientsecret", "secret", "softtokensecret", "apikey", "apilogin", "authorization",
        "cookie", "setcookie", "jwekey", "hmackey", "sessionsecret",
    }
)  # fmt: skip

ACCOUNT_FIELDS = frozenset(
    {
        "accountnumber", "account", "numerocuenta", "cuenta", "productnumber", "cardnumber",
        "pan", "accountno", "debitaccount", "creditaccount", "numeroproducto",
    }
)  # fmt: skip

SECRET_MASK = "****"  # noqa: S105 - the mask, not a password


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def is_secret_field(name: str) -> bool:
    return _norm(name) in SECRET_FIELDS


def is_account_field(name: str) -> bool:
    return _norm(name) in ACCOUNT_FIELDS


def mask_account(value: object) -> str:
    """``"4001237756"`` → ``"****7756"``."""
    text = str(value)
    digits = re.sub(r"\D", "", text)
    return f"****{digits[-4:]}" if len(digits) >= 4 else SECRET_MASK


def mask_mobile(mobile: str) -> str:
    """``"3104567890"`` → ``"310****890"`` (a number too short to keep both ends hidden is ``****``)."""
    return f"{mobile[:3]}****{mobile[-3:]}" if len(mobile) >= 7 else SECRET_MASK


def mask_email(email: str) -> str:
    """``"nick.rivera@example.com"`` → ``"n***@example.com"``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_value(name: str, value: Any) -> Any:
    if value is None or value == "":
        return value
    if is_secret_field(name):
        return SECRET_MASK
    if is_account_field(name) and isinstance(value, str | int):
        return mask_account(value)
    return value


def mask_data(data: Any) -> Any:
    """Mask a JSON-like structure (dicts, lists, scalars), returning a copy."""
    if isinstance(data, dict):
        out: dict[Any, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict | list):
                out[key] = mask_data(value)
            else:
                out[key] = mask_value(str(key), value)
                if out[key] is value and isinstance(value, str):
                    out[key] = mask_text(value)
        return out
    if isinstance(data, list):
        return [mask_data(item) for item in data]
    if isinstance(data, str):
        return mask_text(data)
    return data


def _names_pattern(names: Iterable[str]) -> str:
    # Match each normalized name with optional _ or - between letters.
    alts = sorted({"[_-]?".join(re.escape(ch) for ch in name) for name in names}, key=len, reverse=True)
    return "|".join(alts)


_SECRET_NAMES = _names_pattern(SECRET_FIELDS)
_ACCOUNT_NAMES = _names_pattern(ACCOUNT_FIELDS)
# "key": "value"  /  "key": 123
_JSON_PAIR = re.compile(
    rf'(?P<pre>"(?P<key>(?i:{_SECRET_NAMES}|{_ACCOUNT_NAMES}))"\s*:\s*)(?P<val>"(?:[^"\\]|\\.)*"|-?\d+)'
)
# key=value (query strings, form bodies, log text) and "Authorization: Bearer xxx"
_KV_PAIR = re.compile(rf"(?P<pre>\b(?P<key>(?i:{_SECRET_NAMES}|{_ACCOUNT_NAMES}))=)(?P<val>[^&\s,;\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_CARD_DIGITS = re.compile(r"(?<!\d)\d{13,19}(?!\d)")


def _replace_pair(match: re.Match[str]) -> str:
    key = match.group("key")
    raw = match.group("val")
    quoted = raw.startswith('"')
    value = raw[1:-1] if quoted else raw
    masked = SECRET_MASK if is_secret_field(key) else mask_account(value)
    return match.group("pre") + (f'"{masked}"' if quoted else masked)


def mask_text(text: str) -> str:
    """Mask secrets inside free text: JSON, form bodies, query strings, log lines."""
    if not text:
        return text
    text = _JSON_PAIR.sub(_replace_pair, text)
    text = _KV_PAIR.sub(_replace_pair, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {SECRET_MASK}", text)
    return _CARD_DIGITS.sub(lambda m: mask_account(m.group(0)), text)


def mask_body(raw: bytes, content_type: str | None, limit: int = 4096) -> str:
    """A masked, printable rendering of an HTTP body for journals and captures."""
    if not raw:
        return ""
    text = raw[:limit].decode("utf-8", errors="replace")
    if content_type and "json" in content_type:
        try:
            return json.dumps(mask_data(json.loads(raw)), ensure_ascii=False)[:limit]
        except (ValueError, RecursionError):  # not JSON, or nested too deep to walk: masked as text
            pass
    return mask_text(text)
