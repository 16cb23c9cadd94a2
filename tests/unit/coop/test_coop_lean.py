"""coop's lean path (sandbox.kit.fast) and FastAPI alone answer the same requests the same way:
status, body (ids aside: they are random), the replay header and the journal entry; what the lean
handlers hand back to FastAPI (invalid bodies) is answered by FastAPI itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.unit.coop.conftest import ALIANZA, KEYS, Coop, make_coop

_ID = re.compile(r'"([DCR])[0-9a-f]{20}"')


def _same(text: str) -> str:
    return _ID.sub(r'"\1<id>"', text)


def _requests(product: str) -> list[tuple[str, Any, dict[str, str]]]:
    auth = {"Authorization": f"Bearer {KEYS['ALIANZA']}"}
    debit = {"product_id": product, "amount": "1000.00", "currency": "COP", "reference": "LEAN-1"}
    credit = {**debit, "amount": "2000.00", "payment_option": "free"}
    return [
        (f"{ALIANZA}/debits", debit, {**auth, "Idempotency-Key": "l-1"}),
        (f"{ALIANZA}/debits", debit, {**auth, "Idempotency-Key": "l-1"}),  # replay
        (f"{ALIANZA}/debits", {**debit, "amount": "5.00"}, {**auth, "Idempotency-Key": "l-1"}),  # reused
        (f"{ALIANZA}/debits", debit, auth),  # no key
        (f"{ALIANZA}/debits", debit, {"Idempotency-Key": "l-2"}),  # no auth
        (f"{ALIANZA}/debits", debit, {"Authorization": "Basic x", "Idempotency-Key": "l-2"}),
        ("/coop/v1/entities/NOPE/debits", debit, {**auth, "Idempotency-Key": "l-2"}),
        (f"{ALIANZA}/debits", {**debit, "amount": "1e3"}, {**auth, "Idempotency-Key": "l-3"}),  # invalid_amount
        (f"{ALIANZA}/debits", {**debit, "amount": 1000}, {**auth, "Idempotency-Key": "l-4"}),  # handed back
        (f"{ALIANZA}/debits", {**debit, "extra": 1}, {**auth, "Idempotency-Key": "l-5"}),  # handed back
        (f"{ALIANZA}/debits", {**debit, "amount": "999999999.00"}, {**auth, "Idempotency-Key": "l-6"}),
        (f"{ALIANZA}/credits", credit, {**auth, "Idempotency-Key": "l-7"}),
        (f"{ALIANZA}/credits", {**credit, "payment_option": "x"}, {**auth, "Idempotency-Key": "l-8"}),
        (f"{ALIANZA}/debits/DNOPE/post", None, {**auth, "Idempotency-Key": "l-9"}),
        (f"{ALIANZA}/debits/DNOPE/void", None, {**auth, "Idempotency-Key": "l-10"}),
        (f"{ALIANZA}/debits/bad%20id/void", None, {**auth, "Idempotency-Key": "l-11"}),
    ]


def _run(coop: Coop, product: str) -> list[tuple[int, str, str | None, str]]:
    out = []
    for path, body, headers in _requests(product):
        answer = coop.client.post(path, json=body, headers=headers)
        out.append((answer.status_code, _same(answer.text), answer.headers.get("Idempotent-Replayed"), path))
    journal = coop.client.get("/_sandbox/journal", params={"limit": 100}).json()["entries"]
    out.append((0, str(sorted((e["method"], e["path"], e["status"]) for e in journal)), None, "journal"))
    return out


def test_the_lean_path_answers_as_fastapi_does(tmp_path: Path) -> None:
    lean_party = make_coop(tmp_path / "lean")
    lean = next(lean_party)
    assert lean.app.fast is not None  # type: ignore[attr-defined]
    plain_party = make_coop(tmp_path / "plain")
    plain = next(plain_party)
    plain.app.fast = None  # type: ignore[attr-defined]
    product = lean.product("7756")["product_id"]
    assert plain.product("7756")["product_id"] == product  # the same reads on both sides
    try:
        got, want = _run(lean, product), _run(plain, product)
        assert [g[0] for g in got][:3] == [201, 201, 422]
        for g, w in zip(got, want, strict=True):
            assert g == w, g[3]
    finally:
        lean_party.close()
        plain_party.close()


@pytest.mark.parametrize("amount", ["1000.00", "1000.92"])
def test_the_lean_path_keeps_the_forced_outcomes(coop: Coop, amount: str) -> None:
    product = coop.product("7756")["product_id"]
    answer = coop.debit(product, amount)
    assert answer.status_code == 201
    assert coop.slept == ([15.0] if amount.endswith(".92") else [])
