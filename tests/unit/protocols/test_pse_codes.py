"""PSE's wire codes: HTTP status by return code, what a refused creation means, the re-query schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.protocols.pse.codes import USER_TYPE, ReturnCode, TxnState, create_refusal, http_status
from sandbox.protocols.pse.schedule import first_query_at, next_query_at

T0 = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (ReturnCode.SUCCESS, 200),
        (ReturnCode.FAIL_INVALIDPARAMETERS, 400),
        (ReturnCode.FAIL_INVALIDAMOUNT, 400),
        (ReturnCode.FAIL_ACCESSDENIED, 401),
        (ReturnCode.FAIL_RISK, 200),
        (ReturnCode.FAIL_INVALIDSTATE, 200),
    ],
)
def test_http_status_follows_the_kind_of_code(code: ReturnCode, status: int) -> None:
    assert http_status(code) == status


@pytest.mark.parametrize(
    ("code", "meaning"),
    [
        ("FAIL_BANKUNREACHEABLE", "bank_unreachable"),
        ("FAIL_NOTCONFIRMEDBYBANK", "bank_unreachable"),
        ("FAIL_TIMEOUT", "bank_unreachable"),
        ("FAIL_EXCEEDEDLIMIT", "declined"),
        ("FAIL_RISK", "declined"),
        ("FAIL_INVALIDAMOUNT", "declined"),
        ("FAIL_INVALIDPARAMETERS", "error"),
        ("FAIL_BANKUNREACHABLE", "error"),  # the English spelling is not ACH's code
        ("SOMETHING_ELSE", "error"),
    ],
)
def test_what_a_refused_creation_means(code: str, meaning: str) -> None:
    assert create_refusal(code) == meaning


def test_only_pending_is_not_final_and_person_types_map_to_user_types() -> None:
    assert [s.value for s in TxnState if not s.final] == ["PENDING"]
    assert USER_TYPE == {"N": "person", "J": "company"}


def test_requery_schedule_is_7_then_12_minutes() -> None:
    assert first_query_at(T0) == T0 + timedelta(minutes=7)
    assert next_query_at(T0 + timedelta(minutes=7)) == T0 + timedelta(minutes=19)
