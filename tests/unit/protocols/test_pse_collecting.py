"""The collecting entity's calls to ACH (EntitySession) against a fake ACH (httpx.MockTransport): token caching, the four methods,
refusals as data, failures as AchUnavailable, the daily bank-list cache."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from sandbox.kit.clock import Clock
from sandbox.protocols.pse.collecting import AchUnavailable, BankListCache, EntitySession
from sandbox.protocols.pse.models import PLACEHOLDER, CreatePayment, clean_text

T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


class FakeAch:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.tokens = 0
        self.reject_next_bearer = False
        self.fail_with: int | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with:
            return httpx.Response(self.fail_with, text="boom")
        if request.url.path == "/oauth/client_credential/accesstoken":
            assert request.url.params["grant_type"] == "client_credentials"
            assert request.headers["authorization"].startswith("Basic ")
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"tok{self.tokens}", "expires_in": "3599"})
        method = request.url.path.rsplit("/", 1)[-1]
        assert request.url.params["apikey"] == "client-1"
        if self.reject_next_bearer:
            self.reject_next_bearer = False
            return httpx.Response(401, json={"returnCode": "FAIL_ACCESSDENIED", "errorDetails": "token"})
        assert request.headers["authorization"] == f"Bearer tok{self.tokens}"
        body = json.loads(request.content)
        self.calls.append((method, body))
        if method == "GetBankListNF":
            return httpx.Response(200, json=[
                {"financialInstitutionCode": "1051", "financialInstitutionName": "BANCO DAVIVIENDA"},
                {"financialInstitutionCode": "1022", "financialInstitutionName": "BANCO UNION COLOMBIANO"},
            ])  # fmt: skip
        if method == "CreateTransactionPaymentNF":
            if body["financialInstitutionCode"] == "1101":
                return httpx.Response(200, json={"returnCode": "FAIL_BANKUNREACHEABLE", "errorDetails": "sin conexión"})
            if body["serviceCode"] == "bad":
                return httpx.Response(400, json={"returnCode": "FAIL_INVALIDPARAMETERS", "field": "serviceCode"})
            return httpx.Response(200, json={
                "returnCode": "SUCCESS", "trazabilityCode": "123456", "pseURL": "http://ach/pse/pago?enc=x",
                "transactionCycle": 2,
            })  # fmt: skip
        if method == "GetTransactionInformationNF":
            return httpx.Response(200, json={
                "returnCode": "SUCCESS", "transactionState": "OK", "transactionValue": "350000.00",
                "vatValue": "0.00", "ticketId": 1, "authorizationID": "AUT1", "transactionCycle": 2,
            })  # fmt: skip
        return httpx.Response(200, json={"returnCode": "SUCCESS", "transactionState": "OK"})


def run(factory: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    return asyncio.run(factory())


def make(fake: FakeAch, clock: Clock) -> EntitySession:
    http = httpx.AsyncClient(base_url="http://ach", transport=httpx.MockTransport(fake))
    return EntitySession(http, entity_code="10001", client_id="client-1", client_secret="s3cret-s3cret", clock=clock)


def payment(bank: str = "1022", service: str = "1001") -> CreatePayment:
    return CreatePayment(
        entity_code="10001", bank_code=bank, service_code=service, amount_minor=35000000, vat_minor=0,
        ticket_id=840000001, entity_url="http://gw/pse/retorno/x", user_type="person", reference1="127.0.0.1",
        reference2="CC", reference3="79555111", solicit_date=T0.astimezone(ZoneInfo("America/Bogota")),
        description='Factura "FV|1001"', identification_type="CC", identification_number="79555111",
        full_name="Alejandro González", cellphone="3115556677", address="N/A", email="a@example.com",
    )  # fmt: skip


def test_the_token_is_cached_until_it_expires() -> None:
    fake, clock = FakeAch(), Clock.frozen(T0)
    client = make(fake, clock)

    async def scenario() -> None:
        await client.get_bank_list()
        await client.get_information("123456")
        assert fake.tokens == 1
        clock.advance(3599 - 60)  # within the safety margin: a new token
        await client.get_information("123456")
        assert fake.tokens == 2

    run(scenario)


def test_a_401_fetches_a_new_token_once() -> None:
    fake = FakeAch()
    client = make(fake, Clock.frozen(T0))

    async def scenario() -> None:
        await client.get_bank_list()
        fake.reject_next_bearer = True
        banks = await client.get_bank_list()
        assert [b.code for b in banks] == ["1051", "1022"]
        assert fake.tokens == 2

    run(scenario)


def test_create_sends_the_documented_fields() -> None:
    fake = FakeAch()
    result = run(lambda: make(fake, Clock.frozen(T0)).create_payment(payment()))
    assert result.ok and result.cus == "123456" and result.cycle == 2
    method, body = fake.calls[-1]
    assert method == "CreateTransactionPaymentNF"
    assert body["transactionValue"] == "350000.00" and body["vatValue"] == "0.00"
    assert body["ticketId"] == 840000001 and body["userType"] == "person"
    assert body["soliciteDate"] == "2026-01-15T10:00:00-05:00"
    assert (body["referenceNumber1"], body["referenceNumber2"], body["referenceNumber3"]) == (
        "127.0.0.1", "CC", "79555111",
    )  # fmt: skip
    assert "|" not in body["paymentDescription"] and '"' not in body["paymentDescription"]


def test_refusals_are_data() -> None:
    fake = FakeAch()
    unreachable = run(lambda: make(fake, Clock.frozen(T0)).create_payment(payment(bank="1101")))
    assert not unreachable.ok and unreachable.return_code == "FAIL_BANKUNREACHEABLE"
    invalid = run(lambda: make(fake, Clock.frozen(T0)).create_payment(payment(service="bad")))
    assert invalid.return_code == "FAIL_INVALIDPARAMETERS"


def test_query_parses_amounts_into_minor_units() -> None:
    info = run(lambda: make(FakeAch(), Clock.frozen(T0)).get_information("123456"))
    assert info.ok and info.state == "OK" and info.amount_minor == 35000000 and info.authorization_id == "AUT1"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_raise_ach_unavailable(status: int) -> None:
    fake = FakeAch()
    fake.fail_with = status
    with pytest.raises(AchUnavailable):
        run(lambda: make(fake, Clock.frozen(T0)).get_bank_list())


def test_a_dead_ach_raises_ach_unavailable() -> None:
    def dead(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    http = httpx.AsyncClient(base_url="http://ach", transport=httpx.MockTransport(dead))
    client = EntitySession(http, entity_code="1", client_id="c", client_secret="s", clock=Clock.frozen(T0))
    with pytest.raises(AchUnavailable, match="ConnectError"):
        run(client.get_bank_list)


def test_the_bank_list_is_refreshed_at_most_once_a_sandbox_day() -> None:
    fake, clock = FakeAch(), Clock.frozen(T0)
    client = make(fake, clock)
    cache = BankListCache(ZoneInfo("America/Bogota"))

    async def scenario() -> None:
        page = await cache.for_page(client, clock.now())
        assert page[0] == PLACEHOLDER and page[0].name == "A continuación seleccione su banco"
        assert [b.name for b in page[1:]] == ["BANCO DAVIVIENDA", "BANCO UNION COLOMBIANO"]  # A–Z
        clock.advance(13 * 3600)  # 23:00 the same day in Bogotá
        await cache.get(client, clock.now())
        assert cache.fetches == 1
        clock.advance(3600)  # 00:00 the next day
        await cache.get(client, clock.now())
        assert cache.fetches == 2
        fake.fail_with = 503
        clock.advance(86400)
        stale = await cache.get(client, clock.now())  # ACH down: yesterday's list still serves
        assert len(stale) == 2 and cache.fetches == 2

    run(scenario)


def test_clean_text_removes_forbidden_characters() -> None:
    assert clean_text('Pago "A" | B', 80) == "Pago A B"
    assert len(clean_text("x" * 200, 80)) == 80
