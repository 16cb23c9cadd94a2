from __future__ import annotations

import pytest

from sandbox.proxy.operations import PatternError, parse_op


@pytest.mark.parametrize(
    ("pattern", "method", "path", "operation_id", "expected"),
    [
        ("*", "GET", "/anything/at/all", None, True),
        ("POST /sicoop/v1/withdrawals/*/confirm", "POST", "/sicoop/v1/withdrawals/w-1/confirm", None, True),
        ("POST /sicoop/v1/withdrawals/*/confirm", "post", "/sicoop/v1/withdrawals/w-1/confirm?x=1", None, True),
        ("POST /sicoop/v1/withdrawals/*/confirm", "GET", "/sicoop/v1/withdrawals/w-1/confirm", None, False),
        ("POST /sicoop/v1/withdrawals/*/confirm", "POST", "/sicoop/v1/withdrawals/confirm", None, False),
        ("POST /sicoop/v1/withdrawals/*/confirm", "POST", "/sicoop/v1/withdrawals/a/b/confirm", None, False),
        ("POST /sicoop/v1/withdrawals/{id}/confirm", "POST", "/sicoop/v1/withdrawals/w-1/confirm", None, True),
        ("/psewebapinf/**", "POST", "/psewebapinf/api/CreateTransactionPaymentNF", None, True),
        ("/psewebapinf/**", "GET", "/psewebapinf", None, True),
        ("/psewebapinf/**", "GET", "/other/psewebapinf", None, False),
        ("/**/confirm", "POST", "/a/b/c/confirm", None, True),
        ("* /messages", "PUT", "/messages", None, True),
        ("/messages", "POST", "/messages/", None, True),
        ("/messages", "POST", "/messages/1", None, False),
        ("confirmWithdrawal", "POST", "/x", "confirmWithdrawal", True),
        ("confirmWithdrawal", "POST", "/x", "releaseWithdrawal", False),
        ("confirmWithdrawal", "POST", "/x", None, False),
    ],
)
def test_matches(pattern: str, method: str, path: str, operation_id: str | None, expected: bool) -> None:
    assert parse_op(pattern).matches(method, path, operation_id) is expected


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("*", "*"),
        ("post   /a/{id}/b", "POST /a/*/b"),
        ("/a//b/", "/a/b"),
        ("opName", "opName"),
    ],
)
def test_normalized_text(text: str, normalized: str) -> None:
    assert parse_op(text).text == normalized


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "vacía"),
        ("FETCH /a", "método HTTP desconocido"),
        ("POST a/b", "debe empezar por '/'"),
        ("/a?x=1", "query string"),
        ("/a/b*", "segmento entero"),
        ("POST confirmWithdrawal", "debe empezar por '/'"),
    ],
)
def test_parse_errors(text: str, says: str) -> None:
    with pytest.raises(PatternError, match=says):
        parse_op(text)
