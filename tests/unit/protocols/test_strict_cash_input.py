"""Strict money and identity input on the cash wire (issue 16, item 5; NET-03): the switch's SICOOP
requests, CEIBO's holds and the network's operations refuse every lenient amount the issue measured
(" 1000 ", "+1000", "1_000", "1e3", full-width and Arabic-Indic digits were all read as 1000), name
the field, and accept a cédula written with the dots people use."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from sandbox.protocols.paraguay import normalize_cedula, normalize_phone
from sandbox.protocols.sicoop import DepositIn, HoldIn, WithdrawalIn
from sandbox.sicoop.red.models import OperationIn

LENIENT = [
    " 1000 ",
    "1000 ",
    "+1000",
    "-1000",
    "1_000",
    "1e3",
    "1E3",
    "1000.0",  # guaraníes have no decimals
    "1.000",  # a wire amount has no thousands separator (pages accept 1.000)
    "1,000",
    "１０００",  # full-width
    "١٠٠٠",  # Arabic-Indic
    "१०००",  # Devanagari
    "NaN",
    "Infinity",
    "0x3E8",
    "",
    "0",
    1000,  # a JSON number: amounts are decimal text here
    1000.0,
    True,
]


def _open(model: type[BaseModel], **fields: Any) -> BaseModel:
    base: dict[str, Any] = {"trace_number": "T-1", "counter_id": "RC-001", "document_number": "4567890"}
    if model is WithdrawalIn:
        base["soft_token"] = "123456"
    if model is OperationIn:
        base = {"operation": "withdrawal", "counter_id": "RC-001", "document_number": "4567890", "soft_token": "123456"}
    if model is HoldIn:
        base = {"hold_id": "wd-1", "card_id": "DIMO-0001", "kind": "debit", "soft_token": "123456"}
    return model.model_validate({**base, "amount": "1000", **fields})


MODELS = [WithdrawalIn, DepositIn, OperationIn, HoldIn]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("amount", LENIENT, ids=repr)
def test_a_lenient_amount_is_refused_naming_the_field(model: type[BaseModel], amount: object) -> None:
    with pytest.raises(ValidationError) as refused:
        _open(model, amount=amount)
    assert [e["loc"] for e in refused.value.errors()] == [("amount",)]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_plain_amount_is_read_exactly(model: type[BaseModel]) -> None:
    assert _open(model, amount="1500000").amount_minor == 1_500_000  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", [WithdrawalIn, DepositIn, OperationIn], ids=lambda m: m.__name__)
@pytest.mark.parametrize(("written", "read"), [("4.567.890", "4567890"), ("4567890", "4567890"), ("456.789", "456789")])
def test_a_cedula_with_the_dots_people_write_is_its_digits(model: type[BaseModel], written: str, read: str) -> None:
    assert _open(model, document_number=written).document_number == read  # type: ignore[attr-defined]


@pytest.mark.parametrize("model", [WithdrawalIn, DepositIn, OperationIn], ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    "written", ["45.67.890", "4.567.890.123", "４５６７８９０", "٤٥٦٧٨٩٠", "4567\n890", "+4567890", "4,567,890"]
)
def test_a_cedula_that_is_not_one_is_refused_naming_the_field(model: type[BaseModel], written: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _open(model, document_number=written)
    assert [e["loc"] for e in refused.value.errors()] == [("document_number",)]


@pytest.mark.parametrize("model", [WithdrawalIn, OperationIn, HoldIn], ids=lambda m: m.__name__)
@pytest.mark.parametrize("code", ["１２３４５６", "١٢٣٤٥٦", "12345", "123456\n"])
def test_a_soft_token_is_six_ascii_digits(model: type[BaseModel], code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _open(model, soft_token=code)
    assert refused.value.errors()[0]["loc"] == ("soft_token",)


@pytest.mark.parametrize(
    "phone", ["٠٩٨١١٢٣٤٥٦", "０９８１１２３４５６", "0981123456\n0", "0981\t123456", "0981123456x"]
)
def test_a_phone_is_ascii_digits(phone: str) -> None:
    with pytest.raises(ValueError, match="celular"):
        normalize_phone(phone)
    assert normalize_phone(" +595 981-123-456 ") == "0981123456"


def test_normalize_cedula_names_what_is_wrong() -> None:
    assert normalize_cedula(" 4.567.890 ") == "4567890"
    with pytest.raises(ValueError, match="8 dígitos"):
        normalize_cedula("123456789")
    with pytest.raises(ValueError, match="dígitos 0-9"):
        normalize_cedula("٤٥٦٧٨٩٠")
