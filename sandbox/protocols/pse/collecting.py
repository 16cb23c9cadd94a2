"""ACH Colombia PSE's REST interface (the "NF" methods), as a collecting company calls it.

Used by the gateway (collecting under its own entity for every merchant account) and by the
merchant's own "Pagar con PSE" button (:class:`AchPeer`). The contract (the ``ach`` party's
module docstring documents the wire):

* ``POST {ach}/oauth/client_credential/accesstoken?grant_type=client_credentials`` with the
  entity's ``client_id``/``client_secret`` → ``{"access_token", "expires_in", ...}``; the token is
  cached until shortly before it expires (sandbox clock) and fetched again after a 401;
* ``POST {ach}/psewebapinf/api/<Method>?apikey=<clientId>`` with ``Authorization: Bearer`` for
  ``GetBankListNF``, ``CreateTransactionPaymentNF``, ``GetTransactionInformationNF`` and
  ``FinalizeTransactionPaymentNF``.

A refusal by ACH (``returnCode`` other than ``SUCCESS``) is data, returned to the caller; only a
transport failure, a 5xx or an answer that is not the protocol raise :class:`AchUnavailable`, so
that callers can end every call in a defined state (NET-06).

The bank list is fetched from ACH (GetBankListNF), cached, refreshed at most once a sandbox day
(in the network's time zone); if ACH cannot be reached when the day's refresh is due, yesterday's
list keeps serving; with no list at all the caller gets :class:`AchUnavailable` (or, through
:meth:`AchPeer.banks`, a 502 ``ach_unavailable``).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import httpx

from sandbox.kit.clock import Clock
from sandbox.kit.errors import SandboxError
from sandbox.kit.peers import Peers
from sandbox.protocols.pse.models import PLACEHOLDER, AchBank, CreatePayment, CreateResult, TransactionInfo, bank_list
from sandbox.world.model import PseEntity

log = logging.getLogger("sandbox.pse")

TOKEN_PATH = "/oauth/client_credential/accesstoken"  # noqa: S105 - a URL path, not a secret
API_PATH = "/psewebapinf/api/"


class AchUnavailable(Exception):
    """ACH did not answer with its protocol (down, timeout, 5xx, garbage)."""


class EntitySession:
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
        return bank_list(items)

    async def create_payment(self, payment: CreatePayment) -> CreateResult:
        return CreateResult.from_answer(await self.call("CreateTransactionPaymentNF", payment.body()))

    async def get_information(self, cus: str, currency: str = "COP") -> TransactionInfo:
        data = await self.call("GetTransactionInformationNF", {"entityCode": self.entity_code, "trazabilityCode": cus})
        return TransactionInfo.from_answer(cus, data, currency)

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


class BankListCache:
    """The PSE bank list as a collecting company keeps it (see the module docstring)."""

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz
        self.banks: list[AchBank] = []
        self.fetched_on: date | None = None
        self.fetched_at: datetime | None = None
        self.fetches = 0
        self._lock = asyncio.Lock()

    def reset(self) -> None:
        self.banks, self.fetched_on, self.fetched_at, self.fetches = [], None, None, 0

    def is_fresh(self, now: datetime) -> bool:
        return self.fetched_on is not None and self.fetched_on == now.astimezone(self.tz).date()

    async def get(self, session: EntitySession, now: datetime) -> list[AchBank]:
        """The banks (without the placeholder), fetching them if today's list is missing."""
        async with self._lock:
            if self.is_fresh(now):
                return list(self.banks)
            try:
                banks = await session.get_bank_list()
            except AchUnavailable:
                if self.banks:
                    return list(self.banks)
                raise
            self.banks = banks
            self.fetched_on = now.astimezone(self.tz).date()
            self.fetched_at = now
            self.fetches += 1
            return list(banks)

    async def for_page(self, session: EntitySession, now: datetime) -> list[AchBank]:
        """The list as shown to a person: the placeholder first, then A–Z."""
        return [PLACEHOLDER, *await self.get(session, now)]

    def name_of(self, code: str) -> str | None:
        return next((b.name for b in self.banks if b.code == code), None)

    def export(self) -> dict[str, Any]:
        return {
            "fetched_on": self.fetched_on.isoformat() if self.fetched_on else None,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "fetches": self.fetches,
            "banks": [{"code": b.code, "name": b.name} for b in self.banks],
        }


class AchPeer:
    """ACH, as a company that collects through PSE calls it: one :class:`EntitySession` per
    collecting entity (each with its own OAuth token) and the bank list, from ``cache``.

    The gateway (collecting for its merchants) and the merchant's own PSE button use it."""

    def __init__(self, peers: Peers, clock: Clock, cache: BankListCache) -> None:
        self.peers = peers
        self.clock = clock
        self.cache = cache
        self._sessions: dict[str, EntitySession] = {}

    def session(self, entity: PseEntity) -> EntitySession:
        session = self._sessions.get(entity.entity_code)
        if session is None:
            session = EntitySession(
                self.peers.client("ach"),
                entity_code=entity.entity_code,
                client_id=entity.client_id,
                client_secret=entity.client_secret,
                clock=self.clock,
            )
            self._sessions[entity.entity_code] = session
        return session

    async def banks(self, entity: PseEntity) -> list[AchBank]:
        """The bank list (cached, refreshed at most once a sandbox day); 502 when ACH is down."""
        try:
            return await self.cache.get(self.session(entity), self.clock.now())
        except AchUnavailable as exc:
            raise SandboxError(
                "No fue posible obtener la lista de bancos de PSE. Intente de nuevo en unos minutos.",
                code="ach_unavailable",
                status=502,
            ) from exc
