"""The error hierarchy: every code is stable, unique and English snake_case."""

from __future__ import annotations

import re

import pytest

from reference_impl.core import errors
from reference_impl.core.errors import DomainError, all_error_classes

DOCUMENTED_CODES = {
    "invalid_amount",
    "invalid_timeout",
    "invalid_idempotency_key",
    "account_not_found",
    "account_inactive",
    "over_transaction_cap",
    "over_frequency",
    "over_daily_cap",
    "insufficient_funds",
    "hold_not_found",
    "hold_id_conflict",
    "hold_not_due",
    "illegal_transition",
    "already_posted",
    "already_voided",
    "expired",
    "otp_not_found",
    "otp_expired",
    "otp_invalid",
    "otp_locked",
    "otp_used",
    "otp_resend_too_soon",
    "otp_resend_limit",
    "otp_binding_mismatch",
    "idempotency_conflict",
    "idempotency_in_progress",
}


def test_codes_are_unique_and_snake_case() -> None:
    codes = [cls.code for cls in all_error_classes()]
    assert len(codes) == len(set(codes))
    for code in codes:
        assert re.fullmatch(r"[a-z][a-z_]*[a-z]", code), code


def test_every_documented_code_exists() -> None:
    assert {cls.code for cls in all_error_classes()} >= DOCUMENTED_CODES


def test_every_code_is_drawn_in_the_module_docstring() -> None:
    doc = errors.__doc__ or ""
    for cls in all_error_classes():
        if cls is not DomainError:
            assert cls.__name__ in doc, cls.__name__


@pytest.mark.parametrize("cls", all_error_classes(), ids=lambda c: c.__name__)
def test_error_body_names_code_and_field(cls: type[DomainError]) -> None:
    err = cls(field="amount_minor")
    assert err.to_dict() == {"error": cls.code, "message": cls.default_message, "field": "amount_minor"}
    assert cls.code in repr(err)


def test_equality_is_by_class_and_content() -> None:
    assert errors.OtpInvalid(details={"a": 1}) == errors.OtpInvalid(details={"a": 1})
    assert errors.OtpInvalid() != errors.OtpLocked()
    assert hash(errors.OtpInvalid()) == hash(errors.OtpInvalid())


def test_declines_and_second_resolutions_are_grouped() -> None:
    for cls in (errors.OverTransactionCap, errors.OverFrequency, errors.OverDailyCap, errors.InsufficientFunds):
        assert issubclass(cls, errors.Decline)
    for resolved in (errors.AlreadyPosted, errors.AlreadyVoided, errors.HoldExpired):
        assert issubclass(resolved, errors.HoldAlreadyResolved)
