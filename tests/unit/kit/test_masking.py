from __future__ import annotations

import json
import logging

import pytest

from sandbox.kit.masking import mask_account, mask_body, mask_data, mask_text
from sandbox.kit.observe import MaskingFormatter


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ('{"password": "Redcoop.2024", "user": "nrivera"}', "Redcoop.2024"),
        ('{"soft_token":"482913"}', "482913"),
        ('{"softToken": 482913}', "482913"),
        ("grant_type=client_credentials&client_secret=zp-secret-2f9c1e7a", "zp-secret-2f9c1e7a"),
        ("otp=123456&document=1033370434", "123456"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def", "eyJhbGciOiJIUzI1NiJ9"),
        ('{"api_key": "4Vj8eK4rloUd272L48hsrarnUA"}', "4Vj8eK4rloUd272L48hsrarnUA"),
        ('{"account_number": "102200000011"}', "102200000011"),
        ("pan 4111111111111111 used", "4111111111111111"),
    ],
)
def test_mask_text_hides_secrets(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert "****" in masked


def test_account_numbers_keep_last_four() -> None:
    assert mask_account("4001237756") == "****7756"
    assert mask_text('{"account_number": "102200000011"}') == '{"account_number": "****0011"}'
    assert mask_account("12") == "****"


def test_mask_data_is_recursive_and_keeps_the_rest() -> None:
    data = {"user": "nrivera", "password": "x1", "items": [{"otp": "123456", "amount": "10.00"}], "n": 3}
    assert mask_data(data) == {
        "user": "nrivera",
        "password": "****",
        "items": [{"otp": "****", "amount": "10.00"}],
        "n": 3,
    }
    assert data["password"] == "x1"  # a copy, not in place


def test_documents_and_phones_are_not_secrets() -> None:
    text = '{"document_number": "1033370434", "phone": "0981123456", "amount": "150000"}'
    assert mask_text(text) == text


def test_mask_body_json_and_form() -> None:
    body = json.dumps({"secret": "654321", "text": "code {secret}"}).encode()
    assert "654321" not in mask_body(body, "application/json")
    assert "654321" not in mask_body(b"otp=654321&x=1", "application/x-www-form-urlencoded")
    assert mask_body(b"", None) == ""


def test_log_lines_are_masked() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "login password=%s", ("Banco.1234",), None)
    line = MaskingFormatter("%(message)s").format(record)
    assert "Banco.1234" not in line and "password=****" in line
