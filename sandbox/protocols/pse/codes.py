"""PSE return codes, transaction states and user types, as they travel on the wire. Pure.

Every answer of the PSE API carries ``returnCode``. The HTTP status follows the code's kind
(:func:`http_status`), so that bad input is a 4xx that names the field, and a well-formed
request that ACH refuses for a business reason is still a readable ``200`` (as the real
service answers).

=========================  ======  ==========================================================
kind                       status  codes
=========================  ======  ==========================================================
success                    200     ``SUCCESS``
bad input                  400     ``FAIL_INVALIDPARAMETERS``, ``FAIL_INVALIDAMOUNT``,
                                   ``FAIL_INVALIDSOLICITDATE``, ``FAIL_DESCRIPTIONNOTFOUND``
access (token, apikey)     401     ``FAIL_ACCESSDENIED``
business refusal           200     every other ``FAIL_*``
=========================  ======  ==========================================================

``transactionState`` is ``PENDING`` until the bank reports, then one of ``OK`` (paid; the only
state that means paid), ``NOT_AUTHORIZED`` or ``FAILED``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal


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


class TxnState(StrEnum):
    """``transactionState``."""

    PENDING = "PENDING"
    OK = "OK"
    NOT_AUTHORIZED = "NOT_AUTHORIZED"
    FAILED = "FAILED"

    @property
    def final(self) -> bool:
        return self is not TxnState.PENDING


#: A person type (``N`` natural, ``J`` company: :mod:`sandbox.protocols.colombia`) → ``userType``.
USER_TYPE: Final[dict[str, str]] = {"N": "person", "J": "company"}

#: Refusals of CreateTransactionPaymentNF that say the bank could not be reached in time.
CREATE_UNREACHABLE: Final = frozenset(
    {ReturnCode.FAIL_BANKUNREACHEABLE, ReturnCode.FAIL_NOTCONFIRMEDBYBANK, ReturnCode.FAIL_TIMEOUT}
)
#: Refusals of CreateTransactionPaymentNF that decline this payment (limits, risk, the amount).
CREATE_DECLINED: Final = frozenset(
    {
        ReturnCode.FAIL_EXCEEDEDLIMIT,
        ReturnCode.FAIL_TRANSACTIONNOTALLOWED,
        ReturnCode.FAIL_RISK,
        ReturnCode.FAIL_INVALIDAMOUNT,
    }
)

CreateRefusal = Literal["bank_unreachable", "declined", "error"]


def create_refusal(return_code: str) -> CreateRefusal:
    """What a refused creation means for the payment: the bank was out of reach (try again
    later), the payment was declined, or anything else (bad parameters, a disabled bank or
    entity, an ACH error) — an error."""
    if return_code in CREATE_UNREACHABLE:
        return "bank_unreachable"
    if return_code in CREATE_DECLINED:
        return "declined"
    return "error"
