"""PSE driven from a script: synchronous callers of ACH's APIs for tests, BDD steps, scripts and the CLI.

:class:`PseClient` is a collecting entity, :class:`BankSideClient` a bank on ACH's bank-side API,
:class:`PayerBrowser` a payer clicking through the PSE portal and a simulated bank.

>>> pse = PseClient("http://127.0.0.1:8001", "tornillo-pse", "tornillo-secret-8d2b")  # doctest: +SKIP
>>> answer = pse.create(example_payment("10002", "1022", "150000.00", ticket_id=1))   # doctest: +SKIP
>>> answer.body["returnCode"], answer.body["pseURL"]                                   # doctest: +SKIP

It gets and keeps the OAuth token, adds ``apikey`` and ``Authorization: Bearer``, and for an
entity with a JWE key encrypts requests and decrypts answers (``alg=dir``, ``enc=A256GCM``).
Each call returns a :class:`PseAnswer` (HTTP status and decoded body); it never raises for an
ACH refusal, so tests can assert on any ``returnCode``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.protocols.colombia import COLOMBIA
from sandbox.protocols.pse import jwe

DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class PseAnswer:
    status: int
    body: Any
    content_type: str = "application/json"

    @property
    def code(self) -> str | None:
        return self.body.get("returnCode") if isinstance(self.body, dict) else None


def example_payment(
    entity_code: str,
    bank_code: str,
    value: str,
    *,
    ticket_id: int,
    service_code: str = "2001",
    solicited: datetime | None = None,
    email: str = "camila.torres@example.com",
    **overrides: Any,
) -> dict[str, Any]:
    """A valid ``CreateTransactionPaymentNF`` body (a person paying with a cédula)."""
    when = (solicited or datetime.fromisoformat("2026-01-15T10:00:00-05:00")).astimezone(COLOMBIA)
    body: dict[str, Any] = {
        "entityCode": entity_code,
        "financialInstitutionCode": bank_code,
        "serviceCode": service_code,
        "transactionValue": value,
        "vatValue": "0.00",
        "ticketId": ticket_id,
        "entityurl": "http://127.0.0.1:9/retorno",
        "userType": "person",
        "referenceNumber1": "127.0.0.1",
        "referenceNumber2": "CC",
        "referenceNumber3": "1020304050",
        "soliciteDate": when.isoformat(timespec="seconds"),
        "paymentDescription": "Pago de prueba",
        "identificationType": "CC",
        "identificationNumber": "1020304050",
        "fullName": "CAMILA ANDREA TORRES",
        "cellphoneNumber": "3001234567",
        "address": "Calle 1 # 2-3",
        "email": email,
    }
    body.update(overrides)
    return body


class PseClient:
    """ACH PSE as one collecting entity sees it."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        jwe_key: str | None = None,
        http: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.jwe_key = jwe_key
        self.http = http or requests.Session()
        self.timeout_s = timeout_s
        self.access_token: str | None = None

    def token(self, *, force: bool = False) -> str:
        if self.access_token is None or force:
            response = self.http.post(
                f"{self.base_url}/oauth/client_credential/accesstoken",
                params={"grant_type": "client_credentials"},
                auth=(self.client_id, self._client_secret),
                timeout=self.timeout_s,
            )
            response.raise_for_status()
            self.access_token = str(response.json()["access_token"])
        return self.access_token

    def call(self, method: str, body: Any, *, token: str | None = None, apikey: str | None = None) -> PseAnswer:
        """One method call. With the client's own token, a 401 fetches a new token once."""
        answer = self._call(method, body, token=token or self.token(), apikey=apikey)
        if answer.status == 401 and token is None and apikey is None:
            answer = self._call(method, body, token=self.token(force=True), apikey=apikey)
        return answer

    def _call(self, method: str, body: Any, *, token: str, apikey: str | None) -> PseAnswer:
        headers = {"Authorization": f"Bearer {token}"}
        if self.jwe_key is not None:
            data: bytes = jwe.encrypt(json.dumps(body).encode(), self.jwe_key).encode()
            headers["Content-Type"] = jwe.CONTENT_TYPE
        else:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        response = self.http.post(
            f"{self.base_url}/psewebapinf/api/{method}",
            params={"apikey": apikey if apikey is not None else self.client_id},
            data=data,
            headers=headers,
            timeout=self.timeout_s,
        )
        ctype = response.headers.get("content-type", "")
        if ctype.startswith(jwe.CONTENT_TYPE) and self.jwe_key is not None:
            return PseAnswer(response.status_code, json.loads(jwe.decrypt(response.text, self.jwe_key)), ctype)
        try:
            return PseAnswer(response.status_code, response.json(), ctype)
        except ValueError:
            return PseAnswer(response.status_code, response.text, ctype)

    def bank_list(self, entity_code: str) -> PseAnswer:
        return self.call("GetBankListNF", {"entityCode": entity_code})

    def create(self, body: dict[str, Any]) -> PseAnswer:
        return self.call("CreateTransactionPaymentNF", body)

    def query(self, entity_code: str, cus: str) -> PseAnswer:
        return self.call("GetTransactionInformationNF", {"entityCode": entity_code, "trazabilityCode": cus})

    def finalize(self, entity_code: str, cus: str, entity_authorization_id: str) -> PseAnswer:
        return self.call(
            "FinalizeTransactionPaymentNF",
            {"entityCode": entity_code, "trazabilityCode": cus, "entityAuthorizationId": entity_authorization_id},
        )


class BankSideClient:
    """ACH's bank-side API as one bank sees it (HTTP Basic with the bank's ``ach_secret``)."""

    def __init__(
        self,
        base_url: str,
        bank_code: str,
        ach_secret: str,
        *,
        http: requests.Session | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.bank_code = bank_code
        self._secret = ach_secret
        self.http = http or requests.Session()
        self.timeout_s = timeout_s

    def call(self, method: str, body: Any) -> PseAnswer:
        response = self.http.post(
            f"{self.base_url}/psebancos/api/{method}",
            json=body,
            auth=(self.bank_code, self._secret),
            timeout=self.timeout_s,
        )
        return PseAnswer(response.status_code, response.json())

    def information(self, cus: str) -> PseAnswer:
        body = {"trazabilityCode": cus, "financialInstitutionCode": self.bank_code}
        return self.call("GetTransactionInformation", body)

    def confirm(self, cus: str, info: dict[str, Any], state: str, **overrides: Any) -> PseAnswer:
        """Confirm ``state`` for a transaction, copying its data from ``info`` (a query answer)."""
        body = {
            "trazabilityCode": cus,
            "financialInstitutionCode": self.bank_code,
            "entityCode": info["entityCode"],
            "transactionValue": info["transactionValue"],
            "vatValue": info["vatValue"],
            "ticketId": info["ticketId"],
            "soliciteDate": info["soliciteDate"],
            "bankProcessDate": info["soliciteDate"],
            "transactionState": state,
            "authorizationId": "A1B2C3" if state == "OK" else None,
        }
        body.update(overrides)
        return self.call("ConfirmTransactionPayment", body)


class PayerBrowser:
    """A payer's browser through the PSE portal and a simulated bank (forms, redirects, cookies).

    Every method returns the final :class:`requests.Response` after following redirects, so a
    caller can look at ``response.url`` (where the browser ended) and ``response.text``.
    """

    def __init__(self, http: requests.Session | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.http = http or requests.Session()
        self.timeout_s = timeout_s

    @staticmethod
    def portal_token(pse_url: str) -> str:
        query = parse_qs(urlsplit(pse_url).query)
        return query["enc"][0]

    @staticmethod
    def portal_base(pse_url: str) -> str:
        parts = urlsplit(pse_url)
        return f"{parts.scheme}://{parts.netloc}"

    def open(self, url: str) -> requests.Response:
        return self.http.get(url, timeout=self.timeout_s)

    def go_to_bank(self, pse_url: str, email: str, person_type: str = "natural") -> requests.Response:
        """Type the e-mail at PSE and press "Ir al Banco"."""
        return self.http.post(
            f"{self.portal_base(pse_url)}/pse/pago",
            data={"enc": self.portal_token(pse_url), "email": email, "person_type": person_type},
            timeout=self.timeout_s,
        )

    def register(
        self,
        pse_url: str,
        *,
        email: str,
        document_type: str,
        document_number: str,
        full_name: str,
        person_type: str = "natural",
    ) -> requests.Response:
        """ "Quiero registrarme ahora" with the given data (back to the payment when it works)."""
        return self.http.post(
            f"{self.portal_base(pse_url)}/pse/registro",
            data={"enc": self.portal_token(pse_url), "email": email, "person_type": person_type,
                  "document_type": document_type, "document_number": document_number, "full_name": full_name},
            timeout=self.timeout_s,
        )  # fmt: skip

    def bank_login(self, bank_url: str, username: str, password: str) -> requests.Response:
        """Log in on the bank's PSE page (``bank_url`` is where "Ir al Banco" landed)."""
        return self.http.post(bank_url, data={"username": username, "password": password}, timeout=self.timeout_s)

    def pay(self, bank_url: str, account: int = 0, action: str = "pagar") -> requests.Response:
        """Press "Pagar" (or "Cancelar") on the summary; ends on the receipt."""
        return self.http.post(
            f"{bank_url.rstrip('/')}/pagar", data={"cuenta": str(account), "accion": action}, timeout=self.timeout_s
        )
