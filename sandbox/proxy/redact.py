"""A masked copy of a flow, for captures (NET-05).

The live flow is never touched: :func:`masked_copy` copies it and masks the copy with the
sandbox's one masker (:mod:`sandbox.kit.masking`) — headers (``Authorization``, cookies, API keys,
tokens), query parameters, JSON and form bodies by field name, and free text (``Bearer xxx``,
``key=value``, card-length digit runs). Masking the live flow instead would change what the
receiver gets, and the parties would no longer see the traffic the test meant to send.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from mitmproxy import http

from sandbox.kit.masking import SECRET_MASK, is_account_field, is_secret_field, mask_data, mask_text, mask_value

_SECRET_HEADER_SUFFIXES = ("apikey", "token", "secret", "password", "authorization", "cookie", "otp")


def _secret_header(name: str) -> bool:
    norm = name.replace("-", "").replace("_", "").lower()
    return is_secret_field(name) or norm.endswith(_SECRET_HEADER_SUFFIXES)


def mask_headers(headers: http.Headers) -> None:
    for name in list(headers.keys()):
        values = headers.get_all(name)
        if _secret_header(name):
            headers.set_all(name, [SECRET_MASK for _ in values])
        elif is_account_field(name):
            headers.set_all(name, [str(mask_value(name, v)) for v in values])
        else:
            headers.set_all(name, [mask_text(v) for v in values])


def mask_body_bytes(raw: bytes, content_type: str) -> bytes:
    """Mask a (decoded) body by its content type; bytes that are not text are kept as they are."""
    if not raw:
        return raw
    ctype = content_type.lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    if "json" in ctype:
        try:
            data: Any = json.loads(text)
        except ValueError:
            return mask_text(text).encode()
        return json.dumps(mask_data(data), ensure_ascii=False).encode()
    if "x-www-form-urlencoded" in ctype:
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, mask_text(str(mask_value(k, v)))) for k, v in pairs]).encode()
    return mask_text(text).encode()


def _mask_message(message: http.Message) -> None:
    mask_headers(message.headers)
    content = message.get_content(strict=False)
    if content:
        message.content = mask_body_bytes(content, message.headers.get("content-type", ""))


def masked_copy(flow: http.HTTPFlow) -> http.HTTPFlow:
    """A copy of ``flow`` with every secret masked; ``flow`` itself is left as it is."""
    copy: http.HTTPFlow = flow.copy()
    request = copy.request
    request.path = mask_text(request.path.split("?", 1)[0]) + (
        "?" + urlencode([(k, mask_text(str(mask_value(k, v)))) for k, v in request.query.items(multi=True)], safe="*")
        if request.query
        else ""
    )
    _mask_message(request)
    if copy.response is not None:
        _mask_message(copy.response)
    return copy
