"""A cooperative's own implementation of the coop contract v1 (docs/coop-api.md), written from the
document alone: FastAPI over one SQLite file. It shares no code with ``sandbox/`` — it is what
a cooperative's IT team would put in front of its core banking, and what ``coop-sandbox
conformance coop --url`` is run against.

``broken`` makes it misbehave on purpose, one way at a time, so that the conformance run can be
seen failing with a message a person understands:

* ``not-idempotent`` — a retry with the same ``Idempotency-Key`` is carried out again;
* ``wrong-field`` — the products answer ``masked_number`` instead of ``number_masked``;
* ``rounding`` — amounts are read as floats and rounded to whole pesos;
* ``slow`` — money-moving calls answer after ``slow_s`` seconds (beyond the caller's timeout);
* ``lost-answer`` — posting a debit applies it, then closes the connection without an answer,
  and a retry with the same key is refused as ``already_posted`` (the answer was never kept).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from examples.coop_adapter.store import CREDIT_TYPES, cents, connect, pesos, seed

BROKEN = ("not-idempotent", "wrong-field", "rounding", "slow", "lost-answer")
DOCUMENT_TYPES = {"CC", "CE", "TI", "RC", "PP", "PPN", "NIT", "DIE"}
TYPE_NAMES = {
    "OB": "Obligación",
    "CR": "Cupo de Crédito",
    "AV": "Ahorros a la Vista",
    "TC": "Tarjeta de Crédito",
    "PO": "Aportes Sociales",
    "AC": "Ahorros Contractuales",
    "AP": "Ahorros Permanentes",
    "CC": "Cuenta Corriente",
    "DE": "Depósito Electrónico",
    "DS": "Depósito Electrónico con Subsidio",
}
BOGOTA = ZoneInfo("America/Bogota")
HOLD_MINUTES = 15
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_REFERENCE = re.compile(r"^[\x21-\x7e]{1,64}$")
_DOCUMENT = re.compile(r"^(?:[A-Za-z0-9]{5,20}|\d{1,3}(?:\.\d{3})+)$")
OPTIONS = ("minimum", "total", "other", "free")
#: The fields each money-moving body may carry, and whether each is required.
DEBIT = {"product_id": True, "amount": True, "currency": True, "reference": True, "description": False}
CREDIT = {**DEBIT, "payment_option": True}
REVERSAL = {"reason": True, "reference": False}
NOTHING: dict[str, bool] = {}


def check_body(body: dict[str, Any], fields: dict[str, bool]) -> None:
    """The shape of a body, before anything is looked up: unknown, missing and malformed fields are
    refused naming the field (docs/coop-api.md, Conventions)."""
    for name in body:
        if name not in fields:
            raise Refusal(422, "invalid_field", f"Campo desconocido: {name}.", name)
    for name, required in fields.items():
        if required and name not in body:
            raise Refusal(422, "missing_field", f"Falta el campo {name}.", name)
    checks: dict[str, tuple[Callable[[Any], bool], str]] = {
        "product_id": (
            lambda v: isinstance(v, str) and bool(_ID.match(v)),
            "un id de producto (letras, dígitos, _ o -)",
        ),
        "amount": (lambda v: isinstance(v, str), 'un texto decimal, p. ej. "50000.00"'),
        "currency": (lambda v: v == "COP", "COP"),
        "reference": (lambda v: isinstance(v, str) and bool(_REFERENCE.match(v)), "de 1 a 64 caracteres sin espacios"),
        "description": (lambda v: isinstance(v, str) and len(v) <= 140, "un texto de hasta 140 caracteres"),
        "reason": (lambda v: isinstance(v, str) and 0 < len(v.strip()) <= 140, "un texto de 1 a 140 caracteres"),
        "payment_option": (lambda v: v in OPTIONS, "minimum, total, other o free"),
    }
    for name, (ok, what) in checks.items():
        if name in body and not ok(body[name]):
            raise Refusal(422, "invalid_field", f"El campo {name} debe ser {what}.", name)


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.message, self.field = status, code, message, field


class LostAnswer(Response):
    """Starts an answer and closes the connection before its body: the caller gets nothing."""

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"80")]})


class AdapterClock:
    """The core's own clock: wall time, unless a test moved it (``/_sandbox/clock``, a test hook)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.frozen: datetime | None = None

    def now(self) -> datetime:
        return self.frozen if self.frozen is not None else datetime.now(UTC) + self.offset

    def change(self, body: dict[str, Any]) -> None:
        if body.get("mode") == "frozen":
            self.frozen = self.now()
        elif body.get("mode") == "real":
            self.frozen = None
        if "offset_s" in body:
            self.frozen, self.offset = None, timedelta(seconds=float(body["offset_s"]))
        if "set" in body:
            moment = datetime.fromisoformat(str(body["set"])).astimezone(UTC)
            if self.frozen is not None:
                self.frozen = moment
            else:
                self.offset = moment - datetime.now(UTC)
        if "advance_s" in body:
            step = timedelta(seconds=float(body["advance_s"]))
            if self.frozen is not None:
                self.frozen += step
            else:
                self.offset += step

    def view(self) -> dict[str, Any]:
        return {"clock_id": f"coop-adapter-{id(self)}", "mode": "frozen" if self.frozen else "real",
                "now": self.now().isoformat(), "offset_s": self.offset.total_seconds()}  # fmt: skip


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _mask_mobile(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-3:]}"


def _mask_email(email: str) -> str:
    user, _, domain = email.partition("@")
    return f"{user[:1]}***@{domain}"


def create_app(db_path: Path, world_file: Path, *, broken: str | None = None, slow_s: float = 6.0) -> FastAPI:
    if broken is not None and broken not in BROKEN:
        raise ValueError(f"broken must be one of {', '.join(BROKEN)}")
    clock = AdapterClock()
    _now = clock.now
    db = connect(db_path)
    seed(db, world_file)
    lock = asyncio.Lock()
    app = FastAPI(title="Adaptador de núcleo cooperativo (ejemplo)", version="1.0.0")

    def amount_of(body: dict[str, Any]) -> int:
        raw = body.get("amount")
        if not isinstance(raw, str):
            raise Refusal(422, "invalid_amount", 'El valor debe ser un texto decimal, p. ej. "50000.00".', "amount")
        try:
            value = round(float(raw)) * 100 if broken == "rounding" else cents(raw)
        except ValueError:
            raise Refusal(
                422, "invalid_amount", 'El valor debe tener dos decimales, p. ej. "50000.00".', "amount"
            ) from None
        if value <= 0:
            raise Refusal(422, "invalid_amount", "El valor debe ser mayor que cero.", "amount")
        return value

    def text_field(body: dict[str, Any], name: str, *, required: bool = True, limit: int = 140) -> str | None:
        value = body.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise Refusal(422, "invalid_field", f"El campo {name} es obligatorio (texto de 1 a {limit}).", name)
        return value

    def entity_row(request: Request, entity: str) -> sqlite3.Row:
        row = db.execute("SELECT * FROM entities WHERE code = ?", (entity,)).fetchone()
        if row is None:
            raise Refusal(404, "entity_not_found", f"La entidad {entity} no existe en este núcleo.")
        auth = request.headers.get("authorization", "")
        if not secrets.compare_digest(auth.encode(), f"Bearer {row['api_key']}".encode()):
            raise Refusal(401, "unauthorized", "Falta la clave de la API o no es válida.")
        return row

    def expire_holds(now: datetime) -> None:
        due = db.execute(
            "SELECT transaction_id, product_id, amount FROM movements WHERE kind = 'debit' AND status = 'authorized'"
            " AND expires_at <= ?",
            (_iso(now),),
        ).fetchall()
        for row in due:
            db.execute("UPDATE movements SET status = 'expired' WHERE transaction_id = ?", (row["transaction_id"],))
            db.execute("UPDATE products SET held = held - ? WHERE product_id = ?", (row["amount"], row["product_id"]))

    def product_row(entity: str, pid: Any) -> sqlite3.Row:
        if not isinstance(pid, str) or not pid:
            raise Refusal(422, "invalid_field", "El campo product_id es obligatorio.", "product_id")
        row = db.execute("SELECT * FROM products WHERE product_id = ? AND entity = ?", (pid, entity)).fetchone()
        if row is None:
            raise Refusal(404, "product_not_found", "El producto no existe en esta entidad.", "product_id")
        return row

    def available(p: sqlite3.Row) -> int:
        base = (
            p["credit_available"] if p["type"] in CREDIT_TYPES and p["credit_available"] is not None else p["balance"]
        )
        return int(base) - int(p["held"])

    def product_view(p: sqlite3.Row) -> dict[str, Any]:
        credit = p["type"] in CREDIT_TYPES
        view = {
            "product_id": p["product_id"],
            "type": p["type"],
            "type_name": TYPE_NAMES.get(p["type"], p["type"]),
            "number_masked": "****" + p["number"][-4:],
            "status": p["status"],
            "currency": p["currency"],
            "balance": pesos(p["balance"]),
            "available": pesos(available(p)),
            "due_date": p["due_date"],
            "minimum_payment": None if p["minimum_payment"] is None else pesos(p["minimum_payment"]),
            "total_payment": None if p["total_payment"] is None else pesos(p["total_payment"]),
            "other_min": None if p["other_min"] is None else pesos(p["other_min"]),
            "other_max": None if p["other_max"] is None else pesos(p["other_max"]),
            "credit": credit,
            "pse_debit": bool(p["pse_debit"]),
            "accepts_credit": bool(p["accepts_credit"]),
            "caps": {
                "per_transaction_max": None if p["per_transaction_max"] is None else pesos(p["per_transaction_max"]),
                "per_day_max": None if p["per_day_max"] is None else pesos(p["per_day_max"]),
                "per_day_count": p["per_day_count"],
            },
        }
        if broken == "wrong-field":
            view["masked_number"] = view.pop("number_masked")
        return view

    def movement_view(m: sqlite3.Row) -> dict[str, Any]:
        number = db.execute("SELECT number FROM products WHERE product_id = ?", (m["product_id"],)).fetchone()
        return {
            "transaction_id": m["transaction_id"],
            "kind": m["kind"],
            "status": m["status"],
            "product_id": m["product_id"],
            "number_masked": "****" + (number["number"][-4:] if number else "????"),
            "amount": pesos(m["amount"]),
            "currency": m["currency"],
            "reference": m["reference"],
            "idempotency_key": m["idempotency_key"],
            "created_at": m["created_at"],
            "posted_at": m["posted_at"],
            "reversed": bool(m["reversed"]),
            "reversal_id": m["reversal_id"],
            "running_balance": None if m["running_balance"] is None else pesos(m["running_balance"]),
        }

    async def idempotent(
        request: Request, entity: str, work: Callable[[datetime, str], tuple[int, dict[str, Any]]]
    ) -> Response:
        """Same key + same request → the first answer again; another request → 422; in flight → 409."""
        key = request.headers.get("idempotency-key")
        if key is None:
            raise Refusal(400, "idempotency_key_missing", "Falta el encabezado Idempotency-Key.", "Idempotency-Key")
        if not _KEY.match(key):
            raise Refusal(
                422, "invalid_field", "Idempotency-Key: de 1 a 255 caracteres ASCII visibles.", "Idempotency-Key"
            )
        raw = await request.body()
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise Refusal(422, "invalid_body", "El cuerpo no es JSON válido.", "body") from None
        if not isinstance(body, dict):
            raise Refusal(422, "invalid_body", "El cuerpo debe ser un objeto JSON.", "body")
        fingerprint = hashlib.sha256(
            (request.method + " " + request.url.path + " " + json.dumps(body, sort_keys=True)).encode()
        ).hexdigest()
        now = _now()
        async with lock:
            seen = db.execute("SELECT * FROM idempotency WHERE entity = ? AND key = ?", (entity, key)).fetchone()
            if seen is not None and broken != "not-idempotent":
                if seen["fingerprint"] != fingerprint:
                    raise Refusal(
                        422,
                        "idempotency_key_reused",
                        "Esta Idempotency-Key ya se usó con otra solicitud.",
                        "Idempotency-Key",
                    )
                if seen["in_flight"]:
                    raise Refusal(
                        409,
                        "idempotency_key_in_flight",
                        "La solicitud con esta Idempotency-Key aún está en curso.",
                        "Idempotency-Key",
                    )
                return JSONResponse(
                    json.loads(seen["body"]), status_code=seen["status"], headers={"Idempotent-Replayed": "true"}
                )
            db.execute(
                "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, 1, NULL, NULL, ?)",
                (entity, key, fingerprint, _iso(now)),
            )
        if broken == "slow":
            await asyncio.sleep(slow_s)
        async with lock:
            try:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    expire_holds(now)
                    status, answer = work(now, key)
                    db.execute(
                        "UPDATE idempotency SET in_flight = 0, status = ?, body = ? WHERE entity = ? AND key = ?",
                        (status, json.dumps(answer), entity, key),
                    )
            except Refusal as refusal:
                answer = {"error": refusal.code, "message": refusal.message, "field": refusal.field}
                db.execute(
                    "UPDATE idempotency SET in_flight = 0, status = ?, body = ? WHERE entity = ? AND key = ?",
                    (refusal.status, json.dumps(answer), entity, key),
                )
                return JSONResponse(answer, status_code=refusal.status)
            except BaseException:
                db.execute("DELETE FROM idempotency WHERE entity = ? AND key = ?", (entity, key))
                raise
        if broken == "lost-answer" and request.url.path.endswith("/post"):
            db.execute("DELETE FROM idempotency WHERE entity = ? AND key = ?", (entity, key))
            return LostAnswer()
        return JSONResponse(answer, status_code=status)

    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> JSONResponse:
        return JSONResponse({"error": exc.code, "message": exc.message, "field": exc.field}, status_code=exc.status)

    @app.get("/coop/v1/entities/{entity}")
    async def get_entity(request: Request, entity: str) -> dict[str, Any]:
        e = entity_row(request, entity)
        return {
            "entity": e["code"],
            "name": e["name"],
            "collections_enabled": bool(e["collections_enabled"]),
            "pse_debit_enabled": bool(e["pse_debit_enabled"]),
            "otp_channels": e["otp_channels"].split(","),
        }

    @app.get("/coop/v1/entities/{entity}/members")
    async def lookup(request: Request, entity: str) -> dict[str, Any]:
        entity_row(request, entity)
        for name in ("document_type", "document_number"):
            if name not in request.query_params:
                raise Refusal(422, "missing_field", f"Falta el parámetro {name}.", name)
        doc_type = request.query_params["document_type"]
        if doc_type not in DOCUMENT_TYPES:
            raise Refusal(
                422,
                "invalid_document_type",
                f"Tipo de documento no válido; use uno de {', '.join(sorted(DOCUMENT_TYPES))}.",
                "document_type",
            )
        raw_number = request.query_params["document_number"].strip()
        number = raw_number.replace(".", "")
        if not _DOCUMENT.match(raw_number) or not re.fullmatch(r"[A-Za-z0-9]{5,20}", number):
            raise Refusal(
                422,
                "invalid_document_number",
                "Número de documento no válido (5 a 20 letras o dígitos).",
                "document_number",
            )
        m = db.execute(
            "SELECT * FROM members WHERE document_type = ? AND document_number = ? AND EXISTS"
            " (SELECT 1 FROM products p WHERE p.member_id = members.member_id AND p.entity = ?)",
            (doc_type, number, entity),
        ).fetchone()
        if m is None:
            raise Refusal(404, "member_not_found", "No encontramos un asociado con ese documento.")
        active = db.execute(
            "SELECT COUNT(*) FROM products WHERE member_id = ? AND entity = ? AND status = 'active'",
            (m["member_id"], entity),
        ).fetchone()[0]
        return {
            "member_id": m["member_id"],
            "document_type": m["document_type"],
            "document_number": m["document_number"],
            "first_names": m["first_names"],
            "last_names": m["last_names"],
            "full_name": f"{m['first_names']} {m['last_names']}",
            "mobile_masked": _mask_mobile(m["mobile"]),
            "email_masked": _mask_email(m["email"]),
            "has_products": active > 0,
        }

    @app.get("/coop/v1/entities/{entity}/members/{member_id}/products")
    async def products(request: Request, entity: str, member_id: str) -> dict[str, Any]:
        entity_row(request, entity)
        with db:
            db.execute("BEGIN IMMEDIATE")
            expire_holds(_now())
        rows = db.execute(
            "SELECT * FROM products WHERE member_id = ? AND entity = ? ORDER BY rowid", (member_id, entity)
        ).fetchall()
        if not rows:
            raise Refusal(404, "member_not_found", "No encontramos ese asociado en esta entidad.")
        return {"member_id": member_id, "products": [product_view(p) for p in rows]}

    def spent_today(pid: str, now: datetime) -> tuple[int, int]:
        day = now.astimezone(BOGOTA).date()
        total = count = 0
        for m in db.execute(
            "SELECT amount, created_at FROM movements WHERE product_id = ? AND kind = 'debit'"
            " AND status IN ('authorized', 'posted')",
            (pid,),
        ):
            if datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")).astimezone(BOGOTA).date() == day:
                total += m["amount"]
                count += 1
        return total, count

    @app.post("/coop/v1/entities/{entity}/debits")
    async def authorize_debit(request: Request, entity: str) -> Response:
        e = entity_row(request, entity)
        body = await _body(request)
        check_body(body, DEBIT)

        def work(now: datetime, key: str) -> tuple[int, dict[str, Any]]:
            if not e["pse_debit_enabled"]:
                raise Refusal(403, "service_disabled", "La entidad no tiene habilitado el débito PSE.")
            p = product_row(entity, body.get("product_id"))
            amount = amount_of(body)
            if body.get("currency") != "COP":
                raise Refusal(422, "invalid_currency", "La moneda debe ser COP.", "currency")
            reference = text_field(body, "reference", limit=64)
            if p["status"] != "active":
                raise Refusal(422, "product_inactive", "El producto no está activo.", "product_id")
            if not p["pse_debit"]:
                raise Refusal(422, "product_not_debitable", "El producto no admite débitos PSE.", "product_id")
            spent, count = spent_today(p["product_id"], now)
            if (
                (p["per_transaction_max"] is not None and amount > p["per_transaction_max"])
                or (p["per_day_max"] is not None and spent + amount > p["per_day_max"])
                or (p["per_day_count"] is not None and count + 1 > p["per_day_count"])
            ):
                raise Refusal(422, "over_cap", "El débito supera los topes del producto.", "amount")
            if amount > available(p):
                raise Refusal(422, "insufficient_funds", "Fondos insuficientes.", "amount")
            debit_id = "deb_" + secrets.token_hex(8)
            expires = now + timedelta(minutes=HOLD_MINUTES)
            db.execute(
                "INSERT INTO movements (transaction_id, entity, kind, status, product_id, amount, currency,"
                " reference, idempotency_key, created_at, expires_at)"
                " VALUES (?, ?, 'debit', 'authorized', ?, ?, 'COP', ?, ?, ?, ?)",
                (debit_id, entity, p["product_id"], amount, reference, key, _iso(now), _iso(expires)),
            )
            db.execute("UPDATE products SET held = held + ? WHERE product_id = ?", (amount, p["product_id"]))
            after = product_row(entity, p["product_id"])
            return 201, {
                "debit_id": debit_id,
                "status": "authorized",
                "product_id": p["product_id"],
                "number_masked": "****" + p["number"][-4:],
                "amount": pesos(amount),
                "currency": "COP",
                "reference": reference,
                "authorized_at": _iso(now),
                "expires_at": _iso(expires),
                "available": pesos(available(after)),
            }

        return await idempotent(request, entity, work)

    def debit_row(entity: str, debit_id: str) -> sqlite3.Row:
        row = db.execute(
            "SELECT * FROM movements WHERE transaction_id = ? AND entity = ? AND kind = 'debit'", (debit_id, entity)
        ).fetchone()
        if row is None:
            raise Refusal(404, "transaction_not_found", "El débito no existe.")
        return row

    @app.post("/coop/v1/entities/{entity}/debits/{debit_id}/post")
    async def post_debit(request: Request, entity: str, debit_id: str) -> Response:
        entity_row(request, entity)
        check_body(await _body(request), NOTHING)

        def work(now: datetime, key: str) -> tuple[int, dict[str, Any]]:
            d = debit_row(entity, debit_id)
            if d["status"] == "voided":
                raise Refusal(409, "already_voided", "El débito ya fue anulado.")
            if d["status"] == "expired":
                raise Refusal(409, "hold_expired", "La retención del débito venció.")
            if d["status"] != "authorized":
                raise Refusal(409, "already_posted", "El débito ya fue aplicado.")
            p = product_row(entity, d["product_id"])
            if p["type"] in CREDIT_TYPES and p["credit_available"] is not None:
                db.execute(
                    "UPDATE products SET held = held - ?, credit_available = credit_available - ?,"
                    " balance = balance + ? WHERE product_id = ?",
                    (d["amount"], d["amount"], d["amount"], p["product_id"]),
                )
            else:
                db.execute(
                    "UPDATE products SET held = held - ?, balance = balance - ? WHERE product_id = ?",
                    (d["amount"], d["amount"], p["product_id"]),
                )
            balance = product_row(entity, p["product_id"])["balance"]
            db.execute(
                "UPDATE movements SET status = 'posted', posted_at = ?, running_balance = ? WHERE transaction_id = ?",
                (_iso(now), balance, debit_id),
            )
            return 200, {
                "debit_id": debit_id,
                "status": "posted",
                "transaction_id": debit_id,
                "amount": pesos(d["amount"]),
                "running_balance": pesos(balance),
            }

        return await idempotent(request, entity, work)

    @app.post("/coop/v1/entities/{entity}/debits/{debit_id}/void")
    async def void_debit(request: Request, entity: str, debit_id: str) -> Response:
        entity_row(request, entity)
        check_body(await _body(request), NOTHING)

        def work(now: datetime, key: str) -> tuple[int, dict[str, Any]]:
            d = debit_row(entity, debit_id)
            if d["status"] == "posted":
                raise Refusal(409, "already_posted", "El débito ya fue aplicado; use una reversa.")
            if d["status"] == "expired":
                raise Refusal(409, "hold_expired", "La retención del débito venció.")
            if d["status"] == "authorized":
                db.execute("UPDATE products SET held = held - ? WHERE product_id = ?", (d["amount"], d["product_id"]))
                db.execute("UPDATE movements SET status = 'voided' WHERE transaction_id = ?", (debit_id,))
            return 200, {"debit_id": debit_id, "status": "voided"}

        return await idempotent(request, entity, work)

    @app.post("/coop/v1/entities/{entity}/credits")
    async def apply_credit(request: Request, entity: str) -> Response:
        e = entity_row(request, entity)
        body = await _body(request)
        check_body(body, CREDIT)

        def work(now: datetime, key: str) -> tuple[int, dict[str, Any]]:
            if not e["collections_enabled"]:
                raise Refusal(403, "service_disabled", "La entidad no tiene habilitado el servicio de recaudos.")
            p = product_row(entity, body.get("product_id"))
            amount = amount_of(body)
            if body.get("currency") != "COP":
                raise Refusal(422, "invalid_currency", "La moneda debe ser COP.", "currency")
            reference = text_field(body, "reference", limit=64)
            option = body.get("payment_option")
            if option not in ("minimum", "total", "other", "free"):
                raise Refusal(422, "invalid_field", "payment_option: minimum, total, other o free.", "payment_option")
            if p["status"] != "active":
                raise Refusal(422, "product_inactive", "El producto no está activo.", "product_id")
            if not p["accepts_credit"]:
                raise Refusal(422, "product_not_creditable", "El producto no recibe abonos.", "product_id")
            if option == "minimum" and amount != p["minimum_payment"]:
                raise Refusal(422, "amount_not_allowed", "El valor debe ser el pago mínimo.", "amount")
            if option == "total" and amount != p["total_payment"]:
                raise Refusal(422, "amount_not_allowed", "El valor debe ser el pago total.", "amount")
            credit_product = p["type"] in CREDIT_TYPES
            if option == "free" and credit_product:
                raise Refusal(422, "amount_not_allowed", "Un crédito se paga con mínimo, total u otro valor.", "amount")
            if option == "other" and credit_product and amount > p["balance"]:
                raise Refusal(422, "amount_above_maximum", "El valor supera lo que se debe.", "amount")
            if option in ("other", "free"):
                if p["other_min"] is not None and amount < p["other_min"]:
                    raise Refusal(422, "amount_below_minimum", "El valor es menor que el mínimo permitido.", "amount")
                if p["other_max"] is not None and amount > p["other_max"]:
                    raise Refusal(422, "amount_above_maximum", "El valor supera el máximo permitido.", "amount")
            sign = -1 if p["type"] in CREDIT_TYPES else 1
            db.execute(
                "UPDATE products SET balance = balance + ? WHERE product_id = ?", (sign * amount, p["product_id"])
            )
            if p["type"] in CREDIT_TYPES and p["credit_available"] is not None:
                db.execute(
                    "UPDATE products SET credit_available = credit_available + ? WHERE product_id = ?",
                    (amount, p["product_id"]),
                )
            balance = product_row(entity, p["product_id"])["balance"]
            txn = "cre_" + secrets.token_hex(8)
            db.execute(
                "INSERT INTO movements (transaction_id, entity, kind, status, product_id, amount, currency, reference,"
                " idempotency_key, created_at, posted_at, running_balance)"
                " VALUES (?, ?, 'credit', 'applied', ?, ?, 'COP', ?, ?, ?, ?, ?)",
                (txn, entity, p["product_id"], amount, reference, key, _iso(now), _iso(now), balance),
            )
            return 201, {
                "transaction_id": txn,
                "kind": "credit",
                "status": "applied",
                "product_id": p["product_id"],
                "number_masked": "****" + p["number"][-4:],
                "amount": pesos(amount),
                "currency": "COP",
                "reference": reference,
                "running_balance": pesos(balance),
                "applied_at": _iso(now),
            }

        return await idempotent(request, entity, work)

    @app.post("/coop/v1/entities/{entity}/transactions/{transaction_id}/reversal")
    async def reverse(request: Request, entity: str, transaction_id: str) -> Response:
        entity_row(request, entity)
        body = await _body(request)
        check_body(body, REVERSAL)

        def work(now: datetime, key: str) -> tuple[int, dict[str, Any]]:
            text_field(body, "reason")
            m = db.execute(
                "SELECT * FROM movements WHERE transaction_id = ? AND entity = ? AND kind IN ('debit', 'credit')",
                (transaction_id, entity),
            ).fetchone()
            if m is None or m["status"] not in ("posted", "applied", "reversed"):
                raise Refusal(404, "transaction_not_found", "No hay un movimiento aplicado con ese id.")
            if m["reversed"]:
                raise Refusal(409, "already_reversed", "El movimiento ya fue reversado.")
            p = product_row(entity, m["product_id"])
            credit = p["type"] in CREDIT_TYPES
            if m["kind"] == "debit":  # give the money back
                delta_balance = -m["amount"] if credit and p["credit_available"] is not None else m["amount"]
                delta_credit = m["amount"] if credit and p["credit_available"] is not None else 0
            else:  # take the payment back
                delta_balance = m["amount"] if credit else -m["amount"]
                delta_credit = -m["amount"] if credit and p["credit_available"] is not None else 0
            db.execute(
                "UPDATE products SET balance = balance + ?, credit_available = credit_available + ?"
                " WHERE product_id = ?",
                (delta_balance, delta_credit, p["product_id"]),
            )
            balance = product_row(entity, p["product_id"])["balance"]
            reversal = "rev_" + secrets.token_hex(8)
            db.execute(
                "INSERT INTO movements (transaction_id, entity, kind, status, product_id, amount, currency, reference,"
                " idempotency_key, created_at, posted_at, running_balance, original_id)"
                " VALUES (?, ?, 'reversal', 'applied', ?, ?, 'COP', ?, ?, ?, ?, ?, ?)",
                (
                    reversal,
                    entity,
                    p["product_id"],
                    m["amount"],
                    body.get("reference") or m["reference"],
                    key,
                    _iso(now),
                    _iso(now),
                    balance,
                    transaction_id,
                ),
            )
            db.execute(
                "UPDATE movements SET reversed = 1, reversal_id = ?, status = 'reversed' WHERE transaction_id = ?",
                (reversal, transaction_id),
            )
            return 201, {
                "transaction_id": transaction_id,
                "reversed": True,
                "reversal_id": reversal,
                "amount": pesos(m["amount"]),
                "running_balance": pesos(balance),
            }

        return await idempotent(request, entity, work)

    @app.get("/coop/v1/entities/{entity}/transactions/{transaction_id}")
    async def transaction(request: Request, entity: str, transaction_id: str) -> dict[str, Any]:
        entity_row(request, entity)
        with db:
            db.execute("BEGIN IMMEDIATE")
            expire_holds(_now())
        m = db.execute(
            "SELECT * FROM movements WHERE transaction_id = ? AND entity = ?", (transaction_id, entity)
        ).fetchone()
        if m is None:
            raise Refusal(404, "transaction_not_found", "No hay un movimiento con ese id.")
        return movement_view(m)

    @app.get("/coop/v1/entities/{entity}/transactions")
    async def transactions(request: Request, entity: str) -> dict[str, Any]:
        entity_row(request, entity)
        reference = request.query_params.get("reference")
        if reference is not None:
            rows = db.execute(
                "SELECT * FROM movements WHERE entity = ? AND reference = ? ORDER BY created_at, rowid",
                (entity, reference),
            ).fetchall()
            return {"transactions": [movement_view(m) for m in rows]}
        raw = request.query_params.get("date", "")
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise Refusal(422, "invalid_date", "La fecha debe ser AAAA-MM-DD.", "date") from None
        rows = [
            m
            for m in db.execute("SELECT * FROM movements WHERE entity = ? ORDER BY created_at, rowid", (entity,))
            if datetime.fromisoformat(m["created_at"].replace("Z", "+00:00")).astimezone(BOGOTA).date() == day
        ]
        totals = {"credits": 0, "debits": 0, "reversals": 0}
        for m in rows:
            if m["kind"] == "credit":
                totals["credits"] += m["amount"]
            elif m["kind"] == "debit" and m["status"] in ("posted", "reversed"):
                totals["debits"] += m["amount"]
            elif m["kind"] == "reversal":
                totals["reversals"] += m["amount"]
        return {
            "date": day.isoformat(),
            "transactions": [movement_view(m) for m in rows],
            "totals": {k: pesos(v) for k, v in totals.items()},
        }

    # Test hooks (optional for a cooperative's test environment; never in production): the
    # network's scenarios that need a known starting point call them, and skip what needs more.
    @app.post("/_sandbox/reset")
    async def reset() -> dict[str, Any]:
        async with lock:
            with db:
                db.execute("BEGIN IMMEDIATE")
                for table in ("idempotency", "movements", "products", "members", "entities"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            seed(db, world_file)
        return {"reset": True}

    @app.get("/_sandbox/clock")
    async def read_clock() -> dict[str, Any]:
        return clock.view()

    @app.post("/_sandbox/clock")
    async def move_clock(request: Request) -> dict[str, Any]:
        clock.change(await _body(request))
        return clock.view()

    @app.get("/_sandbox/health")
    async def sandbox_health() -> dict[str, Any]:
        return {"status": "ok", "party": "coop", "implemented": True, "broken": broken}

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "broken": broken}

    return app


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise Refusal(422, "invalid_body", "El cuerpo no es JSON válido.", "body") from None
    if not isinstance(body, dict):
        raise Refusal(422, "invalid_body", "El cuerpo debe ser un objeto JSON.", "body")
    return body
