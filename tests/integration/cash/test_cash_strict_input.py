"""Strict money, identity and day input on the running cash parties (issue 16, item 5; NET-03).

Measured before: the cashier page turned "1500.50" into ₲150.050 by dropping every dot; the switch
and red read " 1000 ", "+1000", "1_000", "1e3", full-width and Arabic-Indic digits as 1000; a cédula
written "4.567.890" was refused; ``date=0`` was 1970-01-01."""

from __future__ import annotations

import re

import pytest
from cash_helpers import Net

LENIENT = [" 1000 ", "+1000", "-1000", "1_000", "1e3", "1000.0", "1.000", "１０００", "١٠٠٠", 1000, 1000.5]
DAYS = ["0", "9999-12-31", "0001-01-01", "20260115", "1768435200", "2026-W03-4", "2026-01-15T00:00:00"]


@pytest.mark.parametrize("amount", LENIENT, ids=repr)
def test_the_switch_and_red_refuse_a_lenient_amount_naming_it(net: Net, amount: object) -> None:
    switch = net.withdraw("STRICT-1", amount=amount)  # type: ignore[arg-type]
    assert switch.status_code == 422 and switch.json()["field"] == "amount", switch.text
    red = net.red(operation="deposit", counter_id="RC-001", document_number="5678901", amount=amount)
    assert red.status_code == 422 and red.json()["field"] == "amount", red.text
    assert net.switch("GET", "/withdrawals", params={"trace_number": "STRICT-1"}).json()["items"] == []
    assert net.holds() == []


def test_a_cedula_with_dots_is_the_holders(net: Net) -> None:
    answer = net.withdraw("STRICT-2", amount="100000", document_number="4.567.890")
    assert answer.status_code == 201 and answer.json()["status"] == "approved", answer.text
    assert answer.json()["card_id"] == "DIMO-0001"
    app = net.http.get(net.url("ceibo", "/app"), params={"q": "4.567.890"}, timeout=10)
    assert app.status_code == 200 and "DIMO-0001" in app.text


@pytest.mark.parametrize("day", DAYS)
def test_a_day_is_yyyy_mm_dd_within_the_years_of_the_sandbox(net: Net, day: str) -> None:
    for party, path in (
        ("switch", "/sicoop/v1/reconciliation"),
        ("ceibo", "/ceibo/v1/reports/holds"),
        ("red", "/red/v1/reports/registrations"),
    ):
        answer = net.http.get(net.url(party, path), params={"date": day}, timeout=10)
        assert answer.status_code == 422 and answer.json()["field"] == "date", (party, answer.text)
    page = net.http.get(net.url("switch", "/sicoop/conciliacion"), params={"date": day}, timeout=10)
    assert page.status_code == 200 and 'role="alert">La fecha' in page.text, page.text  # today's report, and why


def _form(net: Net, **fields: str) -> tuple[int, str, str | None]:
    data = {"boca": "RC-001", "tipo_identificacion": "cedula", "trace_number": "", **fields}
    answer = net.http.post(
        net.url("red", "/sicoop/deposito"),
        data=data,
        allow_redirects=False,
        headers={"accept": "text/html"},
        timeout=30,
    )
    return answer.status_code, answer.text, answer.headers.get("location")


@pytest.mark.parametrize("monto", ["1500.50", "1.500,50", "1.50.000", "1e3", "+1000", "１０００", "1_000", "0"])
def test_the_cashier_page_refuses_what_is_not_guaranies_as_people_write_them(net: Net, monto: str) -> None:
    status, text, _ = _form(net, identificacion="5678901", monto=monto)
    assert status == 422 and "«Monto»" in text, text
    assert net.counters()["RC-001"]["cash"] == "20000000"


def test_the_cashier_page_reads_the_dots_people_write(net: Net) -> None:
    status, _, location = _form(net, identificacion="5.678.901", monto="1.500.000")
    assert status == 303 and location is not None
    operation = net.http.get(net.url("red", location), timeout=10)
    assert operation.status_code == 200
    assert re.search(r"1\.500\.000", operation.text), operation.text
