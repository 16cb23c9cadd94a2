"""The switch's options: ``[parties.switch] options`` in ``sandbox.toml``.

=======================  ===========  =========================================================
option                   default      meaning
=======================  ===========  =========================================================
``database_url``         SQLite file  ``sqlite:///<state_dir>/switch.db``; or
                                      ``postgresql://user@host:5432/db`` (same code)
``hold_timeout_s``       ``120``      a cash hold with no confirm/release is voided after it
                                      (CASH-10)
``ceibo_timeout_s``      ``1.0``      how long the switch waits for CEIBO (NET-06: then it
                                      declines and voids the hold by id)
``ceibo_hold_margin_s``  ``86400``    CEIBO's own expiry of a hold = ``hold_timeout_s`` + this: a
                                      backstop (the switch voids first), long enough for a post the
                                      switch decided in time to reach CEIBO after an outage
``issuer_alert_after``   ``8``        a post or void CEIBO has not acknowledged after this many
                                      tries is listed for the operator (``GET /sicoop/v1/issuer-
                                      sync``, page ``/sicoop/pendientes-ceibo``); the switch keeps
                                      trying (back-off up to 60 s), and the reconciliation counts it.
                                      The same for a cooperative's core: a PSE 1066 post, void or
                                      reversal (``GET /pse/v1/coop-sync``, ``/pse/pendientes-
                                      cooperativa``) and a collection's credit (``GET /recaudos/v1/
                                      pendientes``, ``/recaudos/operacion``), retried with the same
                                      Idempotency-Key (back-off 30 s … 10 min)
``cash_timezone``        ``America/   the calendar day of per-card daily limits and of the
                         Asuncion``   reconciliation
``secret_key``           generated    server key (≥ 16 characters) for OTP hashes and the
                                      soft-token's MAC in idempotency hashes; by default a random
                                      key kept in ``<state_dir>/switch-secret.key``
``max_batch``            ``256``      commands per group commit
``ach_timeout_s``        ``5.0``      how long the 1066 bank front waits for ACH's bank-side API
``pse_abandon_after_s``  ``900``      a 1066 payment left open this long is cancelled
                                      (NOT_AUTHORIZED to ACH, its authorization voided)
``coop_timeout_s``       ``5.0``      how long the switch waits for a cooperative's core banking
                                      (the coop contract); then the outcome is ``unknown``: query
                                      by reference or retry with the same Idempotency-Key (COOP-08)
``collections_merchant_  ``508030``   the network's gateway account (``gateway_accounts`` of the
id``                                  world) the collections (RedCoop Pagos PSE) are paid to
``gateway_timeout_s``    ``5.0``      how long the switch waits for the gateway (queries, report)
=======================  ===========  =========================================================

Unknown options are refused at start, naming the option.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sandbox.config import ConfigError
from sandbox.kit.errors import field_path


class SwitchSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    database_url: str | None = None
    hold_timeout_s: int = Field(default=120, ge=1, le=7 * 24 * 3600)
    ceibo_timeout_s: float = Field(default=1.0, gt=0, le=120)
    ceibo_hold_margin_s: int = Field(default=86_400, ge=0, le=7 * 24 * 3600)
    issuer_alert_after: int = Field(default=8, ge=1, le=1000)
    cash_timezone: str = "America/Asuncion"
    secret_key: str | None = Field(default=None, min_length=16)
    max_batch: int = Field(default=256, ge=1, le=10_000)
    coop_timeout_s: float = Field(default=5.0, gt=0, le=120)
    ach_timeout_s: float = Field(default=5.0, gt=0, le=120)
    pse_abandon_after_s: int = Field(default=900, ge=60, le=24 * 3600)
    collections_merchant_id: str = Field(default="508030", pattern=r"^[0-9]{1,20}$")
    gateway_timeout_s: float = Field(default=5.0, gt=0, le=120)

    @field_validator("cash_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"zona horaria desconocida: {value}") from None
        return value

    @property
    def cash_tz(self) -> ZoneInfo:
        return ZoneInfo(self.cash_timezone)

    @classmethod
    def from_options(cls, options: dict[str, Any], state_dir: Path) -> SwitchSettings:
        try:
            settings = cls.model_validate(options)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = field_path(err["loc"]) or "(raíz)"
            raise ConfigError(f"[parties.switch] options.{where}: {err['msg']}") from None
        if settings.database_url is None:
            settings = settings.model_copy(update={"database_url": f"sqlite:///{(state_dir / 'switch.db').resolve()}"})
        return settings

    def key_bytes(self, state_dir: Path) -> bytes:
        """The server key: the option, or a random key shared by every worker of this state dir."""
        if self.secret_key is not None:
            return self.secret_key.encode()
        path = state_dir / "switch-secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
            tmp.write_text(secrets.token_bytes(32).hex())
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)  # atomic: the first worker's key wins, the others read it
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return bytes.fromhex(path.read_text().strip())
