"""One-time codes (``otp_challenges``): issue, verify and read the code of a transaction. Only the
code's keyed hash is stored (:func:`reference_impl.core.otp.hash_otp`); the plain code exists once,
in :class:`IssuedOtp`, to be sent. Decisions are the core's (:mod:`reference_impl.core.otp`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from reference_impl.core.errors import DomainError
from reference_impl.core.holds import check_id
from reference_impl.core.instants import to_epoch_us
from reference_impl.core.otp import (
    DEFAULT_OTP_POLICY,
    OtpChallenge,
    OtpPolicy,
    OtpState,
    decide_issue,
    decide_verify,
    hash_otp,
    is_well_formed,
)
from reference_impl.store.journal import LedgerJournal
from reference_impl.store.sql import Statement, locked
from reference_impl.store.tables import BINDING_LENGTH, otp_challenges
from reference_impl.store.unit_of_work import UnitOfWork

__all__ = ["IssuedOtp", "OtpStore", "generate_otp_code"]

_COLUMNS: Final = tuple(c.name for c in otp_challenges.columns)  # transaction_ref first


@dataclass(frozen=True, slots=True)
class IssuedOtp:
    """A code to send (through notify) — the only place the plain code exists."""

    transaction_ref: str
    code: str
    expires_us: int
    sends: int


def generate_otp_code(digits: int = 6) -> str:
    """A uniformly random code of ``digits`` digits from the OS CSPRNG (``secrets``)."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def _check_binding(binding: str) -> None:
    if len(binding) > BINDING_LENGTH:
        raise ValueError(f"a binding is a digest of at most {BINDING_LENGTH} characters")


def _challenge(r: tuple[Any, ...]) -> OtpChallenge:
    row = dict(zip(_COLUMNS, r, strict=True))
    return OtpChallenge(
        transaction_ref=row["transaction_ref"],
        code_hash=row["code_hash"],
        issued_us=row["issued_us"],
        expires_us=row["expires_us"],
        failed_attempts=row["failed_attempts"],
        state=OtpState(row["state"]),
        sends=row["sends"],
        binding=row["binding"],
    )


class OtpStore:
    def __init__(
        self,
        dialect: Dialect,
        uow: UnitOfWork,
        journal: LedgerJournal,
        *,
        otp_key: bytes,
        policy: OtpPolicy = DEFAULT_OTP_POLICY,
    ) -> None:
        hash_otp(otp_key, "", "")  # validates the key length now rather than at the first OTP
        self._uow = uow
        self._journal = journal
        self._key = otp_key
        self._policy = policy
        o = otp_challenges.c
        where_ref = o.transaction_ref == bindparam("b_ref")
        self._get = Statement(select(otp_challenges).where(where_ref), dialect, ("b_ref",))
        self._get_locked = Statement(locked(select(otp_challenges).where(where_ref), dialect), dialect, ("b_ref",))
        self._insert = Statement(insert(otp_challenges).values({n: bindparam(n) for n in _COLUMNS}), dialect, _COLUMNS)
        self._update = Statement(
            update(otp_challenges)
            .where(
                o.transaction_ref == bindparam("b_transaction_ref"),
                o.issued_us == bindparam("b_seen_issued_us"),
                o.failed_attempts == bindparam("b_seen_failed_attempts"),
                o.state == bindparam("b_seen_state"),
            )
            .values({n: bindparam(f"b_{n}") for n in _COLUMNS[1:]}),
            dialect,
            (
                *(f"b_{n}" for n in _COLUMNS[1:]),
                "b_transaction_ref",
                "b_seen_issued_us",
                "b_seen_failed_attempts",
                "b_seen_state",
            ),
        )

    def issue_otp(self, transaction_ref: str, now: Any, *, code: str | None = None, binding: str = "") -> IssuedOtp:
        """Issue (or re-issue, replacing) the code of ``transaction_ref`` for ``binding`` (the
        :func:`reference_impl.core.otp.binding_digest` of what it authorizes, NET-07); returns the
        plain code to send. ``code`` is for tests; by default it comes from ``secrets``.
        Raises ``otp_resend_too_soon``, ``otp_resend_limit``, ``otp_used``, ``otp_locked``."""
        check_id("transaction_ref", transaction_ref)
        _check_binding(binding)
        now_us = to_epoch_us(now)
        plain = generate_otp_code(self._policy.digits) if code is None else code
        if not is_well_formed(plain, self._policy):
            raise ValueError(f"an OTP code has exactly {self._policy.digits} digits")
        code_hash = hash_otp(self._key, transaction_ref, plain, binding)

        def work(conn: Connection) -> OtpChallenge:
            existing = self._load(conn, transaction_ref)
            challenge = decide_issue(
                existing,
                transaction_ref=transaction_ref,
                code_hash=code_hash,
                now_us=now_us,
                policy=self._policy,
                binding=binding,
            )
            self._write(conn, existing, challenge)
            self._journal.line(conn, now_us, "otp_issued", transaction_ref)
            return challenge

        challenge = self._uow.run(work)
        return IssuedOtp(transaction_ref, plain, challenge.expires_us, challenge.sends)

    def verify_otp(self, transaction_ref: str, code: str, now: Any, *, binding: str = "") -> None:
        """Accept the code for ``binding`` (marks it used) or raise ``otp_invalid`` (attempt
        counted), ``otp_locked``, ``otp_expired``, ``otp_used``, ``otp_not_found``,
        ``otp_binding_mismatch`` (issued for other data: a new code is needed)."""
        error = self._uow.run(lambda conn: self.verify_in(conn, transaction_ref, code, now, binding=binding))
        if error is not None:
            raise error

    def verify_in(
        self, conn: Connection, transaction_ref: str, code: str, now: Any, *, binding: str = ""
    ) -> DomainError | None:
        """As :meth:`verify_otp`, on ``conn`` inside a caller's unit of work, so that what the code
        authorizes moves in the same transaction (a flow's state and the code's use commit together).
        Returns ``None`` (accepted, marked used) or the refusal whose counted attempt is written
        (``otp_invalid``, ``otp_locked`` at the last one); raises the refusals that write nothing."""
        check_id("transaction_ref", transaction_ref)
        _check_binding(binding)
        now_us = to_epoch_us(now)
        candidate_hash = hash_otp(self._key, transaction_ref, code, binding)
        existing = self._load(conn, transaction_ref)
        verdict = decide_verify(
            existing, candidate_hash=candidate_hash, now_us=now_us, policy=self._policy, binding=binding
        )
        self._write(conn, existing, verdict.challenge)
        operation = "otp_verified" if verdict.error is None else f"otp_refused_{verdict.error.code}"
        self._journal.line(conn, now_us, operation[:32], transaction_ref)
        return verdict.error

    def get_otp(self, transaction_ref: str) -> OtpChallenge | None:
        """The stored challenge (hash only), for inspection."""
        row = self._uow.read(lambda conn: self._get.one(conn, (transaction_ref,)))
        return None if row is None else _challenge(row)

    def _load(self, conn: Connection, transaction_ref: str) -> OtpChallenge | None:
        row = self._get_locked.one(conn, (transaction_ref,))
        return None if row is None else _challenge(row)

    def _write(self, conn: Connection, before: OtpChallenge | None, after: OtpChallenge) -> None:
        values = (
            after.transaction_ref,
            after.code_hash,
            after.issued_us,
            after.expires_us,
            after.failed_attempts,
            after.state.value,
            after.sends,
            after.binding,
        )
        if before is None:
            self._insert.execute(conn, values)
            return
        seen = (after.transaction_ref, before.issued_us, before.failed_attempts, before.state.value)
        self._uow.expect(self._update.execute(conn, (*values[1:], *seen)), 1)
