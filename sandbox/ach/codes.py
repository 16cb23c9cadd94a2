"""ACH PSE return codes, and the one failure every ACH decision raises.

Hierarchy::

    AchFailure              a refusal in ACH's own envelope: returnCode + errorDetails (+ field)

Every answer of the PSE API carries ``returnCode``. The HTTP status follows the code's kind
(:data:`HTTP_STATUS`), so that bad input is a 4xx that names the field, and a well-formed
request that ACH refuses for a business reason is still a readable ``200`` (as the real
service answers). Nothing here is ever a 500.

=========================  ======  ==========================================================
kind                       status  codes
=========================  ======  ==========================================================
success                    200     ``SUCCESS``
bad input                  400     ``FAIL_INVALIDPARAMETERS``, ``FAIL_INVALIDAMOUNT``,
                                   ``FAIL_INVALIDSOLICITDATE``, ``FAIL_DESCRIPTIONNOTFOUND``
access (token, apikey)     401     ``FAIL_ACCESSDENIED``
business refusal           200     every other ``FAIL_*``
=========================  ======  ==========================================================
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final


class ReturnCode(StrEnum):
    SUCCESS = "SUCCESS"
    # CreateTransactionPaymentNF and the rest of the NF methods.
    FAIL_ENTITYNOTEXISTSORDISABLED = "FAIL_ENTITYNOTEXISTSORDISABLED"
    FAIL_BANKNOTEXISTSORDISABLED = "FAIL_BANKNOTEXISTSORDISABLED"
    FAIL_SERVICENOTEXISTS = "FAIL_SERVICENOTEXISTS"
    FAIL_INVALIDAMOUNT = "FAIL_INVALIDAMOUNT"
    FAIL_INVALIDSOLICITDATE = "FAIL_INVALIDSOLICITDATE"
    FAIL_BANKUNREACHEABLE = "FAIL_BANKUNREACHEABLE"  # (sic), as ACH spells it
    FAIL_NOTCONFIRMEDBYBANK = "FAIL_NOTCONFIRMEDBYBANK"
    FAIL_CANNOTGETCURRENTCYCLE = "FAIL_CANNOTGETCURRENTCYCLE"
    FAIL_ACCESSDENIED = "FAIL_ACCESSDENIED"
    FAIL_TIMEOUT = "FAIL_TIMEOUT"
    FAIL_DESCRIPTIONNOTFOUND = "FAIL_DESCRIPTIONNOTFOUND"
    FAIL_EXCEEDEDLIMIT = "FAIL_EXCEEDEDLIMIT"
    FAIL_TRANSACTIONNOTALLOWED = "FAIL_TRANSACTIONNOTALLOWED"
    FAIL_RISK = "FAIL_RISK"
    FAIL_INVALIDPARAMETERS = "FAIL_INVALIDPARAMETERS"
    FAIL_GENERICERROR = "FAIL_GENERICERROR"
    # Query, finalize and the banks' confirmation.
    FAIL_INVALIDTRAZABILITYCODE = "FAIL_INVALIDTRAZABILITYCODE"
    FAIL_INVALIDSTATE = "FAIL_INVALIDSTATE"
    FAIL_INVALIDAUTHORIZEDAMOUNT = "FAIL_INVALIDAUTHORIZEDAMOUNT"
    FAIL_INCONSISTENTDATA = "FAIL_INCONSISTENTDATA"


BAD_INPUT: Final = frozenset(
    {
        ReturnCode.FAIL_INVALIDPARAMETERS,
        ReturnCode.FAIL_INVALIDAMOUNT,
        ReturnCode.FAIL_INVALIDSOLICITDATE,
        ReturnCode.FAIL_DESCRIPTIONNOTFOUND,
    }
)


def http_status(code: ReturnCode) -> int:
    """The HTTP status of an answer with this return code (see the module table)."""
    if code in BAD_INPUT:
        return 400
    if code is ReturnCode.FAIL_ACCESSDENIED:
        return 401
    return 200


#: Codes a behaviour rule may force with ``decline``, per operation (checked when a rule fires).
CREATE_DECLINES: Final = frozenset(ReturnCode) - {
    ReturnCode.SUCCESS,
    ReturnCode.FAIL_INVALIDTRAZABILITYCODE,
    ReturnCode.FAIL_INVALIDSTATE,
    ReturnCode.FAIL_INVALIDAUTHORIZEDAMOUNT,
    ReturnCode.FAIL_INCONSISTENTDATA,
}
QUERY_DECLINES: Final = frozenset(
    {
        ReturnCode.FAIL_ACCESSDENIED,
        ReturnCode.FAIL_TIMEOUT,
        ReturnCode.FAIL_GENERICERROR,
        ReturnCode.FAIL_INVALIDTRAZABILITYCODE,
        ReturnCode.FAIL_INVALIDSTATE,
        ReturnCode.FAIL_INVALIDPARAMETERS,
    }
)
CONFIRM_DECLINES: Final = frozenset(
    {
        ReturnCode.FAIL_GENERICERROR,
        ReturnCode.FAIL_TIMEOUT,
        ReturnCode.FAIL_INVALIDTRAZABILITYCODE,
        ReturnCode.FAIL_INVALIDSTATE,
        ReturnCode.FAIL_INVALIDAUTHORIZEDAMOUNT,
        ReturnCode.FAIL_INCONSISTENTDATA,
        ReturnCode.FAIL_INVALIDPARAMETERS,
    }
)


class AchFailure(Exception):
    """ACH refuses: ``returnCode`` with a Spanish ``errorDetails`` that names the field."""

    def __init__(self, code: ReturnCode, details: str, *, field: str | None = None) -> None:
        super().__init__(f"{code}: {details}")
        self.code = code
        self.details = details
        self.field = field

    @property
    def status(self) -> int:
        return http_status(self.code)

    def body(self, **extra: Any) -> dict[str, Any]:
        return {**extra, "returnCode": self.code.value, "errorDetails": self.details, "field": self.field}


def as_return_code(text: str, allowed: frozenset[ReturnCode]) -> ReturnCode | None:
    """The return code named by a rule's ``decline``, if it is one this operation can answer."""
    try:
        code = ReturnCode(text)
    except ValueError:
        return None
    return code if code in allowed else None
