"""A merchant's side of the gateway, for scripts and tests (synchronous, ``requests``).

:class:`PayuClient` signs and sends the JSON API's commands and reads reports;
:class:`ConfirmationInbox` is a tiny confirmation page on a local port that records what the
gateway posts (answering with a status you choose) and checks each ``sign``::

    with ConfirmationInbox(api_key=account.api_key) as inbox:
        client = PayuClient(gateway_url, account)
        answer = client.submit_pse("R-1", "150000.00", bank="1022", document="79555111",
                                   email="a@example.com", notify_url=inbox.url)
        ...
        assert inbox.received[0]["state_pol"] == "4" and inbox.valid(inbox.received[0])
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import requests

from sandbox.kit.money import parse_amount
from sandbox.protocols.payu.signatures import request_signature, verify_confirmation_signature
from sandbox.protocols.payu.wire import PAYMENTS_PATH, QUERIES_PATH, QUERY_COMMANDS
from sandbox.world.model import GatewayAccount

TIMEOUT_S = 15.0


@dataclass
class PayuClient:
    base_url: str
    account: GatewayAccount
    http: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.http.trust_env = False

    @property
    def merchant(self) -> dict[str, str]:
        return {"apiLogin": self.account.api_login, "apiKey": self.account.api_key}

    def call(self, body: dict[str, Any], path: str = PAYMENTS_PATH) -> requests.Response:
        return self.http.post(self.base_url + path, json=body, timeout=TIMEOUT_S)

    def command(self, command: str, **extra: Any) -> requests.Response:
        """A command to its API: the queries path for ORDER_DETAIL & co., the payments path otherwise."""
        path = QUERIES_PATH if command in QUERY_COMMANDS else PAYMENTS_PATH
        body = {"language": "es", "command": command, "merchant": self.merchant, "test": True, **extra}
        return self.call(body, path)

    def payment_body(
        self,
        reference: str,
        amount: str,
        *,
        bank: str = "1022",
        document: str = "79555111",
        document_type: str = "CC",
        email: str = "alejandro.gonzalez@example.com",
        user_type: str = "N",
        notify_url: str | None = None,
        response_url: str | None = None,
        signature: str | None = None,
        description: str = "Pago de prueba",
        phone: str = "3115556677",
        name: str = "ALEJANDRO GONZALEZ",
    ) -> dict[str, Any]:
        """A SUBMIT_TRANSACTION body for a PSE payment (signed unless ``signature`` is given)."""
        order: dict[str, Any] = {
            "accountId": self.account.account_id,
            "referenceCode": reference,
            "description": description,
            "language": "es",
            "signature": signature
            or request_signature(self.account.api_key, self.account.merchant_id, reference, amount, "COP"),
            "additionalValues": {"TX_VALUE": {"value": amount, "currency": "COP"}},
            "buyer": {"emailAddress": email, "fullName": name},
        }
        if notify_url:
            order["notifyUrl"] = notify_url
        extra = {
            "PSE_REFERENCE1": "127.0.0.1",
            "PSE_REFERENCE2": document_type,
            "PSE_REFERENCE3": document,
            "FINANCIAL_INSTITUTION_CODE": bank,
            "USER_TYPE": user_type,
        }
        if response_url:
            extra["RESPONSE_URL"] = response_url
        return {
            "language": "es",
            "command": "SUBMIT_TRANSACTION",
            "merchant": self.merchant,
            "test": True,
            "transaction": {
                "order": order,
                "payer": {"fullName": name, "emailAddress": email, "contactPhone": phone, "dniNumber": document},
                "extraParameters": extra,
                "type": "AUTHORIZATION_AND_CAPTURE",
                "paymentMethod": "PSE",
                "paymentCountry": "CO",
                "ipAddress": "127.0.0.1",
            },
        }

    def submit_pse(self, reference: str, amount: str, **kwargs: Any) -> requests.Response:
        return self.call(self.payment_body(reference, amount, **kwargs))

    def refund(
        self, order_id: int | str, reason: str = "Devolución", parent_transaction_id: str | None = None
    ) -> requests.Response:
        transaction: dict[str, Any] = {"order": {"id": order_id}, "type": "REFUND", "reason": reason}
        if parent_transaction_id:
            transaction["parentTransactionId"] = parent_transaction_id
        return self.call(
            {
                "language": "es",
                "command": "SUBMIT_TRANSACTION",
                "merchant": self.merchant,
                "test": True,
                "transaction": transaction,
            }
        )

    def order_by_reference(self, reference: str) -> list[dict[str, Any]]:
        answer = self.command("ORDER_DETAIL_BY_REFERENCE_CODE", details={"referenceCode": reference})
        orders: list[dict[str, Any]] = _success(answer)["result"]["payload"]
        return orders

    def order(self, order_id: int | str) -> dict[str, Any]:
        detail: dict[str, Any] = _success(self.command("ORDER_DETAIL", details={"orderId": order_id}))["result"][
            "payload"
        ]
        return detail

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        answer = self.command("TRANSACTION_RESPONSE_DETAIL", details={"transactionId": transaction_id})
        detail: dict[str, Any] = _success(answer)["result"]["payload"]
        return detail

    def report(self, start: str, end: str | None = None, fmt: str = "json") -> requests.Response:
        params = {"startDate": start, "endDate": end or start, "format": fmt}
        return self.http.get(
            self.base_url + "/reports/v1/transactions",
            params=params,
            auth=(self.account.api_login, self.account.api_key),
            timeout=TIMEOUT_S,
        )


def _success(answer: requests.Response) -> dict[str, Any]:
    """The body of a SUCCESS answer; ``AssertionError`` naming PayU's ``error`` otherwise."""
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    if body.get("code") != "SUCCESS":
        raise AssertionError(f"PayU answered {body.get('code')}: {body.get('error')}")
    return body


class ConfirmationInbox:
    """A merchant's confirmation page on 127.0.0.1 (a free port) that records every POST."""

    def __init__(self, api_key: str, *, status: int = 200) -> None:
        self.api_key = api_key
        self.status = status
        self.received: list[dict[str, str]] = []
        self._lock = threading.Lock()
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                with inbox._lock:
                    inbox.received.append(form)
                    status = inbox.status
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"OK" if status == 200 else b"NO")

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/confirmacion"

    def __enter__(self) -> ConfirmationInbox:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def valid(self, form: dict[str, str]) -> bool:
        """Whether ``sign`` is right for this form (what a merchant must check)."""
        return verify_confirmation_signature(
            form.get("sign", ""),
            api_key=self.api_key,
            merchant_id=form.get("merchant_id", ""),
            reference_sale=form.get("reference_sale", ""),
            amount_minor=parse_amount(form.get("value", "0"), form.get("currency", "COP")),
            currency=form.get("currency", "COP"),
            state_pol=form.get("state_pol", ""),
        )


@contextmanager
def confirmation_inbox(api_key: str, *, status: int = 200) -> Iterator[ConfirmationInbox]:
    with ConfirmationInbox(api_key, status=status) as inbox:
        yield inbox
