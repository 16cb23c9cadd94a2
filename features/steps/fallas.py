"""Steps of the fault matrix (features/fallas): faults injected by the proxy between parties, a
customer who pays through every party's pages, and the checks that every flow ends in a defined
state (NET-06), that money is conserved and reconciles across the parties (NET-02), that the
messages keep their contracts and that the capture shows no secret (NET-05)."""

from __future__ import annotations

import base64
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import requests
from pytest_bdd import given, parsers, then, when

from features.conftest import Contexto
from sandbox.kit.money import format_amount, parse_amount
from sandbox.proxy.client import ProxyControl
from sandbox.scripted.browser import PageError, Shopper, location
from sandbox.world import load_world

_WORLD = load_world(None)
_BANK_PASSWORD = "Banco.1234"
_OPEN_STATES = {"PENDING", "IN_PROGRESS", "CREATED"}


def _proxy(contexto: Contexto) -> ProxyControl:
    proxy = contexto.red.proxy
    assert proxy is not None, "este escenario necesita el sandbox detrás del proxy (fixture fresh_proxied_sandbox)"
    return proxy


def _state(contexto: Contexto, party: str) -> dict[str, Any]:
    return contexto.red.client.party(party).state()


# -- faults ----------------------------------------------------------------------------------------
@given(parsers.parse('que el proxy aplica una vez la falla "{falla}" de "{desde}" a "{hacia}" en "{operacion}"'))
def aplica_una_falla(contexto: Contexto, falla: str, desde: str, hacia: str, operacion: str) -> None:
    spec: dict[str, Any] = {"kind": falla, "from": desde, "to": hacia, "op": operacion, "count": 1}
    if falla == "delay":
        spec["delay"] = "300ms"
    contexto["falla"] = _proxy(contexto).add_fault(spec)


@given(parsers.parse("que el proxy aplica la falla '{texto}'"))
def aplica_falla_texto(contexto: Contexto, texto: str) -> None:
    contexto["falla"] = _proxy(contexto).add_fault(texto)


@then("el proxy aplicó la falla una vez")
def falla_aplicada(contexto: Contexto) -> None:
    fault_id = contexto["falla"]["id"]
    fault = next(f for f in _proxy(contexto).faults() if f["id"] == fault_id)
    assert fault["applied"] == 1, f"la falla #{fault_id} se aplicó {fault['applied']} veces: {fault['text']}"
    broken = _proxy(contexto).flows(fault=fault["kind"])
    assert any(f["fault_id"] == fault_id for f in broken), "la captura no muestra el mensaje roto"


# -- the customer's path --------------------------------------------------------------------------------
@when(
    parsers.parse(
        'el cliente con documento "{documento}" paga la factura "{factura}" con PayU '
        'y el usuario "{usuario}" del banco "{banco}"'
    )
)
def paga_por_todas_las_paginas(contexto: Contexto, documento: str, factura: str, usuario: str, banco: str) -> None:
    """Merchant portal → gateway checkout → ACH portal → the bank's pages → back to the gateway.
    A fault may end the path early (the gateway shows an error instead of PSE, or the bank's page
    times out): the step records how far the customer got; the outcome is judged by the Then steps."""
    customer = next(c for m in _WORLD.merchants for c in m.customers if c.document_number == documento)
    shopper = Shopper(contexto.red.urls)
    reached = "portal"
    try:
        checkout = shopper.payu_checkout(shopper.statement(documento), factura)
        assert checkout.status == 200, checkout.text[:300]
        reached = "checkout"
        answer = shopper.pay_at_checkout(checkout, banco=banco)
        target = location(answer) if answer.status in (302, 303) else ""
        if "/pse/" not in target:
            contexto["recorrido"] = reached
            return
        reached = "pse"
        bank_url = shopper.go_to_bank(target, customer.email)
        reached = "banco"
        receipt = shopper.pay_at_bank(bank_url, usuario, _BANK_PASSWORD)
        if receipt.status == 200:
            reached = "comprobante"
            shopper.browser.get(receipt.link(id="regresar"))
            reached = "pasarela"
    except PageError as exc:
        contexto["error_de_pagina"] = str(exc)
    finally:
        shopper.browser.close()
    contexto["recorrido"] = reached


def _signed_amount(text: str) -> int:
    """``"-350000.00"`` → ``-35000000`` (COP minor units)."""
    text = text.strip()
    return -parse_amount(text[1:], "COP") if text.startswith("-") else parse_amount(text, "COP")


# -- outcomes --------------------------------------------------------------------------------------------
def _last_order(contexto: Contexto) -> dict[str, Any]:
    orders = _state(contexto, "gateway")["orders"]
    assert orders, "la pasarela no tiene pedidos"
    order: dict[str, Any] = orders[-1]
    return order


@then(
    parsers.parse(
        'la factura "{factura}" queda "{estado}", el pedido "{pedido}", la transacción de ACH "{ach}" '
        'y el banco con neto "{neto}"'
    )
)
def estado_final(contexto: Contexto, factura: str, estado: str, pedido: str, ach: str, neto: str) -> None:
    invoices = _state(contexto, "merchant")["invoices"]
    invoice = next(i for i in invoices if i["number"] == factura)
    order = _last_order(contexto)
    ach_states = [t["transactionState"] for t in _state(contexto, "ach")["transactions"]]
    bank_net = sum(m["amount_minor"] for a in _state(contexto, "bank")["accounts"] for m in a["movements"])
    seen = {"factura": invoice["status"], "pedido": order["status"], "ach": ach_states,
            "neto": format_amount(bank_net, "COP"), "recorrido": contexto.valores.get("recorrido")}  # fmt: skip
    expected_ach = [] if ach == "-" else [ach]
    assert (invoice["status"], order["status"], ach_states, bank_net) == (
        estado, pedido, expected_ach, _signed_amount(neto)), f"estado final: {seen}"  # fmt: skip


@then("ninguna transacción queda pendiente en ACH ni en la pasarela")
def nada_pendiente(contexto: Contexto) -> None:
    pending_ach = [t["trazabilityCode"] for t in _state(contexto, "ach")["transactions"]
                   if t["transactionState"] == "PENDING"]  # fmt: skip
    pending_gateway = [t["id"] for o in _state(contexto, "gateway")["orders"] for t in o["transactions"]
                       if t["state"] in _OPEN_STATES]  # fmt: skip
    assert not pending_ach and not pending_gateway, f"pendientes: ACH {pending_ach}, pasarela {pending_gateway}"


@then(parsers.parse('el comercio registró un solo pago aprobado de la factura "{factura}"'))
def un_solo_pago(contexto: Contexto, factura: str) -> None:
    payments = [p for p in _state(contexto, "merchant")["payments"] if p["invoice_number"] == factura]
    assert [p["state"] for p in payments if p["state"] == "APPROVED"] == ["APPROVED"], payments


def reconcile_pse(bank: dict[str, Any], ach: dict[str, Any], gateway: dict[str, Any],
                  merchant: dict[str, Any]) -> list[str]:  # fmt: skip
    """Differences between what the bank moved, what ACH says, what the gateway captured and what
    the merchant applied, per CUS and in total (an empty list: the books agree)."""
    diffs: list[str] = []
    bank_net: dict[str, int] = defaultdict(int)
    for account in bank["accounts"]:
        for move in account["movements"]:
            bank_net[str(move.get("cus"))] += move["amount_minor"]
    gateway_by_cus = {t["cus"]: t for o in gateway["orders"] for t in o["transactions"] if t.get("cus")}
    ach_by_cus = {t["trazabilityCode"]: t for t in ach["transactions"]}
    for cus, tx in ach_by_cus.items():
        value = parse_amount(tx["transactionValue"], "COP")
        gw = gateway_by_cus.get(cus)
        if tx["transactionState"] == "OK":
            if bank_net.get(cus, 0) != -value:
                diffs.append(f"CUS {cus}: ACH OK por {value}, el banco movió {bank_net.get(cus, 0)}")
            if gw is None or gw["state"] != "APPROVED" or gw["amount_minor"] != value:
                diffs.append(
                    f"CUS {cus}: ACH OK por {value}, la pasarela tiene {gw and (gw['state'], gw['amount_minor'])}"
                )
        else:
            if bank_net.get(cus, 0) != 0:
                diffs.append(f"CUS {cus}: ACH {tx['transactionState']}, el banco quedó con neto {bank_net[cus]}")
            if gw is not None and gw["state"] == "APPROVED":
                diffs.append(f"CUS {cus}: ACH {tx['transactionState']}, la pasarela lo aprobó")
    for cus, net in bank_net.items():
        if net and cus not in ach_by_cus:
            diffs.append(f"CUS {cus}: el banco movió {net} sin transacción en ACH")
    captured = sum(t["amount_minor"] for o in gateway["orders"] for t in o["transactions"] if t["state"] == "APPROVED")
    applied = sum(p["amount_minor"] for p in merchant["payments"] if p["state"] == "APPROVED")
    paid = sum(i["amount_minor"] for i in merchant["invoices"] if i["status"] == "paid")
    debited = -sum(bank_net.values())
    if not debited == captured == applied == paid:
        diffs.append(f"totales: banco {debited}, pasarela {captured}, pagos del comercio {applied}, facturas {paid}")
    return diffs


@then("la conciliación entre banco, ACH, pasarela y comercio no muestra diferencias")
def conciliacion(contexto: Contexto) -> None:
    states = {p: _state(contexto, p) for p in ("bank", "ach", "gateway", "merchant")}
    diffs = reconcile_pse(states["bank"], states["ach"], states["gateway"], states["merchant"])
    assert not diffs, "diferencias de conciliación:\n" + "\n".join(diffs)


@then("ningún mensaje entre participantes incumplió su contrato")
def contrato_limpio(contexto: Contexto) -> None:
    report = _proxy(contexto).contract()
    assert report["checked"]["requests"] > 0, "el proxy no revisó ningún mensaje"
    assert report["errors"] == 0, json.dumps(report["summary"], ensure_ascii=False, indent=1)


# -- the capture (NET-05) ---------------------------------------------------------------------------------
@then(parsers.parse('la captura del proxy registra los enlaces "{enlaces}"'))
def captura_enlaces(contexto: Contexto, enlaces: str) -> None:
    seen = {f"{f['from']}→{f['to']}" for f in _proxy(contexto).flows(limit=1000)}
    missing = [e.strip() for e in enlaces.split(",") if e.strip() not in seen]
    assert not missing, f"la captura no tiene {missing}; tiene {sorted(seen)}"


def _world_secrets() -> list[str]:
    secrets = [a.api_key for a in _WORLD.gateway_accounts]
    secrets += [e.client_secret for e in _WORLD.pse_entities]
    for bank in _WORLD.banks:
        if bank.ach_secret:
            secrets += [bank.ach_secret, base64.b64encode(f"{bank.code}:{bank.ach_secret}".encode()).decode()]
    return [*secrets, _BANK_PASSWORD]


@then("la captura del proxy no contiene ninguna clave ni credencial del mundo")
def captura_sin_secretos(contexto: Contexto) -> None:
    files = _proxy(contexto).flush_capture()
    text = Path(files["har"]).read_text() + Path(files["mitm"]).read_bytes().decode("utf-8", "replace")
    leaked = [s[:4] + "…" for s in _world_secrets() if s in text]
    assert not leaked, f"secretos en la captura: {leaked}"
    assert not re.search(r"(?i)\b(bearer|basic) (?!\*\*\*\*)[A-Za-z0-9._~+/=-]{6,}", text), "un token sin enmascarar"


# -- cash at a collection point (red → switch → ceibo) ----------------------------------------------------
@when(
    parsers.parse(
        'el cajero de la boca "{boca}" registra un retiro de "{monto}" para la cédula "{cedula}" '
        'con el soft-token de "{tarjeta}"'
    )
)
def retiro_en_la_boca(contexto: Contexto, boca: str, monto: str, cedula: str, tarjeta: str) -> None:
    token = requests.get(f"{contexto.red.url('ceibo')}/_sandbox/cards/{tarjeta}/soft-token", timeout=10)
    assert token.status_code == 200, token.text
    body = {"operation": "withdrawal", "counter_id": boca, "document_number": cedula,
            "soft_token": token.json()["code"], "amount": monto}  # fmt: skip
    answer = requests.post(f"{contexto.red.url('red')}/red/v1/operations", json=body, timeout=120)
    assert answer.status_code == 201, answer.text
    contexto["operacion"] = answer.json()


@then(parsers.parse('la operación de la red queda "{estado}" con la caja en "{caja}"'))
def operacion_de_la_red(contexto: Contexto, estado: str, caja: str) -> None:
    trace = contexto["operacion"]["trace_number"]
    op = requests.get(f"{contexto.red.url('red')}/red/v1/operations/{trace}", timeout=10).json()
    assert (op["status"], op["drawer_cash"]) == (estado, caja), (op["reason_code"], op["message"], op["switch_status"])


@then(parsers.parse('la tarjeta "{tarjeta}" queda con saldo "{saldo}" y nada retenido'))
def saldo_de_la_tarjeta(contexto: Contexto, tarjeta: str, saldo: str) -> None:
    cards = requests.get(f"{contexto.red.url('ceibo')}/_sandbox/cards", timeout=10).json()["cards"]
    card = next(c for c in cards if c["card_id"] == tarjeta)
    assert (card["balance"], card["pending"], card["pending_credit"]) == (saldo, "0", "0"), card


@then("la conciliación de SICOOP del día no muestra diferencias")
def conciliacion_sicoop(contexto: Contexto) -> None:
    day = contexto.red.client.now("switch").astimezone(ZoneInfo("America/Asuncion")).date()
    report = requests.get(f"{contexto.red.url('switch')}/sicoop/v1/reconciliation",
                          params={"date": day.isoformat()}, timeout=30).json()  # fmt: skip
    assert set(report["sources"].values()) == {"ok"}, report["sources"]
    assert report["difference_count"] == 0, json.dumps(report["differences"], ensure_ascii=False, indent=1)


# -- refunds (merchant → gateway) ----------------------------------------------------------------------
given(
    parsers.parse(
        'que el cliente con documento "{documento}" pagó la factura "{factura}" con PayU '
        'y el usuario "{usuario}" del banco "{banco}"'
    )
)(paga_por_todas_las_paginas)


@when(parsers.parse('el comercio pide el reembolso del pago "{pago}" desde su administración hasta que se confirme'))
def pide_reembolso(contexto: Contexto, pago: str) -> None:
    """The merchant's admin clicks «Reembolsar»; after an error page it clicks once more (a person would)."""
    answers: list[tuple[int, str | None]] = []
    for _ in range(2):
        shopper = Shopper(contexto.red.urls)  # a fresh page load: an error page may have closed the connection
        try:
            page = shopper.browser.post(
                f"{contexto.red.url('merchant')}/admin/tornillo/pagos/{pago}/reembolso", {"motivo": "Devuelto"}
            )
        finally:
            shopper.browser.close()
        answers.append((page.status, page.attr("error")))
        if page.status == 200 or (page.status, page.attr("error")) == (409, "not_approved"):
            break
    contexto["respuestas_reembolso"] = answers


@then("la administración del comercio nunca respondió con un error interno")
def sin_error_interno(contexto: Contexto) -> None:
    """Each answer is the refund done, or a defined error (a code the page names, e.g. 502
    gateway_unavailable for an upstream failure), never an unhandled 500."""
    answers = contexto["respuestas_reembolso"]
    assert answers[-1][0] == 200, f"el reembolso no terminó: {answers}"
    for status, code in answers[:-1]:
        assert status != 500, f"error interno en la administración: {answers}"
        assert code, f"una respuesta de error sin código definido: {answers}"


@then(
    parsers.parse(
        'la orden queda "{estado}" con un solo reembolso, el saldo de la cuenta "{cuenta}" en "{saldo}" '
        'y la factura "{factura}" "{estado_factura}"'
    )
)
def reembolso_unico(
    contexto: Contexto, estado: str, cuenta: str, saldo: str, factura: str, estado_factura: str
) -> None:
    gateway = _state(contexto, "gateway")
    order = gateway["orders"][-1]
    refunds = [t for t in order["transactions"] if t["type"] == "REFUND" and t["state"] == "APPROVED"]
    invoice = next(i for i in _state(contexto, "merchant")["invoices"] if i["number"] == factura)
    seen = (order["status"], len(refunds), format_amount(gateway["balances"][cuenta]["balance_minor"], "COP"),
            invoice["status"])  # fmt: skip
    assert seen == (estado, 1, saldo, estado_factura), f"{seen}; respuestas: {contexto['respuestas_reembolso']}"
