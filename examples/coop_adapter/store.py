"""The adapter's own database: one SQLite file, seeded from a world YAML read with plain ``yaml``.

Written the way a cooperative's IT team would write a thin adapter over its core: plain SQL,
integer cents, no code shared with the sandbox (not even its world model: the YAML is read as
data). Every money change happens inside one transaction (``with db:``)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path
from typing import Any

import yaml

SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    code TEXT PRIMARY KEY, name TEXT NOT NULL, api_key TEXT NOT NULL,
    collections_enabled INTEGER NOT NULL, pse_debit_enabled INTEGER NOT NULL, otp_channels TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
    member_id TEXT PRIMARY KEY, document_type TEXT NOT NULL, document_number TEXT NOT NULL,
    first_names TEXT NOT NULL, last_names TEXT NOT NULL, email TEXT NOT NULL, mobile TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
    product_id TEXT PRIMARY KEY, member_id TEXT NOT NULL, entity TEXT NOT NULL, type TEXT NOT NULL,
    number TEXT NOT NULL, status TEXT NOT NULL, currency TEXT NOT NULL, balance INTEGER NOT NULL,
    held INTEGER NOT NULL DEFAULT 0, credit_available INTEGER, due_date TEXT,
    minimum_payment INTEGER, total_payment INTEGER, other_min INTEGER, other_max INTEGER,
    pse_debit INTEGER NOT NULL, accepts_credit INTEGER NOT NULL,
    per_transaction_max INTEGER, per_day_max INTEGER, per_day_count INTEGER
);
CREATE TABLE IF NOT EXISTS movements (
    transaction_id TEXT PRIMARY KEY, entity TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
    product_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL, reference TEXT NOT NULL,
    idempotency_key TEXT, created_at TEXT NOT NULL, posted_at TEXT, expires_at TEXT,
    reversed INTEGER NOT NULL DEFAULT 0, reversal_id TEXT, running_balance INTEGER,
    original_id TEXT
);
CREATE TABLE IF NOT EXISTS idempotency (
    entity TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, in_flight INTEGER NOT NULL,
    status INTEGER, body TEXT, created_at TEXT NOT NULL,
    PRIMARY KEY (entity, key)
);
"""

CREDIT_TYPES = {"OB", "CR", "TC"}
_AMOUNT = re.compile(r"^(\d{1,15})\.(\d{2})$")


def cents(text: str) -> int:
    match = _AMOUNT.match(text)
    if match is None:
        raise ValueError(text)
    return int(match.group(1)) * 100 + int(match.group(2))


def pesos(value: int) -> str:
    return f"{value // 100}.{value % 100:02d}"


def _money(value: Any) -> int | None:
    return None if value is None else cents(str(value))


def product_id(entity: str, number: str) -> str:
    return "prd_" + hashlib.sha256(f"{entity}:{number}".encode()).hexdigest()[:16]


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(SCHEMA)
    return db


def _caps(world: dict[str, Any], entity: str, ptype: str, product: dict[str, Any]) -> dict[str, Any]:
    """The most specific limit rule (entity+type > entity > type > default), then the product's own."""
    best: tuple[int, dict[str, Any]] | None = None
    for rule in world.get("limits") or []:
        if rule.get("applies_to", "product") != "product":
            continue
        if rule.get("entity") not in (None, entity) or rule.get("product_type") not in (None, ptype):
            continue
        rank = (2 if rule.get("entity") else 0) + (1 if rule.get("product_type") else 0)
        if best is None or rank > best[0]:
            best = (rank, rule)
    rule = best[1] if best else {}
    caps = {
        "per_transaction_max": _money(rule.get("per_transaction_max")),
        "per_day_max": _money(rule.get("per_day_max")),
        "per_day_count": rule.get("per_day_count"),
    }
    own = product.get("limits") or {}
    for name in ("per_transaction_max", "per_day_max"):
        if own.get(name) is not None:
            caps[name] = _money(own[name])
    if own.get("per_day_count") is not None:
        caps["per_day_count"] = own["per_day_count"]
    return caps


def seed(db: sqlite3.Connection, world_file: Path) -> None:
    """Load the world's entities, members and products (only the Colombian entities: this is a
    Colombian core). Idempotent: an already seeded database is left as it is."""
    if db.execute("SELECT COUNT(*) FROM entities").fetchone()[0]:
        return
    world = yaml.safe_load(world_file.read_text(encoding="utf-8"))
    with db:
        db.execute("BEGIN")
        for e in world.get("entities") or []:
            if e.get("country", "CO") != "CO":
                continue
            db.execute(
                "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?)",
                (
                    e["code"],
                    e["name"],
                    e.get("core_api_key") or f"coop-{e['code'].lower()}-key",
                    int(e.get("collections_enabled", True)),
                    int(e.get("pse_debit_enabled", True)),
                    ",".join(e.get("otp_channels") or ["sms", "email"]),
                ),
            )
        entities = {row[0] for row in db.execute("SELECT code FROM entities")}
        for m in world.get("members") or []:
            db.execute(
                "INSERT INTO members VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    m["id"],
                    m.get("document_type", "CC"),
                    str(m["document_number"]),
                    m["first_names"],
                    m["last_names"],
                    m["email"],
                    str(m["mobile"]),
                ),
            )
            for p in m.get("products") or []:
                if p["entity"] not in entities:
                    continue
                caps = _caps(world, p["entity"], p["type"], p)
                db.execute(
                    "INSERT INTO products (product_id, member_id, entity, type, number, status, currency, balance,"
                    " credit_available, due_date, minimum_payment, total_payment, other_min, other_max,"
                    " pse_debit, accepts_credit, per_transaction_max, per_day_max, per_day_count)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        product_id(p["entity"], str(p["number"])),
                        m["id"],
                        p["entity"],
                        p["type"],
                        str(p["number"]),
                        p.get("status", "active"),
                        p.get("currency", "COP"),
                        _money(p.get("balance", "0.00")),
                        _money(p.get("credit_available")),
                        str(p["due_date"]) if p.get("due_date") else None,
                        _money(p.get("minimum_payment")),
                        _money(p.get("total_payment")),
                        _money(p.get("other_min")),
                        _money(p.get("other_max")),
                        int(bool(p.get("pse_debit", False))),
                        int(bool(p.get("accepts_credit", True))),
                        caps["per_transaction_max"],
                        caps["per_day_max"],
                        caps["per_day_count"],
                    ),
                )
