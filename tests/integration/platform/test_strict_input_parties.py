"""Strict identity input on the PSE-side parties and notify (issue 16, item 5): documents are read
with the dots people write, non-ASCII digits are refused naming the field, never read as digits."""

from __future__ import annotations

import pytest
import requests

from sandbox.testing import SandboxHandle


def _portal(sandbox: SandboxHandle, documento: str) -> requests.Response:
    return requests.get(
        sandbox.url("merchant") + "/portal",
        params={"documento": documento},
        headers={"accept": "text/html"},
        allow_redirects=False,
        timeout=10,
    )


def test_the_merchant_portal_finds_a_customer_by_the_document_as_written(fresh_sandbox: SandboxHandle) -> None:
    plain, dotted = _portal(fresh_sandbox, "79555111"), _portal(fresh_sandbox, "79.555.111")
    assert plain.status_code == dotted.status_code == 303
    assert plain.headers["location"] == dotted.headers["location"]


@pytest.mark.parametrize("documento", ["٧٩٥٥٥١١١", "７９５５５１１１", "79.55.5111", "79555111;"])
def test_the_merchant_portal_refuses_what_is_not_a_document_on_a_page(
    fresh_sandbox: SandboxHandle, documento: str
) -> None:
    answer = _portal(fresh_sandbox, documento)
    assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
    assert "documento" in answer.text.lower()


@pytest.mark.parametrize("to", ["٣١٠٤٥٦٧٨٩٠", "３１０４５６７８９０", "3104567890\n"])
def test_notify_refuses_a_mobile_in_other_digits(fresh_sandbox: SandboxHandle, to: str) -> None:
    body = {"channel": "sms", "to": to, "text": "hola", "kind": "notice"}
    answer = requests.post(fresh_sandbox.url("notify") + "/messages", json=body, timeout=10)
    assert answer.status_code == 422, answer.text
