"""PSE person types as PayU names them (documents: :mod:`sandbox.protocols.colombia`)."""

from __future__ import annotations

#: PayU's USER_TYPE (N natural person, J company) → ACH's userType.
ACH_USER_TYPE = {"N": "person", "J": "company"}
