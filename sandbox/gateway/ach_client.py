"""Client of ACH Colombia PSE's REST interface (the "NF" methods), as a collecting company uses it.

Used by the gateway (collecting under its own entity for every merchant account) and by the
merchant's own "Pagar con PSE" button. The contract (``docs``: protocols.md, and the ``ach``
party's module docstring):

* ``POST {ach}/oauth/client_credential/accesstoken?grant_type=client_credentials`` with the
  entity's ``client_id``/``client_secret`` → ``{"access_token", "expires_in", ...}``; the token is
  cached until shortly before it expires (sandbox clock) and fetched again after a 401;
* ``POST {ach}/psewebapinf/api/<Method>?apikey=<clientId>`` with ``Authorization: Bearer`` for
  ``GetBankListNF``, ``CreateTransactionPaymentNF``, ``GetTransactionInformationNF`` and
  ``FinalizeTransactionPaymentNF``.

A refusal by ACH (``returnCode`` other than ``SUCCESS``) is data, returned to the caller; only a
transport failure, a 5xx or an answer that is not the protocol raise :class:`AchUnavailable`, so
that callers can end every call in a defined state (NET-06).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from sandbox.kit.clock import Clock
from sandbox.kit.money import format_amount, parse_amount

log = logging.getLogger("sandbox.ach_client")

TOKEN_PATH = "/oauth/client_credential/accesstoken"  # noqa: S105 - a URL path, not a secret
API_PATH = "/psewebapinf/api/"
#: Characters ACH forbids in descriptions and references.
FORBIDDEN_CHARS = str.maketrans({"|": " ", '"': " "})


class AchUnavailable(Exception):
    """ACH did not answer with its protocol (down, timeout, 5xx, garbage)."""


def clean_text(value: str, limit: int = 80) -> str:
    """Remove the characters ACH refuses (``|`` and ``"``) and trim to ``limit``."""
    return " ".join(value.translate(FORBIDDEN_CHARS).split())[:limit]


@dataclass(frozen=True, slots=True)
class AchBank:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CreatePayment:
    """What a collecting company asks ACH for (CreateTransactionPaymentNF)."""

    entity_code: str
    bank_code: str
    service_code: str
    amount_minor: int
    vat_minor: int
    ticket_id: int
    entity_url: str
    user_type: str  # "person" | "company"
    reference1: str  # payer IP
    reference2: str  # document type
    reference3: str  # document number
    solicit_date: datetime
    description: str
    identification_type: str
    identification_number: str
    full_name: str
    cellphone: str
    address: str
    email: str
    currency: str = "COP"

    def body(self) -> dict[str, Any]:
        return {
            "entityCode": self.entity_code,
            "financialInstitutionCode": self.bank_code,
            "serviceCode": self.service_code,
            "transactionValue": format_amount(self.amount_minor, self.currency),
            "vatValue": format_amount(self.vat_minor, self.currency),
            "ticketId": self.ticket_id,
            "entityurl": self.entity_url,
            "userType": self.user_type,
            "referenceNumber1": clean_text(self.reference1, 60),
            "referenceNumber2": clean_text(self.reference2, 60),
            "referenceNumber3": clean_text(self.reference3, 60),
            "soliciteDate": self.solicit_date.isoformat(timespec="seconds"),
            "paymentDescription": clean_text(self.description, 80),
            "identificationType": self.identification_type,
            "identificationNumber": self.identification_number,
            "fullName": clean_text(self.full_name, 80),
            "cellphoneNumber": self.cellphone,
            "address": clean_text(self.address, 80),
            "email": self.email,
        }


@dataclass(frozen=True, slots=True)
class CreateResult:
    return_code: str
    cus: str | None
    pse_url: str | None
    cycle: int | None
    error_details: str | None

    @property
    def ok(self) -> bool:
        return self.return_code == "SUCCESS" and bool(self.cus) and bool(self.pse_url)


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    return_code: str
    state: str | None  # OK | NOT_AUTHORIZED | PENDING | FAILED
    cus: str
    bank_code: str | None = None
    amount_minor: int | None = None
    vat_minor: int | None = None
    ticket_id: str | None = None
    cycle: int | None = None
    authorization_id: str | None = None
    bank_process_date: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.return_code == "SUCCESS" and self.state is not None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _amount_or_none(value: Any, currency: str) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        text = format(value, "f") if isinstance(value, Decimal | float) else str(value)
        return parse_amount(text, currency)
    except ValueError:
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


class AchClient:
    """Calls ACH as one collecting entity (its ``entity_code`` and OAuth client)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        entity_code: str,
        client_id: str,
        client_secret: str,
        clock: Clock,
    ) -> None:
        self.http = http
        self.entity_code = entity_code
        self.client_id = client_id
        self._client_secret = client_secret
        self.clock = clock
        self._token: str | None = None
        self._token_until: datetime | None = None

    # -- transport -------------------------------------------------------------------------
    async def _fetch_token(self) -> str:
        try:
            response = await self.http.post(
                TOKEN_PATH,
                params={"grant_type": "client_credentials"},
                data={"client_id": self.client_id, "client_secret": self._client_secret},
                auth=(self.client_id, self._client_secret),
            )
        except httpx.HTTPError as exc:
            raise AchUnavailable(f"ACH no responde al pedir el token: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise AchUnavailable(f"ACH negó el token (HTTP {response.status_code})")
        try:
            body = response.json()
            token = str(body["access_token"])
            expires_in = int(str(body.get("expires_in", 3600)))
        except (ValueError, KeyError, TypeError) as exc:
            raise AchUnavailable("ACH respondió el token con un formato inesperado") from exc
        self._token = token
        self._token_until = self.clock.now() + timedelta(seconds=max(expires_in - 60, 30))
        return token

    async def _bearer(self) -> str:
        now = self.clock.now()
        if self._token is None or self._token_until is None or now >= self._token_until:
            return await self._fetch_token()
        return self._token

    async def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """One NF method call; the JSON answer (with its ``returnCode``)."""
        for attempt in (1, 2):
            token = await self._bearer()
            try:
                response = await self.http.post(
                    API_PATH + method,
                    params={"apikey": self.client_id},
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except httpx.HTTPError as exc:
                raise AchUnavailable(f"ACH no responde a {method}: {type(exc).__name__}") from exc
            if response.status_code == 401 and attempt == 1:
                self._token = None  # expired or revoked: fetch a new one, once
                continue
            if response.status_code >= 500:
                raise AchUnavailable(f"ACH respondió HTTP {response.status_code} a {method}")
            try:
                data = response.json()
            except ValueError as exc:
                raise AchUnavailable(f"ACH respondió a {method} algo que no es JSON") from exc
            if not isinstance(data, dict | list):
                raise AchUnavailable(f"ACH respondió a {method} con un formato inesperado")
            if isinstance(data, list):
                return {"returnCode": "SUCCESS", "items": data}
            if response.status_code >= 400 and "returnCode" not in data:
                code = str(data.get("error") or f"HTTP_{response.status_code}")
                return {"returnCode": "FAIL_INVALIDPARAMETERS", "errorDetails": data.get("message") or code}
            return data
        raise AchUnavailable(f"ACH rechazó el token dos veces en {method}")

    # -- methods ---------------------------------------------------------------------------
    async def get_bank_list(self) -> list[AchBank]:
        data = await self.call("GetBankListNF", {"entityCode": self.entity_code})
        items: Any = data.get("items")
        if items is None:
            items = next((v for v in data.values() if isinstance(v, list)), None)
        if not isinstance(items, list):
            raise AchUnavailable(f"GetBankListNF sin lista de bancos (returnCode {data.get('returnCode')})")
        banks = []
        for item in items:
            if not isinstance(item, dict):
                continue
            code = _str_or_none(item.get("financialInstitutionCode"))
            name = _str_or_none(item.get("financialInstitutionName"))
            if code and name and code != "0":
                banks.append(AchBank(code, name))
        return sorted(banks, key=lambda b: b.name.upper())

    async def create_payment(self, payment: CreatePayment) -> CreateResult:
        data = await self.call("CreateTransactionPaymentNF", payment.body())
        return CreateResult(
            return_code=str(data.get("returnCode") or "FAIL_GENERICERROR"),
            cus=_str_or_none(data.get("trazabilityCode")),
            pse_url=_str_or_none(data.get("pseURL")),
            cycle=_int_or_none(data.get("transactionCycle")),
            error_details=_str_or_none(data.get("errorDetails")),
        )

    async def get_information(self, cus: str, currency: str = "COP") -> TransactionInfo:
        data = await self.call("GetTransactionInformationNF", {"entityCode": self.entity_code, "trazabilityCode": cus})
        return TransactionInfo(
            return_code=str(data.get("returnCode") or "FAIL_GENERICERROR"),
            state=_str_or_none(data.get("transactionState")),
            cus=cus,
            bank_code=_str_or_none(data.get("financialInstitutionCode")),
            amount_minor=_amount_or_none(data.get("transactionValue"), currency),
            vat_minor=_amount_or_none(data.get("vatValue"), currency),
            ticket_id=_str_or_none(data.get("ticketId")),
            cycle=_int_or_none(data.get("transactionCycle")),
            authorization_id=_str_or_none(data.get("authorizationID") or data.get("authorizationId")),
            bank_process_date=_str_or_none(data.get("bankProcessDate")),
            raw=data,
        )

    async def finalize(self, cus: str, entity_authorization_id: str) -> str:
        data = await self.call(
            "FinalizeTransactionPaymentNF",
            {
                "entityCode": self.entity_code,
                "trazabilityCode": cus,
                "entityAuthorizationId": entity_authorization_id,
            },
        )
        return str(data.get("returnCode") or "FAIL_GENERICERROR")
