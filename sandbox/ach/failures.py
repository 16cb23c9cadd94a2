"""ACH's refusals (logic): the one failure every ACH decision raises, and which return codes a
behaviour rule may force on each operation.

Hierarchy::

    AchFailure              a refusal in ACH's own envelope: returnCode + errorDetails (+ field)

The HTTP status follows the code's kind (:func:`sandbox.protocols.pse.codes.http_status`): bad
input is a 4xx that names the field, a business refusal a readable ``200``. Nothing here is ever
a 500.
"""

from __future__ import annotations

from typing import Any, Final

from sandbox.protocols.pse.codes import ReturnCode, http_status

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
