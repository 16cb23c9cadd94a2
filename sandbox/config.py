"""Sandbox configuration: ``sandbox.toml`` plus command-line overrides.

The file is optional; without it every party runs on its default port on 127.0.0.1 with the
default world and SQLite. A resolved :class:`SandboxConfig` is what each party process gets
(as JSON, through the ``COOP_SANDBOX_RUN`` environment variable).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sandbox.kit.errors import field_path

#: Every party, its default port, and the module:function that builds its app.
PARTIES: dict[str, tuple[int, str, str]] = {
    "switch": (
        8000,
        "reference_impl.app:build",
        "Switch de referencia: recaudos PSE, banco 1066 (débitos PSE) y SICOOP (efectivo)",
    ),
    "ach": (8001, "sandbox.ach.app:build", "ACH Colombia PSE"),
    "bank": (8002, "sandbox.bank.app:build", "Bancos PSE (banca en línea)"),
    "coop": (8003, "sandbox.coop.app:build", "Core bancario de las cooperativas"),
    "ceibo": (8004, "sandbox.sicoop.ceibo:build", "CEIBO, procesador de tarjetas DIMO"),
    "red": (8005, "sandbox.sicoop.red:build", "Red de Cobranzas (bocas de cobranza)"),
    "gateway": (8006, "sandbox.gateway.app:build", "Pasarela de pagos (Zona Pagos / PayU)"),
    "merchant": (8007, "sandbox.merchant.app:build", "Comercio (facturas, estilo Alegra)"),
    "notify": (8008, "sandbox.notify.app:build", "Buzón de SMS y correo"),
}

RUN_ENV = "COOP_SANDBOX_RUN"


class ConfigError(ValueError):
    """A configuration that cannot be used; the message names the file and the key."""


class PartyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    port: int = Field(ge=0, le=65535)
    host: str = "127.0.0.1"
    #: Set when the party is external (``--external name=URL``): not started, peers use the URL.
    external_url: str | None = None
    enabled: bool = True
    #: Worker processes (uvicorn ``--workers``); only the switch gains from more than one.
    workers: int = Field(default=1, ge=1, le=64)
    #: This party's request-size limit in bytes (``413 payload_too_large`` above it); unset: the sandbox's.
    max_body_bytes: int | None = Field(default=None, ge=1024, le=1024**3)
    #: Party-specific options (for example the switch's ``database_url``).
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("external_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("external_url debe empezar por http:// o https://")
        return value.rstrip("/") if value else value

    @property
    def url(self) -> str:
        return self.external_url or f"http://{self.host}:{self.port}"

    @property
    def external(self) -> bool:
        return self.external_url is not None


class SandboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: A world file; None is the packaged default world.
    world: str | None = None
    #: Where run-time files go: SQLite databases, captures, logs, the shared clock.
    state_dir: str = "var"
    clock: Literal["real", "frozen"] = "real"
    #: For a frozen clock: where sandbox time starts (ISO-8601 with offset).
    clock_start: str | None = None
    log_level: str = "info"
    #: Every outbound peer call goes through this HTTP proxy (mitmproxy, ``up --proxy``).
    proxy_url: str | None = None
    #: Background jobs (sweepers, re-queries) run every this many real seconds; 0 = only on tick.
    jobs_interval_s: float = Field(default=1.0, ge=0)
    #: Record (masked) request bodies in each party's journal.
    journal_bodies: bool = True
    journal_limit: int = Field(default=500, ge=10, le=100_000)
    #: Request bodies above this many bytes are refused (413 payload_too_large) before being read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=1024**3)
    #: JSON bodies nested deeper than this are refused (422 json_too_deep) before being parsed.
    max_json_depth: int = Field(default=64, ge=4, le=512)
    parties: dict[str, PartyConfig] = Field(default_factory=dict)

    def model_post_init(self, __context: Any) -> None:
        for name, (port, _, _) in PARTIES.items():
            self.parties.setdefault(name, PartyConfig(port=port))
        unknown = set(self.parties) - set(PARTIES)
        if unknown:
            raise ValueError(f"participantes desconocidos: {sorted(unknown)}; existen: {sorted(PARTIES)}")

    def party(self, name: str) -> PartyConfig:
        return self.parties[name]

    def urls(self) -> dict[str, str]:
        return {name: p.url for name, p in self.parties.items() if p.enabled}

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_env(cls) -> SandboxConfig:
        raw = os.environ.get(RUN_ENV)
        if not raw:
            raise ConfigError(f"{RUN_ENV} is not set: start parties with `coop-sandbox up`")
        return cls.model_validate_json(Path(raw).read_text() if not raw.startswith("{") else raw)


def load_config(path: str | Path | None = None, **overrides: Any) -> SandboxConfig:
    """Read ``sandbox.toml`` (if it exists) and apply overrides (``None`` values ignored)."""
    data: dict[str, Any] = {}
    source = "sandbox.toml"
    if path is not None or Path("sandbox.toml").exists():
        file = Path(path or "sandbox.toml")
        source = str(file)
        try:
            data = tomllib.loads(file.read_text())
        except OSError as exc:
            raise ConfigError(f"No se puede leer {file}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file} no es TOML válido: {exc}") from None
        base = file.parent
        if isinstance(data.get("world"), str) and not Path(data["world"]).is_absolute():
            data["world"] = str((base / data["world"]).resolve())
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return SandboxConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ConfigError(f"{source}: {field_path(err['loc']) or '(raíz)'}: {err['msg']}") from None


def dump_for_child(config: SandboxConfig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json.loads(config.to_json()), indent=2))
    return path
