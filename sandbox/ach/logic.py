"""Pure decisions of ACH outside the transaction state machine: who may create what.

:func:`check_create` takes a validated ``CreateTransactionPaymentNF`` request and what ACH knows
(the caller's entity, the bank, the open transaction of the same ticket, the time) and raises the
:class:`~sandbox.ach.failures.AchFailure` ACH answers, checked in this order:

1. the payer's document: a ``company`` pays with a NIT, a ``person`` never does; the number
   fits its type (:data:`DOCUMENT_RULES`) → ``FAIL_INVALIDPARAMETERS``;
2. ``vatValue`` ≤ ``transactionValue`` → ``FAIL_INVALIDAMOUNT``;
3. ``soliciteDate`` carries Colombia's offset (-05:00) and lies between
   ``solicit_max_age_s`` ago and ``solicit_future_s`` ahead → ``FAIL_INVALIDSOLICITDATE``;
4. the entity exists and is enabled → ``FAIL_ENTITYNOTEXISTSORDISABLED``; it is the caller's
   own (the token's) → ``FAIL_ACCESSDENIED``;
5. the service belongs to the entity → ``FAIL_SERVICENOTEXISTS``;
6. the bank exists and is enabled → ``FAIL_BANKNOTEXISTSORDISABLED``;
7. the bank is reachable (world ``behaviour: unreachable``) → ``FAIL_BANKUNREACHEABLE``;
8. double-payment control: no transaction of the same entity and ``ticketId`` is ``PENDING`` or
   ``OK`` → ``FAIL_TRANSACTIONNOTALLOWED``.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sandbox.ach.failures import AchFailure
from sandbox.ach.lifecycle import Transaction
from sandbox.ach.models import CreateTransactionPaymentRequest
from sandbox.protocols.colombia import DOCUMENT_RULES
from sandbox.protocols.pse.codes import ReturnCode, TxnState
from sandbox.world.model import Bank, PseEntity

COLOMBIA_OFFSET: Final = timedelta(hours=-5)


@dataclass(frozen=True, slots=True)
class CreatePolicy:
    solicit_future_s: int = 10 * 60
    solicit_max_age_s: int = 24 * 3600


def document_problem(document_type: str, number: str) -> str | None:
    """Why a document number does not fit its type (Spanish), or None."""
    rule = DOCUMENT_RULES.get(document_type)
    if rule is None:
        return f"el tipo de documento {document_type} no existe"
    pattern, description = rule
    if not pattern.fullmatch(number):
        return f"debe ser {description} para el tipo {document_type}"
    return None


def check_payer(user_type: str, identification_type: str, identification_number: str) -> None:
    if user_type == "company" and identification_type != "NIT":
        raise AchFailure(
            ReturnCode.FAIL_INVALIDPARAMETERS,
            "El campo «identificationType» debe ser NIT cuando «userType» es company.",
            field="identificationType",
        )
    if user_type == "person" and identification_type == "NIT":
        raise AchFailure(
            ReturnCode.FAIL_INVALIDPARAMETERS,
            "El campo «identificationType» no puede ser NIT cuando «userType» es person.",
            field="identificationType",
        )
    problem = document_problem(identification_type, identification_number)
    if problem:
        raise AchFailure(
            ReturnCode.FAIL_INVALIDPARAMETERS,
            f"El campo «identificationNumber» {problem}.",
            field="identificationNumber",
        )


def check_solicit_date(solicited: datetime, now: datetime, policy: CreatePolicy) -> None:
    if solicited.utcoffset() != COLOMBIA_OFFSET:
        raise AchFailure(
            ReturnCode.FAIL_INVALIDSOLICITDATE,
            "El campo «soliciteDate» debe llevar la hora de Colombia (-05:00).",
            field="soliciteDate",
        )
    if solicited > now + timedelta(seconds=policy.solicit_future_s):
        raise AchFailure(
            ReturnCode.FAIL_INVALIDSOLICITDATE,
            "El campo «soliciteDate» está en el futuro.",
            field="soliciteDate",
        )
    if solicited < now - timedelta(seconds=policy.solicit_max_age_s):
        raise AchFailure(
            ReturnCode.FAIL_INVALIDSOLICITDATE,
            "El campo «soliciteDate» es demasiado antiguo (más de un día).",
            field="soliciteDate",
        )


def check_create(
    req: CreateTransactionPaymentRequest,
    *,
    caller: PseEntity,
    entity: PseEntity | None,
    bank: Bank | None,
    open_ticket: Transaction | None,
    now: datetime,
    policy: CreatePolicy = CreatePolicy(),
) -> None:
    """Raise the refusal of this create, or return when ACH may create it (see module doc)."""
    check_payer(req.userType, req.identificationType.value, req.identificationNumber)
    if req.vatValue > req.transactionValue:
        raise AchFailure(
            ReturnCode.FAIL_INVALIDAMOUNT,
            "El campo «vatValue» no puede ser mayor que «transactionValue».",
            field="vatValue",
        )
    check_solicit_date(req.soliciteDate, now, policy)
    if entity is None or not entity.enabled:
        raise AchFailure(
            ReturnCode.FAIL_ENTITYNOTEXISTSORDISABLED,
            f"La entidad {req.entityCode} no existe o no está habilitada en PSE.",
            field="entityCode",
        )
    if entity.entity_code != caller.entity_code:
        raise AchFailure(
            ReturnCode.FAIL_ACCESSDENIED,
            f"Las credenciales son de la entidad {caller.entity_code}, no de la {req.entityCode}.",
            field="entityCode",
        )
    if req.serviceCode not in entity.service_codes:
        raise AchFailure(
            ReturnCode.FAIL_SERVICENOTEXISTS,
            f"El servicio {req.serviceCode} no existe para la entidad {entity.entity_code}.",
            field="serviceCode",
        )
    if bank is None or not bank.enabled:
        raise AchFailure(
            ReturnCode.FAIL_BANKNOTEXISTSORDISABLED,
            f"El banco {req.financialInstitutionCode} no existe o no está habilitado en PSE.",
            field="financialInstitutionCode",
        )
    if bank.behaviour == "unreachable":
        raise AchFailure(
            ReturnCode.FAIL_BANKUNREACHEABLE,
            f"El banco {bank.name} no responde; intente más tarde o elija otro banco.",
            field="financialInstitutionCode",
        )
    if open_ticket is not None and open_ticket.state in (TxnState.PENDING, TxnState.OK):
        raise AchFailure(
            ReturnCode.FAIL_TRANSACTIONNOTALLOWED,
            f"El ticketId {req.ticketId} ya tiene una transacción en estado {open_ticket.state.value} "
            f"(CUS {open_ticket.trazability_code}); no se puede pagar dos veces.",
            field="ticketId",
        )


def check_caller_entity(entity_code: str, caller: PseEntity) -> None:
    """Query, finalize and bank list act on the caller's own entity only."""
    if entity_code != caller.entity_code:
        raise AchFailure(
            ReturnCode.FAIL_ACCESSDENIED,
            f"Las credenciales son de la entidad {caller.entity_code}, no de la {entity_code}.",
            field="entityCode",
        )


def sort_banks(banks: list[Bank]) -> list[Bank]:
    """GetBankListNF: enabled banks, A–Z by name (accents and case ignored)."""

    def key(bank: Bank) -> tuple[str, str]:
        folded = unicodedata.normalize("NFKD", bank.name).encode("ascii", "ignore").decode().upper()
        return folded, bank.code

    return sorted((b for b in banks if b.enabled), key=key)
